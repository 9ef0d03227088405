//! The HTTP target: a JSON body sent through the real router (extractors, checks, decoding,
//! the model's worker) of a small untrained image model, in process.

use crate::data::ImageShape;
use crate::model::save_model;
use crate::serve::{app, ServeOptions};
use crate::tower::{CnnConfig, TowerConfig};
use crate::Embedder;
use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use std::sync::OnceLock;
use tower::ServiceExt;

/// The endpoints a body can go to; the input's first byte picks one: `e`mbed, `v`erify,
/// `i`dentify or enrol in the `g`allery (any other byte: by its value).
const ENDPOINTS: &[(u8, &str)] = &[
    (b'e', "/v1/embed"),
    (b'v', "/v1/verify"),
    (b'i', "/v1/identify"),
    (b'g', "/v1/gallery"),
];

struct Service {
    _dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    router: Router,
}

fn service() -> &'static Service {
    static S: OnceLock<Service> = OnceLock::new();
    S.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let tower = TowerConfig::Cnn(CnnConfig {
            height: 8,
            width: 8,
            conv_channels: vec![2],
            kernel_size: 3,
            hidden: vec![],
            embedding_dim: 4,
            ..CnnConfig::default()
        });
        let shape = ImageShape {
            channels: 1,
            height: 8,
            width: 8,
        };
        let device = crate::backend::inference_device();
        let built = tower.init(&device).expect("the fuzz tower builds");
        let manifest = super::untrained_manifest(tower, shape);
        let model_dir = dir.path().join("model");
        save_model(&model_dir, &built, manifest).expect("the fuzz model is written");
        let model = Embedder::load(&model_dir).expect("the fuzz model loads");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let options = ServeOptions {
            insecure_no_auth: true,
            ..ServeOptions::default()
        };
        let router = {
            let _guard = runtime.enter();
            app(model, None, &options).expect("the fuzz service starts")
        };
        Service {
            _dir: dir,
            runtime,
            router,
        }
    })
}

/// A request body after one byte naming the endpoint (see `ENDPOINTS`): the answer is a
/// 2xx or 4xx with a JSON body, never a 5xx (a panic in a handler would be a 500).
pub fn http_json(data: &[u8]) {
    http_status(data);
}

/// What [`http_json`] runs, returning the answer's status (`None` for an empty input).
pub fn http_status(data: &[u8]) -> Option<u16> {
    let (&pick, body) = data.split_first()?;
    let s = service();
    let request = Request::builder()
        .method(Method::POST)
        .uri(
            ENDPOINTS
                .iter()
                .find(|(k, _)| *k == pick)
                .unwrap_or(&ENDPOINTS[usize::from(pick) % ENDPOINTS.len()])
                .1,
        )
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_vec()))
        .expect("a request");
    let (status, bytes) = s.runtime.block_on(async {
        let response = s.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .expect("a readable body");
        (status, bytes)
    });
    assert!(
        !status.is_server_error(),
        "{status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(
        serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(),
        "{status}: not JSON: {}",
        String::from_utf8_lossy(&bytes)
    );
    Some(status.as_u16())
}
