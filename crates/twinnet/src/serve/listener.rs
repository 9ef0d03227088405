//! The accept loop: hyper HTTP/1 connections with the limits `axum::serve` leaves open.
//!
//! A client that sends half a request head and waits would otherwise hold its connection (and a
//! file descriptor) forever, and a few thousand of them exhaust the process and block a graceful
//! shutdown. Here every connection must finish each request head within `header_timeout` (which
//! also closes keep-alive connections idle that long), at most `max_connections` are served at
//! once (the rest wait in the kernel's backlog), and a shutdown waits at most
//! `shutdown_deadline` for the requests in flight.

use super::error_io::JsonErrorIo;
use anyhow::{Context, Result};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// What one client may hold, and how long a shutdown waits.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Longest a client may take to send a request head, and to stay idle between requests.
    pub header_timeout: Duration,
    /// Connections served at once; further clients wait to be accepted.
    pub max_connections: usize,
    /// Largest request head (request line and headers); 431 above.
    pub max_header_bytes: usize,
    /// Longest a shutdown waits for the requests in flight before it closes their connections.
    pub shutdown_deadline: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            max_connections: 512,
            max_header_bytes: 64 << 10,
            shutdown_deadline: Duration::from_secs(30),
        }
    }
}

/// Serves `router` on `listener` with the default [`ConnectionLimits`] until `shutdown`
/// completes, then finishes the requests in flight and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    serve_with_limits(listener, router, shutdown, &ConnectionLimits::default()).await
}

/// [`serve`] with these limits.
pub async fn serve_with_limits(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: &ConnectionLimits,
) -> Result<()> {
    if limits.max_connections == 0 {
        anyhow::bail!("`max-connections` must be at least 1");
    }
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.context("connection permits closed")?,
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                router.clone().oneshot(req.map(axum::body::Body::new))
            });
        let io = TokioIo::new(JsonErrorIo::new(stream));
        let conn = graceful.watch(http.serve_connection(io, service));
        connections.spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection ended: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    let open = connections.len();
    if tokio::time::timeout(limits.shutdown_deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "shutdown: requests still in flight after {:?}; closing their connections",
            limits.shutdown_deadline
        );
    }
    tracing::info!("shutdown: {open} connection(s) were open");
    connections.shutdown().await;
    Ok(())
}

/// Runs the service on `addr` on its own runtime until SIGTERM or Ctrl-C; `listening` is told
/// the bound address first (port 0 picks a free one).
pub fn run_until_signal(
    addr: &str,
    router: Router,
    limits: &ConnectionLimits,
    listening: impl FnOnce(SocketAddr),
) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        listening(listener.local_addr()?);
        serve_with_limits(listener, router, shutdown_signal(), limits).await
    })
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
