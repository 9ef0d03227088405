//! Text training and evaluation files (TSV, UTF-8; `.csv` and `.jsonl` too, see
//! [`text_formats`](super::text_formats)): pairs with a label or a score, triplets, and labelled
//! texts. Every error names the file and line.
//!
//! - pairs: `text_a<TAB>text_b<TAB>target`. Targets that are all 0/1 are labels (1 = same).
//!   Otherwise they are similarity scores, normalised to [0, 1]: kept as they are when none
//!   exceeds 1, divided by 5 when none exceeds 5 (the STS-B scale), refused beyond that.
//! - triplets: `anchor<TAB>positive<TAB>negative`.
//! - labelled texts: `label<TAB>text` (texts with equal labels are positives of each other).
//!
//! A first line is a header when its target column is not a number (pairs) or when it names
//! the columns (`anchor`, `label`); empty lines are skipped. A pair header says what the
//! targets are: a third column named `label` (or `labels`) makes every target a 0/1 label, one
//! named `score` (or `scores`, `similarity`) makes them scores. Without one, a file whose targets
//! are nearly all 0/1 but for a few other values is refused, naming the first such line: one
//! stray 3 must not silently turn every label into a score.

use super::text_lines;
use crate::sampling::{rng_for, stream};
use anyhow::{bail, Context, Result};
use rand::seq::SliceRandom;
use std::path::Path;

/// What the third column of a pair file means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PairTarget {
    /// 1 = same, 0 = different.
    Labels,
    /// Similarity in [0, 1] (after normalising).
    Scores,
}

/// Text pairs with their targets.
#[derive(Debug, Clone)]
pub struct TextPairs {
    /// `(text_a, text_b)`.
    pub pairs: Vec<(String, String)>,
    /// 1/0 labels, or scores in [0, 1].
    pub targets: Vec<f32>,
    /// How to read `targets`.
    pub kind: PairTarget,
}

impl TextPairs {
    /// Labels as booleans (`target ≥ 0.5` for scores).
    pub fn same(&self) -> Vec<bool> {
        self.targets.iter().map(|&t| t >= 0.5).collect()
    }

    /// The pairs at the positions `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Self {
        Self {
            pairs: idx.iter().map(|&i| self.pairs[i].clone()).collect(),
            targets: idx.iter().map(|&i| self.targets[i]).collect(),
            kind: self.kind,
        }
    }

    /// Holds a seeded `fraction` of the pairs out for validation: `(training, validation)`.
    ///
    /// ```
    /// use twinnet::data::{PairTarget, TextPairs};
    /// let p = TextPairs {
    ///     pairs: (0..10).map(|i| (format!("a{i}"), format!("b{i}"))).collect(),
    ///     targets: (0..10).map(|i| (i % 2) as f32).collect(),
    ///     kind: PairTarget::Labels,
    /// };
    /// let (train, val) = p.split_validation(0.2, 0).unwrap();
    /// assert_eq!((train.pairs.len(), val.pairs.len()), (8, 2));
    /// assert_eq!(p.split_validation(0.2, 0).unwrap().1.pairs, val.pairs); // seeded
    /// assert!(p.split_validation(0.01, 0).is_err()); // no pair would be held out
    /// ```
    pub fn split_validation(&self, fraction: f64, seed: u64) -> Result<(Self, Self)> {
        if !(0.0..1.0).contains(&fraction) {
            anyhow::bail!("`val-fraction` must be in [0, 1), not {fraction}");
        }
        let n_val = ((self.pairs.len() as f64) * fraction).round() as usize;
        if n_val == 0 {
            anyhow::bail!("no validation pairs: give validation pairs or a larger `val-fraction`");
        }
        let mut order: Vec<usize> = (0..self.pairs.len()).collect();
        order.shuffle(&mut rng_for(seed, stream::SPLIT, 0));
        let (v, t) = order.split_at(n_val);
        Ok((self.subset(t), self.subset(v)))
    }
}

/// A seeded subset of at most `max` of `n` positions, in their original order; `None` when
/// all `n` are kept.
///
/// ```
/// let keep = twinnet::data::seeded_subset(10, Some(4), 0).unwrap();
/// assert_eq!(keep.len(), 4);
/// assert!(keep.windows(2).all(|w| w[0] < w[1]));
/// assert_eq!(twinnet::data::seeded_subset(10, Some(20), 0), None);
/// ```
pub fn seeded_subset(n: usize, max: Option<usize>, seed: u64) -> Option<Vec<usize>> {
    let cap = max.filter(|&m| m < n)?;
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut rng_for(seed, stream::TRAIN, 0));
    idx.truncate(cap);
    idx.sort_unstable();
    Some(idx)
}

fn rows(path: &Path, columns: usize) -> Result<Vec<(usize, Vec<String>)>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let out = match ext.as_deref() {
        Some("csv") => super::text_formats::csv_rows(&bytes, &name, columns)?,
        Some("jsonl" | "ndjson") => super::text_formats::jsonl_rows(&bytes, &name, columns)?,
        _ => tsv_rows(&bytes, &name, columns)?,
    };
    if out.is_empty() {
        bail!("{name}: no rows");
    }
    Ok(out)
}

fn tsv_rows(bytes: &[u8], name: &str, columns: usize) -> Result<Vec<(usize, Vec<String>)>> {
    let mut out = Vec::new();
    for (i, line) in text_lines(bytes, name)?.into_iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<String> = line.split('\t').map(str::to_string).collect();
        if cells.len() != columns {
            bail!(
                "{name}, line {}: expected {columns} tab-separated columns, found {}",
                i + 1,
                cells.len()
            );
        }
        out.push((i + 1, cells));
    }
    Ok(out)
}

/// What a pair header's third column says the targets are, if it names them.
fn declared_target(column: &str) -> Option<PairTarget> {
    match column.trim().to_ascii_lowercase().as_str() {
        "label" | "labels" | "is_same" | "same" => Some(PairTarget::Labels),
        "score" | "scores" | "similarity" => Some(PairTarget::Scores),
        _ => None,
    }
}

fn drop_header(rows: &mut Vec<(usize, Vec<String>)>, is_header: impl Fn(&[String]) -> bool) {
    if rows.first().is_some_and(|(_, c)| is_header(c)) {
        rows.remove(0);
    }
}

/// Reads a pair file (see the module docs for targets and headers).
pub fn read_text_pairs(path: &Path) -> Result<TextPairs> {
    let mut rows = rows(path, 3)?;
    let is_header = |c: &[String]| c[2].trim().parse::<f32>().is_err();
    let declared = rows
        .first()
        .filter(|(_, c)| is_header(c))
        .and_then(|(_, c)| declared_target(&c[2]));
    drop_header(&mut rows, is_header);
    let name = path.display();
    let mut pairs = Vec::with_capacity(rows.len());
    let mut targets = Vec::with_capacity(rows.len());
    let mut lines = Vec::with_capacity(rows.len());
    for (line, c) in rows {
        let t: f32 = c[2]
            .trim()
            .parse()
            .ok()
            .filter(|t: &f32| t.is_finite())
            .with_context(|| format!("{name}, line {line}: target '{}' is not a number", c[2]))?;
        if t < 0.0 {
            bail!("{name}, line {line}: target {t} is negative");
        }
        let mut cells = c.into_iter();
        pairs.push((cells.next().unwrap(), cells.next().unwrap()));
        targets.push(t);
        lines.push(line);
    }
    if pairs.is_empty() {
        bail!("{name}: no pairs after the header");
    }
    let is_label = |t: f32| t == 0.0 || t == 1.0;
    let first_other = targets.iter().position(|&t| !is_label(t));
    let kind = match (declared, first_other) {
        (Some(PairTarget::Labels), Some(k)) => bail!(
            "{name}, line {}: target {} is not a label (the header says labels: 0 or 1)",
            lines[k],
            targets[k]
        ),
        (Some(kind), _) => kind,
        (None, None) => PairTarget::Labels,
        (None, Some(k)) => {
            let labels = targets.iter().filter(|&&t| is_label(t)).count();
            if labels * 10 >= targets.len() * 9 {
                bail!(
                    "{name}, line {}: target {} among {labels} of {} rows that are 0/1 labels; \
                     fix the line, or name the third column in a header (`label` or `score`) \
                     to say which the file holds",
                    lines[k],
                    targets[k],
                    targets.len()
                );
            }
            PairTarget::Scores
        }
    };
    let max = targets.iter().copied().fold(0.0f32, f32::max);
    if kind == PairTarget::Scores && max > 1.0 {
        if max > 5.0 {
            bail!("{name}: scores go up to {max}; expected labels 0/1 or scores in 0–1 or 0–5");
        }
        targets.iter_mut().for_each(|t| *t /= 5.0);
    }
    Ok(TextPairs {
        pairs,
        targets,
        kind,
    })
}

/// Reads `anchor<TAB>positive<TAB>negative` rows.
pub fn read_text_triplets(path: &Path) -> Result<Vec<[String; 3]>> {
    let mut rows = rows(path, 3)?;
    drop_header(&mut rows, |c| c[0].trim().eq_ignore_ascii_case("anchor"));
    Ok(rows
        .into_iter()
        .map(|(_, c)| {
            let mut c = c.into_iter();
            [c.next().unwrap(), c.next().unwrap(), c.next().unwrap()]
        })
        .collect())
}

/// Reads `label<TAB>text` rows; returns the texts and a class index per text (classes in order
/// of first appearance) with the class names.
pub fn read_labeled_texts(path: &Path) -> Result<(Vec<String>, Vec<usize>, Vec<String>)> {
    let mut rows = rows(path, 2)?;
    drop_header(&mut rows, |c| c[0].trim().eq_ignore_ascii_case("label"));
    let mut names: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for (_, c) in rows {
        let mut c = c.into_iter();
        let (label, text) = (c.next().unwrap(), c.next().unwrap());
        let k = *index.entry(label.clone()).or_insert_with(|| {
            names.push(label);
            names.len() - 1
        });
        texts.push(text);
        labels.push(k);
    }
    Ok((texts, labels, names))
}

/// Reads the (anchor, positive) pairs of a file for hard-negative mining: `anchor<TAB>positive`
/// rows (an `anchor` header is skipped), or a labelled pair file whose rows labelled same
/// (target ≥ 0.5) are kept.
pub fn read_positive_pairs(path: &Path) -> Result<Vec<(String, String)>> {
    let two = rows(path, 2);
    let pairs: Vec<(String, String)> = match two {
        Ok(mut rows) => {
            drop_header(&mut rows, |c| c[0].trim().eq_ignore_ascii_case("anchor"));
            rows.into_iter()
                .map(|(_, c)| {
                    let mut c = c.into_iter();
                    (c.next().unwrap(), c.next().unwrap())
                })
                .collect()
        }
        Err(two) => {
            let labelled = read_text_pairs(path).map_err(|three| {
                anyhow::anyhow!("{three:#} (nor is it an anchor/positive file: {two:#})")
            })?;
            let same = labelled.same();
            labelled
                .pairs
                .into_iter()
                .zip(same)
                .filter_map(|(p, s)| s.then_some(p))
                .collect()
        }
    };
    if pairs.is_empty() {
        bail!("{}: no anchor/positive pairs", path.display());
    }
    Ok(pairs)
}

/// Writes `[anchor, positive, negative]` rows atomically, in the format the extension names:
/// `.csv` (quoted where needed), `.jsonl` (`anchor`/`positive`/`negative` objects), else TSV
/// with an `anchor<TAB>positive<TAB>negative` header — the files [`read_text_triplets`] reads.
pub fn write_text_triplets(path: &Path, rows: &[[String; 3]]) -> Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    const HEADER: [&str; 3] = ["anchor", "positive", "negative"];
    let bytes = match ext.as_deref() {
        Some("csv") => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(HEADER)?;
            for r in rows {
                w.write_record(r)?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?
        }
        Some("jsonl" | "ndjson") => rows
            .iter()
            .map(|[a, p, n]| {
                serde_json::json!({"anchor": a, "positive": p, "negative": n}).to_string() + "\n"
            })
            .collect::<String>()
            .into_bytes(),
        _ => {
            let mut out = HEADER.join("\t") + "\n";
            for (i, r) in rows.iter().enumerate() {
                if let Some(t) = r.iter().find(|t| t.contains(['\t', '\n', '\r'])) {
                    bail!(
                        "{}: row {} holds a tab or line break ({t:?}); write .csv or .jsonl",
                        path.display(),
                        i + 1
                    );
                }
                out += &(r.join("\t") + "\n");
            }
            out.into_bytes()
        }
    };
    crate::fsutil::write_atomic(path, &bytes)
}
