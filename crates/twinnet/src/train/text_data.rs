//! Reading a text training file and its validation pairs, as fine-tuning takes them: the file's
//! format decides the kind of [`TextTrainData`]; validation pairs come from their own file or,
//! for pair files, from a seeded held-out fraction (never from the pairs trained on).

use super::TextTrainData;
use crate::data::{
    read_labeled_texts, read_text_pairs, read_text_triplets, seeded_subset, TextPairs,
};
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What a text training file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextFormat {
    /// `text_a<TAB>text_b<TAB>label or score`.
    #[default]
    Pairs,
    /// `anchor<TAB>positive<TAB>negative`.
    Triplets,
    /// `label<TAB>text`.
    Labeled,
}

impl FromStr for TextFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pairs" => Ok(Self::Pairs),
            "triplets" => Ok(Self::Triplets),
            "labeled" | "labelled" => Ok(Self::Labeled),
            _ => Err(format!("unknown format '{s}' (pairs, triplets, labeled)")),
        }
    }
}

/// Where the training texts and the validation pairs come from.
#[derive(Debug, Clone)]
pub struct TextDataSource {
    /// The training file.
    pub data: PathBuf,
    /// What it holds.
    pub format: TextFormat,
    /// Labelled validation pairs; required for triplets and labelled texts.
    pub val: Option<PathBuf>,
    /// Without `val`: the fraction of a pair file held out for validation.
    pub val_fraction: f64,
    /// Train on at most this many pairs or triplets (a seeded subset).
    pub max_pairs: Option<usize>,
    /// Seed of the held-out split and of the subset.
    pub seed: u64,
}

impl TextDataSource {
    /// Reads the training data and the validation pairs.
    pub fn read(&self) -> Result<(TextTrainData, TextPairs)> {
        let subset = |n: usize| seeded_subset(n, self.max_pairs, self.seed);
        let val = |what: &str| -> Result<TextPairs> {
            match &self.val {
                Some(v) => read_text_pairs(v),
                None => bail!("`format` {what} needs `val` (labelled pairs to validate on)"),
            }
        };
        Ok(match self.format {
            TextFormat::Pairs => {
                let all = read_text_pairs(&self.data)?;
                let (train, val) = match &self.val {
                    Some(v) => (all, read_text_pairs(v)?),
                    None => all.split_validation(self.val_fraction, self.seed)?,
                };
                let train = match subset(train.pairs.len()) {
                    Some(idx) => train.subset(&idx),
                    None => train,
                };
                (TextTrainData::Pairs(train), val)
            }
            TextFormat::Triplets => {
                let mut t = read_text_triplets(&self.data)?;
                if let Some(idx) = subset(t.len()) {
                    t = idx.iter().map(|&i| t[i].clone()).collect();
                }
                (TextTrainData::Triplets(t), val("triplets")?)
            }
            TextFormat::Labeled => {
                let (texts, labels, classes) = read_labeled_texts(&self.data)?;
                let data = TextTrainData::Labeled {
                    texts,
                    labels,
                    classes,
                };
                (data, val("labeled")?)
            }
        })
    }

    /// The training file.
    pub fn path(&self) -> &Path {
        &self.data
    }
}
