//! Inputs for the benchmarks from the samples bundled in the repository's `assets/`: test
//! sentences for text models, test digits (as PNG bytes, as a client would upload them) for
//! image models.

use anyhow::Result;
use std::path::{Path, PathBuf};
use twinnet::data::{
    load_dataset, read_text_lines, read_text_pairs, save_item_png, DataSpec, Split,
};
use twinnet::embedder::{Embedder, Input, InputKind};

/// The repository's `assets/` folder.
fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
}

/// Sentences from `file` (one per line), or both columns of the bundled
/// `assets/text-sample/test.tsv`.
pub fn sentences(file: Option<&Path>) -> Result<Vec<String>> {
    if let Some(f) = file {
        return read_text_lines(f);
    }
    let pairs = read_text_pairs(&assets().join("text-sample/test.tsv"))?;
    Ok(pairs.pairs.into_iter().flat_map(|(a, b)| [a, b]).collect())
}

/// 400 inputs of the kind `model` takes.
pub fn inputs_for(model: &Embedder) -> Result<Vec<Input>> {
    if model.input_kind() == InputKind::Text {
        return Ok(sentences(None)?
            .into_iter()
            .take(400)
            .map(Input::Text)
            .collect());
    }
    let sample = assets().join("mnist-sample");
    let spec = DataSpec::parse(sample.to_str().unwrap_or_default())?;
    let data = load_dataset(&spec, Split::Test, None, None)?;
    let tmp = tempfile::tempdir()?;
    (0..400)
        .map(|i| {
            let path = tmp.path().join(format!("{i}.png"));
            save_item_png(data.item(i), data.shape(), &path)?;
            let bytes = std::fs::read(&path)?;
            let name = format!("digit {i}");
            Ok(Input::ImageBytes { bytes, name })
        })
        .collect()
}
