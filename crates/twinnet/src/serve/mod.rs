//! The HTTP service: embed, verify, identify and a gallery behind a small JSON API (axum).
//!
//! One worker thread owns the model and micro-batches concurrent requests ([`batcher`]);
//! handlers decode images on the blocking pool, so the async threads only route. Mutations need
//! a bearer token; every error is JSON with a 4xx/5xx status; SIGTERM finishes the requests in
//! flight before the process exits.

pub mod api;
pub mod batcher;
pub mod error;
pub mod error_io;
pub mod input;
mod listener;
pub mod metrics;

pub use listener::{run_until_signal, serve, serve_with_limits, shutdown_signal, ConnectionLimits};

use crate::embedder::Embedder;
use crate::gallery::GalleryStore;
use anyhow::Result;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use batcher::Batcher;
use error::ApiError;
use metrics::Metrics;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

/// A gallery shared by the handlers.
pub type SharedGallery = Arc<RwLock<Box<dyn GalleryStore + Send + Sync>>>;

/// How the service behaves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Bearer token required by mutating endpoints.
    pub token: Option<String>,
    /// Allow mutations without a token (local experiments only).
    pub insecure_no_auth: bool,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Longest a request may take (408 after).
    pub timeout: Duration,
    /// Most inputs in one model forward pass.
    pub max_batch: usize,
    /// Requests waiting for the model before new ones get 503.
    pub queue: usize,
    /// Longest text accepted, in bytes (400 above): a text tower reads only its first
    /// `max_seq_length` tokens, and tokenizing megabytes would hold up every other request.
    pub max_text_bytes: usize,
    /// Header timeout, connection cap and shutdown deadline of the accept loop.
    pub connections: ConnectionLimits,
}

/// Reads a bearer token from a file (surrounding whitespace trimmed), refusing an empty token
/// or one with whitespace inside: a token that cannot be sent in a header must not start a server.
pub fn read_token_file(path: &std::path::Path) -> Result<String> {
    use anyhow::Context;
    let t = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read token file {}", path.display()))?;
    let t = t.trim().to_string();
    if t.is_empty() {
        anyhow::bail!("token file {} is empty", path.display());
    }
    if t.chars().any(char::is_whitespace) {
        anyhow::bail!(
            "token file {} holds whitespace inside the token",
            path.display()
        );
    }
    Ok(t)
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            token: None,
            insecure_no_auth: false,
            max_body_bytes: 8 << 20,
            timeout: Duration::from_secs(30),
            max_batch: 64,
            queue: 1024,
            max_text_bytes: 64 << 10,
            connections: ConnectionLimits::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The model's worker.
    pub batcher: Batcher,
    /// The gallery, when one is served.
    pub gallery: Option<SharedGallery>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Longest text accepted, in bytes.
    pub max_text_bytes: usize,
}

#[derive(Clone)]
struct Auth {
    token: Option<Arc<str>>,
    insecure: bool,
}

/// Builds the service around a model and an optional gallery; starts the model's worker.
pub fn app(
    model: Embedder,
    gallery: Option<Box<dyn GalleryStore + Send + Sync>>,
    options: &ServeOptions,
) -> Result<Router> {
    let metrics = Arc::new(Metrics::default());
    let m = metrics.clone();
    let batcher = Batcher::start(model, options.max_batch, options.queue, move |n| {
        m.observe_batch(n)
    })?;
    if let Some(g) = &gallery {
        metrics.gallery_entries.set(g.len() as i64);
    }
    let state = AppState {
        batcher,
        gallery: gallery.map(|g| Arc::new(RwLock::new(g))),
        metrics: metrics.clone(),
        max_text_bytes: options.max_text_bytes,
    };
    let auth = Auth {
        token: options.token.as_deref().map(Arc::from),
        insecure: options.insecure_no_auth,
    };
    let mutations = Router::new()
        .route("/v1/gallery", post(api::enroll))
        .route("/v1/gallery/{id}", delete(api::remove))
        .route_layer(middleware::from_fn_with_state(auth, require_token));
    Ok(Router::new()
        .route("/v1/embed", post(api::embed))
        .route("/v1/verify", post(api::verify))
        .route("/v1/identify", post(api::identify))
        .route("/v1/gallery", get(api::list))
        .route("/healthz", get(api::health))
        .route("/metrics", get(api::metrics))
        .route("/openapi.json", get(api::openapi))
        .merge(mutations)
        .fallback(|| async { ApiError::not_found("no such endpoint (see /openapi.json)") })
        .with_state(state)
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            options.timeout,
        ))
        .layer(middleware::map_response(json_errors))
        .layer(middleware::from_fn_with_state(metrics, metrics::track)))
}

/// Checks `Authorization: Bearer <token>` on mutating endpoints.
async fn require_token(State(auth): State<Auth>, req: Request, next: Next) -> Response {
    let Some(token) = &auth.token else {
        if auth.insecure {
            return next.run(req).await;
        }
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "changing the gallery is disabled: start the server with --token-file (or \
             --insecure-no-auth)",
        )
        .into_response();
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(g) if constant_time_eq(g.as_bytes(), token.as_bytes()) => next.run(req).await,
        Some(_) => unauthorized("wrong bearer token"),
        None => unauthorized("this endpoint needs an Authorization: Bearer <token> header"),
    }
}

fn unauthorized(message: &str) -> Response {
    let mut r = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

/// Compares without an early exit, so response time does not reveal how much of a guess matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Gives the errors made outside our handlers (timeouts, panics, wrong method) a JSON body too.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let reason = status.canonical_reason().unwrap_or("error").to_lowercase();
        let mut r = ApiError::new(status, reason).into_response();
        for (k, v) in response.headers() {
            if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
                r.headers_mut().insert(k.clone(), v.clone());
            }
        }
        return r;
    }
    response
}
