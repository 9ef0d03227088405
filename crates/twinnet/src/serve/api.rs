//! The endpoints: request and response types, handlers, and the OpenAPI document made from them.

use super::batcher::BatchError;
use super::error::{ApiError, ErrorBody};
use super::input::{Body, InputBody};
use super::metrics::Metrics;
use super::{AppState, SharedGallery};
use crate::embedder::{prepare, Input, InputKind, Prepared};
use crate::gallery::{Entry, GalleryStore, Hit, Identification};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Most nearest entries one identify request may ask for.
pub const MAX_TOP_K: usize = 1000;
/// Most inputs one embed request may carry.
pub const MAX_INPUTS: usize = 256;

/// `POST /v1/embed`: one input, or several under `inputs`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmbedRequest {
    /// A single input.
    #[serde(flatten)]
    pub input: InputBody,
    /// Several inputs (instead of a single one), embedded in order.
    #[serde(default)]
    pub inputs: Option<Vec<InputBody>>,
}

/// Embeddings, in request order.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmbedResponse {
    /// Embedding length.
    pub dim: usize,
    /// One embedding per input.
    pub embeddings: Vec<Vec<f32>>,
}

/// `POST /v1/verify`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// First input.
    pub a: InputBody,
    /// Second input.
    pub b: InputBody,
    /// Decide with this threshold instead of the model's calibrated one.
    #[serde(default)]
    pub threshold: Option<f32>,
}

/// The decision for a pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    /// The model's pair score (its distance; lower = more alike).
    pub distance: f32,
    /// The threshold decided with; `null` when the model has none and none was given.
    pub threshold: Option<f32>,
    /// `distance ≤ threshold`; `null` without a threshold.
    pub same: Option<bool>,
}

/// `POST /v1/identify`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IdentifyRequest {
    /// The input to identify.
    #[serde(flatten)]
    pub input: InputBody,
    /// How many nearest entries to return (default 5, at most 1000).
    #[serde(default)]
    pub top_k: Option<usize>,
    /// Accept a match up to this distance instead of the model's calibrated threshold.
    #[serde(default)]
    pub threshold: Option<f32>,
}

/// `POST /v1/gallery`: enrol one input under a label.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnrollRequest {
    /// Who or what the input shows.
    pub label: String,
    /// The input.
    #[serde(flatten)]
    pub input: InputBody,
    /// Where it came from, kept for people listing the gallery (default "http").
    #[serde(default)]
    pub source: Option<String>,
}

/// The new entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollResponse {
    /// Its id (for `DELETE /v1/gallery/{id}`).
    pub id: u64,
    /// Its label.
    pub label: String,
    /// Entries in the gallery now.
    pub entries: usize,
}

/// The gallery's entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct GalleryList {
    /// Entries in enrolment order.
    pub entries: Vec<Entry>,
}

/// A removal.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    /// The id removed.
    pub removed: u64,
    /// Entries left.
    pub entries: usize,
}

/// Liveness and what is served.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always "ok" when the server answers.
    pub status: String,
    /// "image" or "text".
    pub model_kind: String,
    /// Embedding length.
    pub dim: usize,
    /// Architecture + weights hash of the model.
    pub fingerprint: String,
    /// Entries in the gallery; `null` without one.
    pub gallery_entries: Option<usize>,
}

impl From<BatchError> for ApiError {
    fn from(e: BatchError) -> Self {
        match e {
            BatchError::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the model's queue is full; retry shortly",
            ),
            BatchError::Stopped => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is shutting down",
            ),
            BatchError::Model(m) => ApiError::bad_request(m),
        }
    }
}

/// Decodes images and tokenizes texts on the blocking pool (in parallel across requests), then
/// embeds them in the model's shared batch. A text over the server's byte cap is refused first.
async fn embed_inputs(state: &AppState, inputs: Vec<Input>) -> Result<Vec<Vec<f32>>, ApiError> {
    let kind = state.batcher.info().kind;
    for (i, input) in inputs.iter().enumerate() {
        if let Input::Text(t) = input {
            if t.len() > state.max_text_bytes {
                return Err(ApiError::bad_request(format!(
                    "text {i} is {} bytes; this server accepts texts of at most {} bytes",
                    t.len(),
                    state.max_text_bytes
                )));
            }
        }
    }
    let prepared = tokio::task::spawn_blocking(move || {
        inputs
            .iter()
            .map(|i| prepare(kind, i))
            .collect::<anyhow::Result<Vec<Prepared>>>()
    })
    .await
    .map_err(|e| ApiError::internal(format!("input decoding failed: {e}")))??;
    Ok(state.batcher.embed(prepared).await?)
}

/// Embed inputs.
#[utoipa::path(post, path = "/v1/embed", request_body = EmbedRequest,
    responses((status = 200, body = EmbedResponse), (status = 400, body = ErrorBody),
              (status = 413, body = ErrorBody)))]
pub async fn embed(
    State(state): State<AppState>,
    Body(req): Body<EmbedRequest>,
) -> Result<Json<EmbedResponse>, ApiError> {
    let single = req.input.image.is_some() || req.input.text.is_some();
    let inputs = match (req.inputs, single) {
        (Some(_), true) => {
            return Err(ApiError::bad_request(
                "give one input (\"image\" or \"text\") or \"inputs\", not both",
            ))
        }
        (Some(list), false) => {
            if list.is_empty() || list.len() > MAX_INPUTS {
                return Err(ApiError::bad_request(format!(
                    "\"inputs\" must hold 1 to {MAX_INPUTS} inputs, not {}",
                    list.len()
                )));
            }
            list.into_iter()
                .enumerate()
                .map(|(i, b)| b.into_input(&format!("inputs[{i}]")))
                .collect::<Result<Vec<_>, _>>()?
        }
        (None, _) => vec![req.input.into_input("body")?],
    };
    let embeddings = embed_inputs(&state, inputs).await?;
    Ok(Json(EmbedResponse {
        dim: state.batcher.info().dim,
        embeddings,
    }))
}

/// Decide whether two inputs show the same class.
#[utoipa::path(post, path = "/v1/verify", request_body = VerifyRequest,
    responses((status = 200, body = VerifyResponse), (status = 400, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    Body(req): Body<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let inputs = vec![req.a.into_input("a")?, req.b.into_input("b")?];
    let e = embed_inputs(&state, inputs).await?;
    let info = state.batcher.info();
    let distance = info.scorer.score(&e[0], &e[1]);
    let threshold = req.threshold.or(info.threshold);
    Ok(Json(VerifyResponse {
        distance,
        threshold,
        same: threshold.map(|t| distance <= t),
    }))
}

fn no_gallery() -> ApiError {
    ApiError::not_found("this server has no gallery (it was started without one)")
}

/// The gallery for reading, with what another process (a CLI `gallery enroll`) committed since
/// read in first.
fn read_fresh<'g>(
    gallery: &'g SharedGallery,
    metrics: &Metrics,
) -> anyhow::Result<std::sync::RwLockReadGuard<'g, Box<dyn GalleryStore + Send + Sync>>> {
    let poisoned = || anyhow::anyhow!("gallery lock poisoned");
    if gallery.read().map_err(|_| poisoned())?.is_stale() {
        let mut g = gallery.write().map_err(|_| poisoned())?;
        if g.refresh()? {
            metrics.gallery_entries.set(g.len() as i64);
        }
    }
    gallery.read().map_err(|_| poisoned())
}

/// Find who an input is among the gallery's entries.
#[utoipa::path(post, path = "/v1/identify", request_body = IdentifyRequest,
    responses((status = 200, body = Identification), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn identify(
    State(state): State<AppState>,
    Body(req): Body<IdentifyRequest>,
) -> Result<Json<Identification>, ApiError> {
    let gallery = state.gallery.clone().ok_or_else(no_gallery)?;
    let top_k = req.top_k.unwrap_or(5);
    if top_k == 0 || top_k > MAX_TOP_K {
        return Err(ApiError::bad_request(format!(
            "top_k must be 1 to {MAX_TOP_K}, not {top_k}"
        )));
    }
    let threshold = req
        .threshold
        .or(state.batcher.info().threshold)
        .ok_or_else(|| {
            ApiError::bad_request("the model has no calibrated threshold; pass \"threshold\"")
        })?;
    let query = embed_inputs(&state, vec![req.input.into_input("body")?])
        .await?
        .remove(0);
    let metrics = state.metrics.clone();
    let matches =
        tokio::task::spawn_blocking(move || read_fresh(&gallery, &metrics)?.search(&query, top_k))
            .await
            .map_err(|e| ApiError::internal(format!("search failed: {e}")))?
            .map_err(|e| ApiError::internal(format!("{e:#}")))?;
    Ok(Json(Identification::decide(matches, threshold)))
}

/// Enrol one input into the gallery (needs the bearer token).
#[utoipa::path(post, path = "/v1/gallery", request_body = EnrollRequest,
    security(("token" = [])),
    responses((status = 201, body = EnrollResponse), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn enroll(
    State(state): State<AppState>,
    Body(req): Body<EnrollRequest>,
) -> Result<(StatusCode, Json<EnrollResponse>), ApiError> {
    let gallery = state.gallery.clone().ok_or_else(no_gallery)?;
    let label = req.label.trim().to_string();
    if label.is_empty() {
        return Err(ApiError::bad_request("label must not be empty"));
    }
    let input = req.input.into_input("body")?;
    let source = req.source.unwrap_or_else(|| match &input {
        Input::Text(t) => t.clone(),
        _ => "http".into(),
    });
    let e = embed_inputs(&state, vec![input]).await?.remove(0);
    let metrics = state.metrics.clone();
    let (id, entries) = tokio::task::spawn_blocking(move || -> anyhow::Result<(u64, usize)> {
        let mut g = gallery
            .write()
            .map_err(|_| anyhow::anyhow!("gallery lock poisoned"))?;
        let id = g.add(vec![(label, source, e)])?[0];
        let n = g.len();
        metrics.gallery_entries.set(n as i64);
        Ok((id, n))
    })
    .await
    .map_err(|e| ApiError::internal(format!("enrolment failed: {e}")))?
    .map_err(|e| ApiError::internal(format!("{e:#}")))?;
    let label = req.label.trim().to_string();
    Ok((
        StatusCode::CREATED,
        Json(EnrollResponse { id, label, entries }),
    ))
}

/// The gallery's entries.
#[utoipa::path(get, path = "/v1/gallery",
    responses((status = 200, body = GalleryList), (status = 404, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<GalleryList>, ApiError> {
    let gallery = state.gallery.clone().ok_or_else(no_gallery)?;
    // A database store blocks on its connection: keep it off the async threads.
    let metrics = state.metrics.clone();
    let entries = tokio::task::spawn_blocking(move || {
        read_fresh(&gallery, &metrics)
            .map(|g| g.entries())
            .map_err(|e| ApiError::internal(format!("{e:#}")))
    })
    .await
    .map_err(|e| ApiError::internal(format!("listing failed: {e}")))??;
    Ok(Json(GalleryList { entries }))
}

/// Remove an entry (needs the bearer token).
#[utoipa::path(delete, path = "/v1/gallery/{id}",
    params(("id" = u64, Path, description = "Entry id")),
    security(("token" = [])),
    responses((status = 200, body = Removed), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    path: Result<Path<u64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Removed>, ApiError> {
    let Path(id) =
        path.map_err(|e| ApiError::bad_request(format!("bad entry id: {}", e.body_text())))?;
    let gallery = state.gallery.clone().ok_or_else(no_gallery)?;
    let metrics = state.metrics.clone();
    let left = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<usize>> {
        let mut g = gallery
            .write()
            .map_err(|_| anyhow::anyhow!("gallery lock poisoned"))?;
        if !g.remove(id)? {
            return Ok(None);
        }
        let n = g.len();
        metrics.gallery_entries.set(n as i64);
        Ok(Some(n))
    })
    .await
    .map_err(|e| ApiError::internal(format!("removal failed: {e}")))?
    .map_err(|e| ApiError::internal(format!("{e:#}")))?;
    match left {
        Some(entries) => Ok(Json(Removed {
            removed: id,
            entries,
        })),
        None => Err(ApiError::not_found(format!(
            "the gallery has no entry {id}"
        ))),
    }
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let info = state.batcher.info();
    Json(Health {
        status: "ok".into(),
        model_kind: match info.kind {
            InputKind::Image(..) => "image".into(),
            InputKind::Text => "text".into(),
        },
        dim: info.dim,
        fingerprint: info.fingerprint.clone(),
        gallery_entries: state
            .gallery
            .as_ref()
            .and_then(|g| g.read().ok().map(|g| g.len())),
    })
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", responses((status = 200, body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI document of the service.
#[derive(OpenApi)]
#[openapi(
    info(title = "twinnet", description = "Embed, verify and identify with a Siamese network."),
    paths(embed, verify, identify, enroll, list, remove, health, metrics),
    components(schemas(InputBody, ErrorBody, Entry, Hit)),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
