//! Inputs a hostile client controls are bounded (issue 19): decompression bombs, long texts,
//! slow or malformed request heads, made-up HTTP methods, too many connections, and a shutdown
//! that a stalled client cannot hold up.

use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "common/served.rs"]
mod served;
use served::{b64, fixture};
use twinnet::embedder::Embedder;
use twinnet::serve::{app, serve_with_limits, ConnectionLimits, ServeOptions};

/// A 157-byte PNG that declares 20000 × 20000 pixels.
fn bomb() -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/image/bomb-20000x20000.png");
    std::fs::read(path).unwrap()
}

#[test]
fn a_decompression_bomb_is_refused_before_decoding() {
    let shape = twinnet::data::ImageShape {
        channels: 1,
        height: 28,
        width: 28,
    };
    let err = twinnet::data::load_image_bytes(&bomb(), shape, "upload.png").unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("upload.png declares 20000×20000 pixels"),
        "{message}"
    );
    // As a folder's first image it stops the reader with the file's name, not an abort.
    let dir = tempfile::tempdir().unwrap();
    for class in ["a", "b"] {
        std::fs::create_dir(dir.path().join(class)).unwrap();
    }
    std::fs::write(dir.path().join("a/0.png"), bomb()).unwrap();
    let spec = twinnet::data::DataSpec::parse(&format!("folder:{}", dir.path().display())).unwrap();
    let Err(err) = twinnet::data::load_dataset(&spec, twinnet::data::Split::Train, None, None)
    else {
        panic!("a bomb must not load");
    };
    let message = format!("{err:#}");
    assert!(message.contains("0.png declares 20000×20000"), "{message}");
}

struct Server {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start(limits: ConnectionLimits) -> Server {
    let model = Embedder::load(&fixture().model).unwrap();
    let options = ServeOptions {
        max_text_bytes: 1000,
        ..ServeOptions::default()
    };
    let router = app(model, None, &options).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve_with_limits(listener, router, async { drop(stopped.await) }, &limits).await
    });
    Server {
        addr,
        stop: Some(stop),
        task,
    }
}

/// Sends raw bytes on a fresh connection and reads until the server closes it.
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn post(addr: std::net::SocketAddr, path: &str, body: &Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn json_body(answer: &str) -> Value {
    let (_, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_json_errors_and_bounded_costs() {
    let server = start(ConnectionLimits::default()).await;
    let addr = server.addr;

    let answer = exchange(
        addr,
        &post(addr, "/v1/embed", &json!({"image": b64(&bomb())})),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let error = json_body(&answer)["error"].as_str().unwrap().to_string();
    assert!(error.contains("declares 20000×20000 pixels"), "{error}");

    let long = "word ".repeat(300);
    let answer = exchange(addr, &post(addr, "/v1/embed", &json!({"text": long}))).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        json_body(&answer)["error"]
            .as_str()
            .unwrap()
            .contains("at most 1000 bytes"),
        "{answer}"
    );

    // Errors hyper raises before the router sees the request have JSON bodies too.
    let answer = exchange(addr, b"NOT HTTP AT ALL\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(json_body(&answer)["error"], "bad request");
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nhost: x\r\nx-filler: {}\r\n\r\n",
        "a".repeat(100_000)
    );
    let answer = exchange(addr, huge.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert_eq!(
        json_body(&answer)["error"],
        "request header fields too large"
    );

    // Made-up methods share one metric series.
    for method in ["BREW", "WHEN", "FOO"] {
        let req = format!("{method} /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        let answer = exchange(addr, req.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    }
    let metrics = exchange(
        addr,
        b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(metrics.contains("method=\"other\""), "{metrics}");
    assert!(
        !metrics.contains("BREW") && !metrics.contains("WHEN"),
        "{metrics}"
    );
    drop(server.stop);
    server.task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_time_out_and_cannot_hold_up_a_shutdown() {
    let limits = ConnectionLimits {
        header_timeout: Duration::from_millis(500),
        max_connections: 2,
        shutdown_deadline: Duration::from_secs(1),
        ..ConnectionLimits::default()
    };
    let mut server = start(limits).await;
    let addr = server.addr;
    let health = b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";

    // A half-sent head is closed after the header timeout.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost:")
        .await
        .unwrap();
    let t = Instant::now();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest))
        .await
        .expect("closed by the header timeout")
        .ok();
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );

    // Two stalled clients fill the cap: a third waits, and is served once one of them goes.
    let mut a = TcpStream::connect(addr).await.unwrap();
    a.write_all(b"GET /he").await.unwrap();
    let mut b = TcpStream::connect(addr).await.unwrap();
    b.write_all(b"GET /he").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    let answer = exchange(addr, health).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "the third client was served beside two stalled ones: {:?}",
        t.elapsed()
    );

    // A stalled client does not hold the shutdown past its deadline.
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"POST /v1/embed HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    server.stop.take().unwrap().send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server.task)
        .await
        .expect("the shutdown deadline ends the wait")
        .unwrap()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(TcpStream::connect(addr).await.is_err());
}
