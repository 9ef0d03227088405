//! CSV and JSON Lines versions of the text files, read into the same rows as the TSV ones, so
//! headers, targets and errors work alike. `.csv`: RFC 4180 (quoted fields may hold commas,
//! quotes and line breaks). `.jsonl`: one JSON array per line (`["a", "b", 1]`), or one object
//! per line with sentence-transformers' column names: `text_a`/`text_b` or
//! `sentence1`/`sentence2` with `label` or `score`, `anchor`/`positive`/`negative`, and
//! `label`/`text`.

use anyhow::{bail, Context, Result};

/// Rows of `columns` cells with their 1-based line numbers.
pub(super) type Rows = Vec<(usize, Vec<String>)>;

/// The records of a CSV file; a record's line is where it starts.
pub(super) fn csv_rows(bytes: &[u8], name: &str, columns: usize) -> Result<Rows> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            anyhow::anyhow!("{name}, line {line}: not valid CSV ({e})")
        })?;
        let line = record.position().map_or(0, |p| p.line()) as usize;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if record.len() != columns {
            bail!(
                "{name}, line {line}: expected {columns} comma-separated columns, found {}",
                record.len()
            );
        }
        out.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(out)
}

/// Key sets an object row may use, for files of `columns` columns, in column order.
fn key_sets(columns: usize) -> &'static [&'static [&'static str]] {
    match columns {
        3 => &[
            &["text_a", "text_b", "label"],
            &["text_a", "text_b", "score"],
            &["sentence1", "sentence2", "label"],
            &["sentence1", "sentence2", "score"],
            &["anchor", "positive", "negative"],
        ],
        2 => &[&["label", "text"]],
        _ => &[],
    }
}

/// The lines of a JSON Lines file.
pub(super) fn jsonl_rows(bytes: &[u8], name: &str, columns: usize) -> Result<Rows> {
    let text = std::str::from_utf8(bytes).with_context(|| format!("{name}: not UTF-8"))?;
    let cell = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{name}, line {}", i + 1);
        let value: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("{at}: not JSON"))?;
        let cells: Vec<String> = match &value {
            serde_json::Value::Array(items) => items.iter().map(cell).collect(),
            serde_json::Value::Object(map) => {
                let Some(keys) = key_sets(columns)
                    .iter()
                    .find(|ks| ks.iter().all(|k| map.contains_key(*k)))
                else {
                    let want: Vec<String> =
                        key_sets(columns).iter().map(|ks| ks.join("/")).collect();
                    bail!("{at}: an object needs the keys {}", want.join(" or "));
                };
                keys.iter().map(|k| cell(&map[*k])).collect()
            }
            _ => bail!("{at}: expected a JSON array or object"),
        };
        if cells.len() != columns {
            bail!("{at}: expected {columns} values, found {}", cells.len());
        }
        out.push((i + 1, cells));
    }
    Ok(out)
}
