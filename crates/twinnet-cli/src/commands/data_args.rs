//! The evaluation-data flags `eval`, `oneshot` and `plot` share.

use twinnet::data::{parse_class_list, Split};
use twinnet::eval::EvalData;

/// Which data to evaluate on.
#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// Evaluation data: an IDX folder, an image folder, a pair list or signatures:DIR (see
    /// `train --help`);
    /// one-shot needs class labels. For a text model (`eval`): a TSV of text pairs
    /// `text_a<TAB>text_b<TAB>label or score`.
    #[arg(long)]
    pub data: String,
    /// IDX split.
    #[arg(long, default_value = "test")]
    pub split: Split,
    /// Comma-separated class names to keep (default: all).
    #[arg(long)]
    pub classes: Option<String>,
    /// Image folders: how many folder levels down the classes sit (2 for alphabet/character).
    #[arg(long, default_value_t = 1)]
    pub class_depth: usize,
}

impl DataArgs {
    /// The flags as the library's evaluation data.
    pub fn eval_data(&self) -> EvalData {
        EvalData {
            spec: self.data.clone(),
            split: self.split,
            classes: self.classes.as_deref().map(parse_class_list),
            class_depth: self.class_depth,
        }
    }
}
