//! One handle on an image model or a text model, for the commands and the service that take
//! either: galleries and the HTTP API should not care which kind of tower made an embedding.

use crate::data::{
    load_image_bytes_with, load_image_with, raw_image_input, Handwriting, ImageShape, RawImage,
};
use crate::distance::Distance;
pub use crate::embedder_inputs::Embedded;
use crate::gallery::{open_gallery, AnyGallery, ClaimCheck, ClaimScore, Identification};
use crate::model::TwinModel;
use crate::score::Scorer;
#[cfg(feature = "text")]
use crate::text::TextModel;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// An input as a user hands it over.
#[derive(Debug, Clone)]
pub enum Input {
    /// An image file on disk.
    ImageFile(PathBuf),
    /// Encoded image bytes (PNG, JPEG, PGM/PPM, BMP); `name` is used in errors.
    ImageBytes {
        /// The encoded image.
        bytes: Vec<u8>,
        /// How to call it in an error ("field image", an upload's file name).
        name: String,
    },
    /// Pixels decoded already (a numpy array from Python).
    Pixels(RawImage),
    /// A text.
    Text(String),
}

impl Input {
    /// How to name this input to a person (file name, upload name or the text itself).
    pub fn describe(&self) -> String {
        match self {
            Input::ImageFile(p) => p.display().to_string(),
            Input::ImageBytes { name, .. } => name.clone(),
            Input::Pixels(raw) => raw.name.clone(),
            Input::Text(t) => t.clone(),
        }
    }
}

/// An input made ready for the tower: decoded pixels or the text. Preparing is the part that
/// can run in parallel, outside the single model forward pass.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// `[C, H, W]` pixels in `[0, 1]` at the model's input shape.
    Pixels(Vec<f32>),
    /// A text for a text model.
    Text(String),
}

/// What kind of input a model takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputKind {
    /// Images of one shape, through the handwriting preprocessing when there is one.
    Image(ImageShape, Option<Handwriting>),
    /// Texts.
    Text,
}

/// Two inputs compared by a model.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Verification {
    /// Their distance (or a learned head's dissimilarity); lower is more alike.
    pub distance: f32,
    /// The model's calibrated threshold, if it has one.
    pub threshold: Option<f32>,
    /// `distance ≤ threshold`, once there is a threshold.
    pub same: Option<bool>,
}

impl Verification {
    /// This verification decided with threshold `t` instead; `t` must be a finite number.
    pub fn at_threshold(self, t: f32) -> Result<Self> {
        Ok(Self {
            threshold: Some(check_threshold(t)?),
            same: Some(self.distance <= t),
            ..self
        })
    }
}

/// Refuses a decision threshold that is not a finite number (NaN would reject everything and
/// still print a decision).
///
/// ```
/// assert_eq!(twinnet::embedder::check_threshold(0.5).unwrap(), 0.5);
/// assert!(twinnet::embedder::check_threshold(f32::NAN).is_err());
/// ```
pub fn check_threshold(t: f32) -> Result<f32> {
    if !t.is_finite() {
        bail!("`threshold` must be a finite number, not {t}");
    }
    Ok(t)
}

/// A verification of two named inputs: what `twinnet verify` reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    /// First input.
    pub a: String,
    /// Second input.
    pub b: String,
    /// Their distance, the threshold decided with (`null` for a text model that has none
    /// yet) and the decision (`null` without a threshold).
    #[serde(flatten)]
    pub verification: Verification,
}

/// An image or a text model: the one handle the commands, the service and library users load.
///
/// ```
/// use twinnet::data::{Dataset, ImageShape, LabeledImages};
/// use twinnet::{Input, Model, Recipe, Trainer};
///
/// // Train a small tower on two classes of 4×4 images (bright top or bright bottom) and save it.
/// let shape = ImageShape { channels: 1, height: 4, width: 4 };
/// let image = |top: bool, i: usize| -> Vec<f32> {
///     (0..16).map(|k| if (k < 8) == top { 0.9 } else { 0.1 } + 0.01 * (i % 5) as f32).collect()
/// };
/// let pixels = (0..80).flat_map(|i| image(i % 2 == 0, i)).collect();
/// let labels = (0..80).map(|i| i % 2).collect();
/// let data = Dataset::Labeled(LabeledImages {
///     pixels, labels, shape, class_names: vec!["top".into(), "bottom".into()],
/// });
/// let recipe = Recipe::from_toml("tower = \"mlp\"\nhidden = \"16\"\nembedding-dim = 4\nepochs = 3\nbatch-size = 16\nval-pairs = 40\nval-fraction = 0.25").unwrap();
/// let dir = tempfile::tempdir().unwrap();
/// Trainer::new(recipe).fit(data).unwrap().save(dir.path()).unwrap();
///
/// // Load it back, as any command does, and compare images given as PGM bytes.
/// let model = Model::load(dir.path()).unwrap();
/// assert_eq!(model.dim(), 4);
/// let pgm = |top: bool| {
///     let mut b = b"P5 4 4 255\n".to_vec();
///     b.extend(image(top, 0).iter().map(|v| (v * 255.0) as u8));
///     Input::ImageBytes { bytes: b, name: "probe".into() }
/// };
/// let e = model.embed(&[pgm(true), pgm(false)]).unwrap();
/// assert_eq!((e.len(), e[0].len()), (2, 4));
/// assert_eq!(model.verify(&pgm(true), &pgm(true)).unwrap().same, Some(true));
/// assert_eq!(model.verify(&pgm(true), &pgm(false)).unwrap().same, Some(false));
/// ```
pub enum Embedder {
    /// A tower over images (or feature vectors stored as images).
    Image(Box<TwinModel>),
    /// A text tower.
    #[cfg(feature = "text")]
    Text(Box<TextModel>),
}

impl Embedder {
    /// Loads a model directory of either kind (a sentence-transformers folder counts as text).
    pub fn load(dir: &Path) -> Result<Self> {
        match crate::model::model_kind(dir) {
            #[cfg(feature = "text")]
            Some(crate::model::ModelKind::Text) => Ok(Self::Text(Box::new(TextModel::load(dir)?))),
            #[cfg(not(feature = "text"))]
            Some(crate::model::ModelKind::Text) => anyhow::bail!(
                "{} holds a text model; this build of twinnet has no `text` feature",
                dir.display()
            ),
            Some(crate::model::ModelKind::Tracker) => anyhow::bail!(
                "{} holds a tracking model (SiamFC); use `twinnet track`",
                dir.display()
            ),
            // An image model, or not a model at all: the image loader says which.
            _ => Ok(Self::Image(Box::new(TwinModel::load(dir)?))),
        }
    }

    /// A text model with the prompt `text`, or the one named `name`, before every text
    /// ([`TextModel::with_prompt`]); neither given leaves the model as it is. Refused for an
    /// image model.
    pub fn with_prompt(self, name: Option<&str>, text: Option<&str>) -> Result<Self> {
        match self {
            _ if name.is_none() && text.is_none() => Ok(self),
            #[cfg(feature = "text")]
            Self::Text(m) => Ok(Self::Text(Box::new(m.with_prompt(name, text)?))),
            _ => bail!("a prompt is for a text model; this is an image model"),
        }
    }

    /// The input the model takes.
    pub fn input_kind(&self) -> InputKind {
        match self {
            Self::Image(m) => {
                InputKind::Image(m.manifest.input.shape, m.manifest.input.handwriting)
            }
            #[cfg(feature = "text")]
            Self::Text(_) => InputKind::Text,
        }
    }

    /// Architecture and weights hash: what must match for embeddings to be comparable.
    pub fn fingerprint(&self) -> Result<String> {
        Ok(match self {
            Self::Image(m) => format!(
                "{}:{}",
                m.manifest.tower.kind_name(),
                m.manifest.weights.sha256
            ),
            #[cfg(feature = "text")]
            Self::Text(m) => m.fingerprint()?,
        })
    }

    /// Embedding length.
    pub fn dim(&self) -> usize {
        match self {
            Self::Image(m) => m.manifest.tower.embedding_dim(),
            #[cfg(feature = "text")]
            Self::Text(m) => m.manifest.embedding_dim(),
        }
    }

    /// How two embeddings are scored for verification (lower = more alike).
    pub fn scorer(&self) -> Scorer {
        match self {
            Self::Image(m) => m.scorer.clone(),
            #[cfg(feature = "text")]
            Self::Text(m) => Scorer::Distance(m.manifest.distance),
        }
    }

    /// The distance a gallery searches by; a learned pair head has none.
    pub fn search_distance(&self) -> Result<Distance> {
        match self {
            Self::Image(m) if m.manifest.head.is_some() => {
                bail!("a model that scores pairs with a learned head cannot search a gallery by distance")
            }
            Self::Image(m) => Ok(m.manifest.distance),
            #[cfg(feature = "text")]
            Self::Text(m) => Ok(m.manifest.distance),
        }
    }

    /// The calibrated decision threshold, if the model has one.
    pub fn threshold(&self) -> Option<f32> {
        match self {
            Self::Image(m) => Some(m.manifest.threshold),
            #[cfg(feature = "text")]
            Self::Text(m) => m.manifest.threshold,
        }
    }

    /// Decodes an image or checks that a text goes to a text model.
    pub fn prepare(&self, input: &Input) -> Result<Prepared> {
        prepare(self.input_kind(), input)
    }

    /// Embeds prepared inputs in one batched pass, in order.
    pub fn embed_prepared(&self, items: &[Prepared]) -> Result<Vec<Vec<f32>>> {
        self.embed_prepared_counted(items, |_| {})
    }

    /// [`Embedder::embed_prepared`], calling `progress(n)` as each batch of `n` is done.
    fn embed_prepared_counted(
        &self,
        items: &[Prepared],
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        match self {
            Self::Image(m) => {
                let pixels = items
                    .iter()
                    .map(|p| match p {
                        Prepared::Pixels(px) => Ok(px.as_slice()),
                        Prepared::Text(_) => bail!("this is an image model; it cannot embed text"),
                    })
                    .collect::<Result<Vec<_>>>()?;
                let e = m.embed_pixels(&pixels);
                progress(e.len());
                Ok(e)
            }
            #[cfg(feature = "text")]
            Self::Text(m) => {
                let texts = items
                    .iter()
                    .map(|p| match p {
                        Prepared::Text(t) => Ok(t.as_str()),
                        Prepared::Pixels(_) => {
                            bail!("this is a text model; it cannot embed images")
                        }
                    })
                    .collect::<Result<Vec<_>>>()?;
                m.embed_with_progress(&texts, progress)
            }
        }
    }

    /// Embeds inputs, in order.
    pub fn embed(&self, inputs: &[Input]) -> Result<Vec<Vec<f32>>> {
        self.embed_with_progress(inputs, |_| {})
    }

    /// [`Embedder::embed`], calling `progress(n)` as each batch of `n` inputs is done (for a
    /// progress bar over a long list of texts).
    pub fn embed_with_progress(
        &self,
        inputs: &[Input],
        progress: impl FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        let prepared = inputs
            .iter()
            .map(|i| self.prepare(i))
            .collect::<Result<Vec<_>>>()?;
        self.embed_prepared_counted(&prepared, progress)
    }

    /// Compares two inputs: their distance, the threshold and the decision.
    pub fn verify(&self, a: &Input, b: &Input) -> Result<Verification> {
        let e = self.embed(&[a.clone(), b.clone()])?;
        let distance = self.scorer().score(&e[0], &e[1]);
        let threshold = self.threshold();
        Ok(Verification {
            distance,
            threshold,
            same: threshold.map(|t| distance <= t),
        })
    }

    /// [`Embedder::verify`], naming the inputs in the result.
    pub fn verdict(&self, a: &Input, b: &Input) -> Result<Verdict> {
        Ok(Verdict {
            a: a.describe(),
            b: b.describe(),
            verification: self.verify(a, b)?,
        })
    }

    /// Embeds `inputs` and enrols them into `gallery` under `label` (each entry's source is
    /// its input's name); returns their ids.
    pub fn enroll(
        &self,
        gallery: &mut AnyGallery,
        label: &str,
        inputs: &[Input],
    ) -> Result<Vec<u64>> {
        if inputs.is_empty() {
            bail!("nothing to enrol");
        }
        let items = inputs
            .iter()
            .zip(self.embed(inputs)?)
            .map(|(input, e)| (label.to_string(), input.describe(), e))
            .collect();
        gallery.add(items)
    }

    /// Who `input` is among `gallery`'s entries: the `top_k` nearest, and the best match's label
    /// if it lies within `threshold` (the model's calibrated one when `None`), else "unknown".
    pub fn identify(
        &self,
        gallery: &AnyGallery,
        input: &Input,
        top_k: usize,
        threshold: Option<f32>,
    ) -> Result<Identification> {
        let Some(threshold) = threshold.or(self.threshold()) else {
            bail!("the model has no calibrated threshold; give `threshold`");
        };
        check_threshold(threshold)?;
        if top_k == 0 {
            bail!("`top-k` must be at least 1");
        }
        let query = self.embed(std::slice::from_ref(input))?.remove(0);
        let matches = gallery.search(&query, top_k)?;
        Ok(Identification::decide(matches, threshold))
    }

    /// Whether `input` is who it claims to be: compared with every reference enrolled as
    /// `claim` in `gallery`, scored by `score`, accepted within `threshold` (the model's
    /// calibrated one when `None`).
    pub fn verify_claim(
        &self,
        gallery: &AnyGallery,
        input: &Input,
        claim: &str,
        score: ClaimScore,
        threshold: Option<f32>,
    ) -> Result<ClaimCheck> {
        let Some(threshold) = threshold.or(self.threshold()) else {
            bail!("the model has no calibrated threshold; give `threshold`");
        };
        check_threshold(threshold)?;
        let query = self.embed(std::slice::from_ref(input))?.remove(0);
        ClaimCheck::decide(claim, gallery.label_hits(&query, claim)?, score, threshold)
    }

    /// Opens (or starts) the gallery `spec` names — a directory or a `postgres://` URL — for
    /// this model's embeddings; a directory gallery is indexed from `index_above` entries.
    pub fn open_gallery(&self, spec: &str, index_above: usize) -> Result<AnyGallery> {
        open_gallery(
            spec,
            &self.fingerprint()?,
            self.dim(),
            self.search_distance()?,
            index_above,
        )
    }
}

/// [`Embedder::prepare`] without the model, for threads that only know its input kind.
pub fn prepare(kind: InputKind, input: &Input) -> Result<Prepared> {
    match (kind, input) {
        (InputKind::Image(shape, hw), Input::ImageFile(p)) => {
            Ok(Prepared::Pixels(load_image_with(p, shape, hw.as_ref())?))
        }
        (InputKind::Image(shape, hw), Input::ImageBytes { bytes, name }) => Ok(Prepared::Pixels(
            load_image_bytes_with(bytes, shape, hw.as_ref(), name)?,
        )),
        (InputKind::Image(shape, hw), Input::Pixels(raw)) => {
            Ok(Prepared::Pixels(raw_image_input(raw, shape, hw.as_ref())?))
        }
        (InputKind::Text, Input::Text(t)) => Ok(Prepared::Text(t.clone())),
        (InputKind::Image(..), Input::Text(_)) => {
            bail!("this is an image model; give an image, not a text")
        }
        (InputKind::Text, _) => bail!("this is a text model; give a text, not an image"),
    }
}
