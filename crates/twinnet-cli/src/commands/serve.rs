//! `twinnet serve`: the HTTP service.

use anyhow::{bail, Result};
use std::path::PathBuf;
use std::time::Duration;
use twinnet::embedder::Embedder;
use twinnet::serve::{app, read_token_file, run_until_signal, ConnectionLimits, ServeOptions};

/// Flags of `twinnet serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory (image or text model).
    #[arg(long)]
    pub model: PathBuf,
    /// Gallery for /v1/identify and /v1/gallery: a directory (created on the first
    /// enrolment) or postgres://user@host:port/db?gallery=NAME (PostgreSQL + pgvector).
    #[arg(long)]
    pub gallery: Option<String>,
    /// Address to listen on (port 0 picks a free one, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// File holding the bearer token that mutating endpoints require.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Allow gallery changes without a token (local experiments only).
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// Largest request body in bytes (413 above).
    #[arg(long, default_value_t = 8 << 20)]
    pub max_body_bytes: usize,
    /// Seconds a request may take before a 408.
    #[arg(long, default_value_t = 30)]
    pub timeout_s: u64,
    /// Most inputs in one model forward pass (concurrent requests are batched together).
    #[arg(long, default_value_t = 64)]
    pub max_batch: usize,
    /// Search the gallery through the approximate (HNSW) index from this many entries on;
    /// below, an exact scan.
    #[arg(long, default_value_t = twinnet::gallery::DEFAULT_INDEX_ABOVE)]
    pub index_above: usize,
    /// Requests that may wait for the model before new ones get 503.
    #[arg(long, default_value_t = 1024)]
    pub queue: usize,
    /// Longest text accepted, in bytes (400 above).
    #[arg(long, default_value_t = 64 << 10)]
    pub max_text_bytes: usize,
    /// Connections served at once; further clients wait to be accepted.
    #[arg(long, default_value_t = 512)]
    pub max_connections: usize,
    /// Seconds a client may take to send a request head, or stay idle between requests.
    #[arg(long, default_value_t = 10)]
    pub header_timeout_s: u64,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for requests in flight.
    #[arg(long, default_value_t = 30)]
    pub shutdown_timeout_s: u64,
}

/// Runs `twinnet serve` until SIGTERM or Ctrl-C.
pub fn run(args: Args) -> Result<()> {
    let token = args
        .token_file
        .as_deref()
        .map(read_token_file)
        .transpose()?;
    if token.is_some() && args.insecure_no_auth {
        bail!("--token-file and --insecure-no-auth contradict each other; give one");
    }
    let model = Embedder::load(&args.model)?;
    let gallery = args
        .gallery
        .as_deref()
        .map(|spec| model.open_gallery(spec, args.index_above))
        .transpose()?;
    if gallery.is_some() && token.is_none() && !args.insecure_no_auth {
        eprintln!(
            "note: no --token-file: the gallery is served read-only (identify and list work; \
             enrol and remove answer 403)"
        );
    }
    let entries = gallery.as_ref().map(|g| g.len());
    let secs = |s: u64| Duration::from_secs(s.max(1));
    let options = ServeOptions {
        token,
        insecure_no_auth: args.insecure_no_auth,
        max_body_bytes: args.max_body_bytes,
        timeout: secs(args.timeout_s),
        max_batch: args.max_batch,
        queue: args.queue,
        max_text_bytes: args.max_text_bytes,
        connections: ConnectionLimits {
            header_timeout: secs(args.header_timeout_s),
            max_connections: args.max_connections,
            shutdown_deadline: secs(args.shutdown_timeout_s),
            ..ConnectionLimits::default()
        },
    };
    let router = app(model, gallery, &options)?;
    run_until_signal(&args.addr, router, &options.connections, |addr| {
        eprintln!(
            "twinnet serving {} on http://{addr}{} (API: http://{addr}/openapi.json)",
            args.model.display(),
            entries.map_or(String::new(), |n| format!(", gallery of {n} entries"))
        )
    })?;
    eprintln!("twinnet: stopped cleanly");
    Ok(())
}
