//! Request bodies: JSON, or the same fields as a multipart form (file uploads).
//!
//! A multipart form is turned into the JSON value the endpoint would have received (an image
//! field becomes `{"image": base64}`), so both encodings go through one set of types and one
//! set of checks.

use super::error::ApiError;
use crate::embedder::Input;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use axum::Json;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// One input: an image (base64 of PNG, JPEG, PGM/PPM or BMP bytes) or a text.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct InputBody {
    /// Base64-encoded image file (image models).
    #[serde(default)]
    pub image: Option<String>,
    /// A text (text models).
    #[serde(default)]
    pub text: Option<String>,
}

impl InputBody {
    /// The input, or a 400 naming `field` when it has neither or both.
    pub fn into_input(self, field: &str) -> Result<Input, ApiError> {
        match (self.image, self.text) {
            (Some(b64), None) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .map_err(|e| {
                        ApiError::bad_request(format!("{field}.image is not base64: {e}"))
                    })?;
                Ok(Input::ImageBytes {
                    bytes,
                    name: format!("{field}.image"),
                })
            }
            (None, Some(t)) => Ok(Input::Text(t)),
            (Some(_), Some(_)) => Err(ApiError::bad_request(format!(
                "{field}: give \"image\" or \"text\", not both"
            ))),
            (None, None) => Err(ApiError::bad_request(format!(
                "{field}: give \"image\" (base64) or \"text\""
            ))),
        }
    }
}

/// A request body parsed from JSON or a multipart form into `T`.
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let value = if multipart {
            let form = Multipart::from_request(req, state).await?;
            form_to_json(form).await?
        } else {
            let Json(v) = Json::<Value>::from_request(req, state).await?;
            v
        };
        serde_json::from_value(value)
            .map(Body)
            .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
    }
}

/// Fields that carry an input: a file part is an image, a plain part a text.
const INPUT_FIELDS: [&str; 2] = ["a", "b"];

async fn form_to_json(mut form: Multipart) -> Result<Value, ApiError> {
    let mut out = Map::new();
    while let Some(field) = form.next_field().await? {
        let name = field
            .name()
            .ok_or_else(|| ApiError::bad_request("a multipart field has no name"))?
            .to_string();
        let is_file = field.file_name().is_some()
            || field
                .content_type()
                .is_some_and(|c| !c.starts_with("text/"));
        let bytes = field.bytes().await?;
        let as_text = |bytes: &[u8]| {
            String::from_utf8(bytes.to_vec())
                .map_err(|_| ApiError::bad_request(format!("field {name} is not UTF-8 text")))
        };
        let b64 = || Value::String(base64::engine::general_purpose::STANDARD.encode(&bytes));
        let value = match name.as_str() {
            "image" => b64(),
            n if INPUT_FIELDS.contains(&n) => {
                let mut input = Map::new();
                if is_file {
                    input.insert("image".into(), b64());
                } else {
                    input.insert("text".into(), Value::String(as_text(&bytes)?));
                }
                Value::Object(input)
            }
            "top_k" | "threshold" => {
                let t = as_text(&bytes)?;
                serde_json::from_str::<Value>(t.trim())
                    .ok()
                    .filter(Value::is_number)
                    .ok_or_else(|| ApiError::bad_request(format!("field {name} is not a number")))?
            }
            _ => Value::String(as_text(&bytes)?),
        };
        out.insert(name, value);
    }
    Ok(Value::Object(out))
}
