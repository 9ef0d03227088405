//! A load generator for the service: N concurrent HTTP clients on loopback, each sending
//! requests back to back for a fixed time (or up to a request budget), then requests/s,
//! latency percentiles, errors and the server's memory over the run.

use crate::{percentile, rss_mib};
use anyhow::{bail, Context, Result};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use twinnet::embedder::{Embedder, Input};
use twinnet::gallery::DEFAULT_INDEX_ABOVE;
use twinnet::serve::{app, ServeOptions};

/// How hard and how long to push.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Concurrent clients (each with its own keep-alive connection).
    pub clients: usize,
    /// How long each endpoint is driven.
    pub duration: Duration,
    /// Stop an endpoint's phase after this many requests, whichever comes first.
    pub max_requests: usize,
    /// Inputs enrolled into the gallery before identify is driven.
    pub enrol: usize,
}

/// What one endpoint did under load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndpointLoad {
    /// The path driven.
    pub endpoint: String,
    /// Requests answered (any status).
    pub requests: usize,
    /// Non-2xx answers and transport failures.
    pub errors: usize,
    /// Wall seconds of the phase.
    pub seconds: f64,
    /// Answered requests per second.
    pub requests_per_s: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Slowest request, ms.
    pub max_ms: f64,
    /// Resident memory of the process when the phase ended, MiB.
    pub rss_end_mib: f64,
}

/// The whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    /// Concurrent clients.
    pub clients: usize,
    /// Entries in the gallery identify searched.
    pub gallery_entries: usize,
    /// Per endpoint.
    pub endpoints: Vec<EndpointLoad>,
    /// Resident memory of the process (server and clients) when the load began, MiB.
    pub rss_start_mib: f64,
    /// … when it ended.
    pub rss_end_mib: f64,
    /// … at its highest, sampled every 100 ms.
    pub rss_max_mib: f64,
}

fn body_of(input: &Input) -> Result<Value> {
    Ok(match input {
        Input::Text(t) => json!({ "text": t }),
        Input::ImageBytes { bytes, .. } => {
            json!({ "image": base64::engine::general_purpose::STANDARD.encode(bytes) })
        }
        Input::ImageFile(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            json!({ "image": base64::engine::general_purpose::STANDARD.encode(bytes) })
        }
        Input::Pixels(raw) => bail!("{}: the load generator sends encoded images", raw.name),
    })
}

/// Starts the service in process on a free loopback port with a fresh gallery, enrols
/// `opts.enrol` inputs over HTTP, then drives `/v1/verify` and `/v1/identify` in turn.
pub fn run_load(model: Embedder, inputs: Vec<Input>, opts: &LoadOptions) -> Result<LoadReport> {
    if inputs.len() < 2 {
        bail!(
            "the load generator needs at least 2 inputs, got {}",
            inputs.len()
        );
    }
    let dir = tempfile::tempdir()?;
    let spec = dir
        .path()
        .to_str()
        .context("temporary directory is not UTF-8")?;
    let gallery = model.open_gallery(spec, DEFAULT_INDEX_ABOVE)?;
    let token = "load-generator".to_string();
    let router = app(
        model,
        Some(gallery),
        &ServeOptions {
            token: Some(token.clone()),
            ..ServeOptions::default()
        },
    )?;
    let bodies: Vec<Value> = inputs.iter().map(body_of).collect::<Result<_>>()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(twinnet::serve::serve(listener, router, async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(opts.clients.max(1))
            .build()?;
        let enrol = opts.enrol.min(bodies.len());
        for (i, b) in bodies.iter().take(enrol).enumerate() {
            let mut b = b.clone();
            b["label"] = json!(format!("entry{i}"));
            let r = client
                .post(format!("{base}/v1/gallery"))
                .bearer_auth(&token)
                .json(&b)
                .send()
                .await?;
            if !r.status().is_success() {
                bail!("enrolment failed: {} {}", r.status(), r.text().await?);
            }
        }
        let verify: Vec<String> = (0..bodies.len())
            .map(|i| json!({"a": bodies[i], "b": bodies[(i + 1) % bodies.len()]}).to_string())
            .collect();
        let identify: Vec<String> = bodies
            .iter()
            .map(|b| {
                let mut b = b.clone();
                b["top_k"] = json!(5);
                b.to_string()
            })
            .collect();

        let sampling = Arc::new(AtomicBool::new(true));
        let max_kib = Arc::new(AtomicUsize::new(0));
        let sampler = {
            let (sampling, max_kib) = (sampling.clone(), max_kib.clone());
            tokio::spawn(async move {
                while sampling.load(Ordering::Relaxed) {
                    max_kib.fetch_max((rss_mib() * 1024.0) as usize, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        let rss_start_mib = rss_mib();
        let mut endpoints = Vec::new();
        for (path, list) in [("/v1/verify", verify), ("/v1/identify", identify)] {
            endpoints.push(drive(&client, &format!("{base}{path}"), path, list, opts).await);
        }
        let rss_end_mib = rss_mib();
        sampling.store(false, Ordering::Relaxed);
        let _ = sampler.await;
        let _ = stop.send(());
        server.await??;
        Ok(LoadReport {
            clients: opts.clients,
            gallery_entries: enrol,
            endpoints,
            rss_start_mib,
            rss_end_mib,
            rss_max_mib: (max_kib.load(Ordering::Relaxed) as f64 / 1024.0).max(rss_end_mib),
        })
    })
}

/// `clients` tasks post bodies from `list` back to back until the time or the request budget
/// runs out.
async fn drive(
    client: &reqwest::Client,
    url: &str,
    endpoint: &str,
    list: Vec<String>,
    opts: &LoadOptions,
) -> EndpointLoad {
    let list = Arc::new(list);
    let sent = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + opts.duration;
    let tasks: Vec<_> = (0..opts.clients.max(1))
        .map(|_| {
            let (client, url, list, sent) =
                (client.clone(), url.to_string(), list.clone(), sent.clone());
            let budget = opts.max_requests;
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0;
                loop {
                    let k = sent.fetch_add(1, Ordering::Relaxed);
                    if k >= budget || Instant::now() >= deadline {
                        break;
                    }
                    let body = list[k % list.len()].clone();
                    let t = Instant::now();
                    let ok = match client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                    {
                        Ok(r) => {
                            let ok = r.status().is_success();
                            // Read the whole answer: the client's latency includes it.
                            ok && r.bytes().await.is_ok()
                        }
                        Err(_) => false,
                    };
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                    errors += usize::from(!ok);
                }
                (lat, errors)
            })
        })
        .collect();
    let mut lat = Vec::new();
    let mut errors = 0;
    for t in tasks {
        match t.await {
            Ok((l, e)) => {
                lat.extend(l);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    EndpointLoad {
        endpoint: endpoint.to_string(),
        requests: lat.len(),
        errors,
        seconds,
        requests_per_s: lat.len() as f64 / seconds.max(1e-9),
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
        max_ms: lat.last().copied().unwrap_or(0.0),
        rss_end_mib: rss_mib(),
    }
}
