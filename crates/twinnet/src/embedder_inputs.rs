//! What an embed request names, checked against the model's kind, and the rows it prints:
//! one place for the rules every front end (CLI, Python) follows.

use crate::data::read_text_lines;
use crate::embedder::{Embedder, Input, InputKind};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

impl Embedder {
    /// The inputs to embed: image `files` for an image model; `texts` and the lines of
    /// `text_file` (`-`: standard input) for a text model. Inputs of the other kind, or none at
    /// all, are an error naming the model `name`.
    pub fn gather_inputs(
        &self,
        name: &str,
        files: &[PathBuf],
        texts: &[String],
        text_file: Option<&Path>,
    ) -> Result<Vec<Input>> {
        let mut inputs: Vec<Input> = Vec::new();
        if self.input_kind() == InputKind::Text {
            if !files.is_empty() {
                bail!("{name} is a text model; give texts with `text` or `text-file`, not files");
            }
            inputs.extend(texts.iter().cloned().map(Input::Text));
            if let Some(file) = text_file {
                inputs.extend(read_text_lines(file)?.into_iter().map(Input::Text));
            }
            if inputs.is_empty() {
                bail!("no texts given (use `text` or `text-file`)");
            }
        } else {
            if !texts.is_empty() || text_file.is_some() {
                bail!("{name} is an image model; `text` and `text-file` need a text model");
            }
            if files.is_empty() {
                bail!("no input files given");
            }
            inputs.extend(files.iter().cloned().map(Input::ImageFile));
        }
        Ok(inputs)
    }

    /// The two inputs of a verification: image files, or with `as_text` the two arguments as
    /// texts, which a text model needs and an image model refuses.
    pub fn pair_inputs(&self, name: &str, a: &Path, b: &Path, as_text: bool) -> Result<[Input; 2]> {
        let text = self.input_kind() == InputKind::Text;
        match (text, as_text) {
            (true, false) => bail!("{name} is a text model; pass `text` to compare two texts"),
            (false, true) => bail!("{name} is an image model; `text` needs a text model"),
            _ => {}
        }
        let input = |p: &Path| -> Result<Input> {
            if !text {
                return Ok(Input::ImageFile(p.to_path_buf()));
            }
            let s = p
                .to_str()
                .ok_or_else(|| anyhow::anyhow!("a text argument is not valid UTF-8"))?;
            Ok(Input::Text(s.to_string()))
        };
        Ok([input(a)?, input(b)?])
    }
}

/// One embedded input as programs read it: `text` for a text, `input` for a file.
#[derive(Debug, Clone, Serialize)]
pub struct Embedded {
    /// The text embedded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The file embedded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// Its embedding.
    pub embedding: Vec<f32>,
}

impl Embedded {
    /// The rows of `inputs` and their `embeddings`, in order.
    pub fn rows(inputs: &[Input], embeddings: Vec<Vec<f32>>) -> Vec<Self> {
        inputs
            .iter()
            .zip(embeddings)
            .map(|(i, embedding)| {
                let (text, input) = match i {
                    Input::Text(t) => (Some(t.clone()), None),
                    other => (None, Some(other.describe())),
                };
                Self {
                    text,
                    input,
                    embedding,
                }
            })
            .collect()
    }
}
