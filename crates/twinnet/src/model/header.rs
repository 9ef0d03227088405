//! The header every model directory's manifest starts with, whatever the model's kind.
//!
//! Image and text models keep different facts (a CNN's input size, a BERT's tokenizer), but
//! every tool that meets a model directory first needs the same three: which kind it is, which
//! layout version wrote it, and which twinnet did. They live in one typed header, flattened into
//! both manifests (the JSON keys stay `format`, `format_version`, `twinnet_version`), and one
//! check refuses a foreign or too-new manifest with the same message for both kinds.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `format` of an image (or vector) model's manifest.
pub const IMAGE_FORMAT: &str = "twinnet-model";
/// `format` of a text model's manifest.
pub const TEXT_FORMAT: &str = "twinnet-text-model";
/// `format` of a tracking model's manifest.
pub const TRACKER_FORMAT: &str = "twinnet-tracker";

/// What a model directory holds, which decides the loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// A CNN or MLP tower over images or vectors.
    Image,
    /// A BERT-style text tower with its tokenizer.
    Text,
    /// A SiamFC tracking network.
    Tracker,
}

impl ModelKind {
    /// The manifest's `format` string for this kind.
    pub fn format(self) -> &'static str {
        match self {
            Self::Image => IMAGE_FORMAT,
            Self::Text => TEXT_FORMAT,
            Self::Tracker => TRACKER_FORMAT,
        }
    }

    /// The kind a `format` string names, if any.
    pub fn from_format(format: &str) -> Option<Self> {
        [Self::Image, Self::Text, Self::Tracker]
            .into_iter()
            .find(|k| k.format() == format)
    }
}

/// The first fields of every manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestHeader {
    /// The kind, as a string (`twinnet-model` or `twinnet-text-model`).
    pub format: String,
    /// Manifest layout version of that kind.
    pub format_version: u32,
    /// twinnet version that wrote the model.
    pub twinnet_version: String,
}

impl ManifestHeader {
    /// The header this twinnet writes for `kind` at layout `version`.
    pub fn current(kind: ModelKind, version: u32) -> Self {
        Self {
            format: kind.format().into(),
            format_version: version,
            twinnet_version: env!("CARGO_PKG_VERSION").into(),
        }
    }

    /// The kind the header names, if it is one of twinnet's.
    pub fn kind(&self) -> Option<ModelKind> {
        ModelKind::from_format(&self.format)
    }

    /// Refuses a manifest at `path` that is not of `kind`, or newer than `newest`.
    ///
    /// ```
    /// use twinnet::model::{ManifestHeader, ModelKind};
    /// let header = ManifestHeader::current(ModelKind::Text, 3);
    /// assert!(header.check("m.json".as_ref(), ModelKind::Text, 3).is_ok());
    /// let err = header.check("m.json".as_ref(), ModelKind::Text, 2).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "m.json: manifest version 3 is newer than this twinnet understands (2)"
    /// );
    /// let err = header.check("m.json".as_ref(), ModelKind::Image, 3).unwrap_err();
    /// assert_eq!(err.to_string(), "m.json: format is 'twinnet-text-model', not 'twinnet-model'");
    /// ```
    pub fn check(&self, path: &Path, kind: ModelKind, newest: u32) -> Result<()> {
        if self.format != kind.format() {
            bail!(
                "{}: format is '{}', not '{}'",
                path.display(),
                self.format,
                kind.format()
            );
        }
        if self.format_version > newest {
            bail!(
                "{}: manifest version {} is newer than this twinnet understands ({newest})",
                path.display(),
                self.format_version
            );
        }
        Ok(())
    }
}

/// Reads just the header of `dir`'s manifest.
pub fn read_header(dir: &Path) -> Result<ManifestHeader> {
    let path = dir.join(super::MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is not a twinnet model: cannot read {}",
            dir.display(),
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{}: invalid manifest", path.display()))
}

/// The kind of model `dir` holds: a twinnet manifest's `format`, or [`ModelKind::Text`] for a
/// sentence-transformers folder (`modules.json`, no manifest); `None` when it is neither.
pub fn model_kind(dir: &Path) -> Option<ModelKind> {
    if dir.join("modules.json").is_file() && !dir.join(super::MANIFEST_FILE).is_file() {
        return Some(ModelKind::Text);
    }
    read_header(dir).ok().and_then(|h| h.kind())
}
