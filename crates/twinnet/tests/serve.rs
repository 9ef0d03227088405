//! The HTTP service, in process: answers, refusals with their status codes, the gallery across
//! a restart, micro-batching, and a graceful shutdown that finishes the request in flight.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;
#[path = "common/served.rs"]
mod served;
use served::{b64, fixture};
use tower::ServiceExt;
use twinnet::embedder::{Embedder, Input};
use twinnet::gallery::DEFAULT_INDEX_ABOVE;
use twinnet::serve::batcher::Batcher;
use twinnet::serve::{app, serve, ServeOptions};

const TOKEN: &str = "test-token-123";

fn router(gallery: Option<&Path>, options: ServeOptions) -> Router {
    let f = fixture();
    let model = Embedder::load(&f.model).unwrap();
    let g = gallery.map(|d| {
        model
            .open_gallery(d.to_str().unwrap(), DEFAULT_INDEX_ABOVE)
            .unwrap()
    });
    app(model, g, &options).unwrap()
}

fn with_token() -> ServeOptions {
    ServeOptions {
        token: Some(TOKEN.into()),
        ..ServeOptions::default()
    }
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, v)
}

fn post(uri: &str, body: Value, token: Option<&str>) -> Request<Body> {
    let mut r = Request::post(uri).header("content-type", "application/json");
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    r.body(Body::from(body.to_string())).unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn error_of(v: &Value) -> &str {
    v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no JSON error: {v}"))
}

#[tokio::test]
async fn embed_and_verify_match_the_library() {
    let f = fixture();
    let app = router(None, ServeOptions::default());
    let (s, h) = call(&app, get("/healthz")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (h["status"].as_str(), h["dim"].as_u64()),
        (Some("ok"), Some(16))
    );

    let (a, b, c) = (&f.digits[3][0], &f.digits[3][1], &f.digits[5][0]);
    let model = Embedder::load(&f.model).unwrap();
    let direct = model
        .embed(&[Input::ImageBytes {
            bytes: a.clone(),
            name: "a".into(),
        }])
        .unwrap();
    let (s, e) = call(&app, post("/v1/embed", json!({"image": b64(a)}), None)).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let got: Vec<f32> = serde_json::from_value(e["embeddings"][0].clone()).unwrap();
    assert_eq!(got.len(), 16);
    for (x, y) in got.iter().zip(&direct[0]) {
        assert!((x - y).abs() < 1e-6, "{x} vs {y}");
    }
    // Several inputs come back in order.
    let (s, e) = call(
        &app,
        post(
            "/v1/embed",
            json!({"inputs": [{"image": b64(c)}, {"image": b64(a)}]}),
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let second: Vec<f32> = serde_json::from_value(e["embeddings"][1].clone()).unwrap();
    assert!(second.iter().zip(&got).all(|(x, y)| (x - y).abs() < 1e-6));

    // An image against itself: distance 0, same; the score is the model's own.
    let (s, v) = call(
        &app,
        post(
            "/v1/verify",
            json!({"a": {"image": b64(a)}, "b": {"image": b64(a)}}),
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["distance"].as_f64().unwrap().abs() < 1e-4, "{v}");
    assert_eq!(v["same"], json!(true));
    let (_, v) = call(
        &app,
        post(
            "/v1/verify",
            json!({"a": {"image": b64(a)}, "b": {"image": b64(b)}, "threshold": 0.0}),
            None,
        ),
    )
    .await;
    let e2 = model
        .embed(&[
            Input::ImageBytes {
                bytes: a.clone(),
                name: "a".into(),
            },
            Input::ImageBytes {
                bytes: b.clone(),
                name: "b".into(),
            },
        ])
        .unwrap();
    let d = model.scorer().score(&e2[0], &e2[1]);
    assert!((v["distance"].as_f64().unwrap() as f32 - d).abs() < 1e-5);
    assert_eq!(
        (v["threshold"].as_f64(), v["same"].as_bool()),
        (Some(0.0), Some(false))
    );
}

#[tokio::test]
async fn bad_requests_get_json_errors_with_their_status() {
    let f = fixture();
    let app = router(
        None,
        ServeOptions {
            max_body_bytes: 64 << 10,
            ..with_token()
        },
    );
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            Request::post("/v1/embed")
                .header("content-type", "application/json")
                .body(Body::from("{\"image\": "))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        (
            post(
                "/v1/embed",
                json!({"image": b64(b"not an image at all")}),
                None,
            ),
            StatusCode::BAD_REQUEST,
            "cannot decode image",
        ),
        (
            post("/v1/embed", json!({"image": "%%%"}), None),
            StatusCode::BAD_REQUEST,
            "not base64",
        ),
        (
            post("/v1/embed", json!({"text": "a digit"}), None),
            StatusCode::BAD_REQUEST,
            "image model",
        ),
        (
            post("/v1/embed", json!({}), None),
            StatusCode::BAD_REQUEST,
            "give \"image\"",
        ),
        (
            post(
                "/v1/verify",
                json!({"a": {"image": b64(&f.digits[1][0])}}),
                None,
            ),
            StatusCode::BAD_REQUEST,
            "missing field `b`",
        ),
        (
            post("/v1/embed", json!({"image": "A".repeat(100 << 10)}), None),
            StatusCode::PAYLOAD_TOO_LARGE,
            "limit",
        ),
        (
            post("/v1/identify", json!({"image": b64(&f.digits[1][0])}), None),
            StatusCode::NOT_FOUND,
            "no gallery",
        ),
        (
            get("/v1/nothing"),
            StatusCode::NOT_FOUND,
            "no such endpoint",
        ),
        (get("/v1/embed"), StatusCode::METHOD_NOT_ALLOWED, "method"),
    ];
    for (req, status, needle) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let (s, v) = call(&app, req).await;
        assert_eq!(s, status, "{what}: {v}");
        assert!(error_of(&v).contains(needle), "{what}: {v}");
    }
}

#[tokio::test]
async fn mutations_need_the_token() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let app = router(Some(dir.path()), with_token());
    let body = json!({"label": "three", "image": b64(&f.digits[3][0])});
    let (s, v) = call(&app, post("/v1/gallery", body.clone(), None)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v) = call(&app, post("/v1/gallery", body.clone(), Some("wrong"))).await;
    assert_eq!(
        (s, error_of(&v)),
        (StatusCode::UNAUTHORIZED, "wrong bearer token")
    );
    let del = |t: Option<&str>| {
        let mut r = Request::delete("/v1/gallery/1");
        if let Some(t) = t {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        r.body(Body::empty()).unwrap()
    };
    assert_eq!(call(&app, del(None)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, del(Some(TOKEN))).await.0, StatusCode::NOT_FOUND);
    // Without a configured token, mutations are off (403), reads work.
    let ro = router(Some(dir.path()), ServeOptions::default());
    let (s, v) = call(&ro, post("/v1/gallery", body.clone(), Some(TOKEN))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(call(&ro, get("/v1/gallery")).await.0, StatusCode::OK);
    // Unless explicitly insecure.
    let open = router(
        Some(dir.path()),
        ServeOptions {
            insecure_no_auth: true,
            ..ServeOptions::default()
        },
    );
    assert_eq!(
        call(&open, post("/v1/gallery", body, None)).await.0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn enrol_identify_remove_and_survive_a_restart() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let app = router(Some(dir.path()), with_token());
    for (label, class) in [("three", 3), ("seven", 7)] {
        let (s, v) = call(
            &app,
            post(
                "/v1/gallery",
                json!({"label": label, "image": b64(&f.digits[class][0])}),
                Some(TOKEN),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["label"], json!(label));
    }
    // A multipart upload enrols too.
    let boundary = "XbOuNdArY";
    let mut form = Vec::new();
    form.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\nzero\r\n")
            .bytes(),
    );
    form.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"0.png\"\r\nContent-Type: image/png\r\n\r\n").bytes());
    form.extend(&f.digits[0][0]);
    form.extend(format!("\r\n--{boundary}--\r\n").bytes());
    let req = Request::post("/v1/gallery")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::from(form))
        .unwrap();
    let (s, v) = call(&app, req).await;
    assert_eq!((s, v["id"].as_u64()), (StatusCode::CREATED, Some(3)), "{v}");

    // The enrolled image itself is found at distance ≈ 0 with its label.
    let (s, v) = call(
        &app,
        post(
            "/v1/identify",
            json!({"image": b64(&f.digits[7][0]), "top_k": 2}),
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["label"], json!("seven"));
    assert!(v["distance"].as_f64().unwrap() < 1e-4, "{v}");
    assert_eq!(v["matches"].as_array().unwrap().len(), 2);
    // Beyond a zero threshold, another image of a seven is "unknown".
    let (_, v) = call(
        &app,
        post(
            "/v1/identify",
            json!({"image": b64(&f.digits[7][1]), "threshold": 0.0}),
            None,
        ),
    )
    .await;
    assert_eq!(v["label"], json!("unknown"));
    let (s, v) = call(
        &app,
        post(
            "/v1/identify",
            json!({"image": b64(&f.digits[7][0]), "top_k": 0}),
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    let del = Request::delete("/v1/gallery/1")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let (s, v) = call(&app, del).await;
    assert_eq!((s, v["entries"].as_u64()), (StatusCode::OK, Some(2)));
    drop(app);

    // A new server on the same directory sees the committed state.
    let again = router(Some(dir.path()), with_token());
    let (_, v) = call(&again, get("/v1/gallery")).await;
    let labels: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, vec!["seven", "zero"]);
    let (_, h) = call(&again, get("/healthz")).await;
    assert_eq!(h["gallery_entries"], json!(2));
    let (_, m) = call(&again, get("/metrics")).await;
    let m = m.as_str().unwrap().to_string();
    assert!(m.contains("twinnet_gallery_entries 2"), "{m}");
    assert!(m.contains("route=\"/healthz\",status=\"200\""), "{m}");
    let (_, doc) = call(&again, get("/openapi.json")).await;
    for path in [
        "/v1/embed",
        "/v1/verify",
        "/v1/identify",
        "/v1/gallery",
        "/v1/gallery/{id}",
        "/healthz",
        "/metrics",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_forward_passes() {
    let f = fixture();
    let batches = Arc::new(AtomicUsize::new(0));
    let counted = batches.clone();
    let model = Embedder::load(&f.model).unwrap();
    let kind = model.input_kind();
    let batcher = Batcher::start(model, 512, 1024, move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    let item = |c: usize, i: usize| {
        twinnet::embedder::prepare(
            kind,
            &Input::ImageBytes {
                bytes: f.digits[c][i].clone(),
                name: "x".into(),
            },
        )
        .unwrap()
    };
    // One large request first, then 31 single ones queued while it computes.
    let big = batcher.embed((0..256).map(|k| item(k % 10, k % 3)).collect());
    let singles = (0..31).map(|k| batcher.embed(vec![item(k % 10, 0)]));
    let (big, singles) = tokio::join!(big, futures_join_all(singles.collect()));
    let passes = batches.load(Ordering::SeqCst);
    assert_eq!(big.unwrap().len(), 256);
    assert!(
        passes < 32,
        "no batching: 32 concurrent requests took {passes} forward passes"
    );
    // Each request got its own rows back, not a neighbour's.
    for (k, got) in singles.into_iter().enumerate() {
        let alone = batcher.embed(vec![item(k % 10, 0)]).await.unwrap();
        assert_eq!(
            got.unwrap(),
            alone,
            "request {k} got another request's rows"
        );
    }
}

/// Polls futures concurrently in this task, in order, so each sends its request on its first
/// poll before any answer arrives.
async fn futures_join_all<F: std::future::Future>(fs: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = fs.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, r) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *r = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_request_in_flight() {
    let f = fixture();
    let app = router(None, ServeOptions::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, async {
        let _ = stopped.await;
    }));
    // A request whose body is half sent when the shutdown starts: it must still be answered.
    let body = json!({"image": b64(&f.digits[4][0])}).to_string();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/embed HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(first).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        !server.is_finished(),
        "the server must wait for the request in flight"
    );
    conn.write_all(rest).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"embeddings\""), "{answer}");
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("server stops after the request")
        .unwrap()
        .unwrap();
    // And it no longer accepts connections.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_model_is_served_too() {
    let Some(dir) = common::minilm_dir() else {
        return;
    };
    let gallery = tempfile::tempdir().unwrap();
    let model = Embedder::load(&dir).unwrap();
    let direct = model
        .embed(&[Input::Text("A cat sits on the mat.".into())])
        .unwrap();
    let g = model
        .open_gallery(gallery.path().to_str().unwrap(), DEFAULT_INDEX_ABOVE)
        .unwrap();
    let app = app(model, Some(g), &with_token()).unwrap();
    let (s, v) = call(
        &app,
        post("/v1/embed", json!({"text": "A cat sits on the mat."}), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got: Vec<f32> = serde_json::from_value(v["embeddings"][0].clone()).unwrap();
    assert_eq!(got.len(), 384);
    assert!(got
        .iter()
        .zip(&direct[0])
        .all(|(a, b)| (a - b).abs() < 1e-5));
    // An image sent to a text model is refused with a reason.
    let (s, v) = call(&app, post("/v1/embed", json!({"image": b64(b"x")}), None)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(error_of(&v).contains("text model"), "{v}");
    // Enrol two sentences, identify a paraphrase (explicit threshold: MiniLM has none).
    for (label, text) in [
        ("cat", "A cat sits on the mat."),
        ("stocks", "Share prices fell sharply today."),
    ] {
        let (s, v) = call(
            &app,
            post(
                "/v1/gallery",
                json!({"label": label, "text": text}),
                Some(TOKEN),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = call(
        &app,
        post(
            "/v1/identify",
            json!({"text": "The stock market dropped a lot today.", "threshold": 0.6}),
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["label"], json!("stocks"), "{v}");
    let (s, v) = call(
        &app,
        post("/v1/identify", json!({"text": "anything"}), None),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "no threshold: {v}");
}
