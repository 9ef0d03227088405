//! Results as people read them: aligned text tables.
//!
//! Every report type the library returns is `Serialize` (programs read JSON) and `Display`
//! (people read a table), so a front end prints either without knowing the report's fields.
//! The tables live here, one concept away from the computations that fill the reports.

mod stdout;
mod tables;
#[cfg(feature = "text")]
mod text_tables;
mod track_tables;

pub use stdout::{print_line, StdoutClosed};
pub use tables::{embedding_table, entry_table, verdict_table};

use std::fmt;

/// A table with a header row, rendered with aligned columns and a dashed rule.
///
/// ```
/// use twinnet::report::Table;
/// let mut t = Table::new(&["metric", "value"]);
/// t.row(vec!["auc".into(), "0.9990".into()]);
/// assert_eq!(t.to_string(), "metric  value\n------  ------\nauc     0.9990");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) -> &mut Self {
        self.rows.push(cells);
        self
    }

    /// Appends a two-column `name, value` row.
    pub fn pair(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.row(vec![name.into(), value.into()])
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cols = self.header.len();
        let mut width = vec![0; cols];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            for (i, c) in r.iter().enumerate().take(cols) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let line = |r: &Vec<String>| {
            r.iter()
                .enumerate()
                .map(|(i, c)| pad(c, width.get(i).copied().unwrap_or(0)))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        write!(f, "{}", line(&self.header))?;
        let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
        write!(f, "\n{}", rule.join("  "))?;
        for r in &self.rows {
            write!(f, "\n{}", line(r))?;
        }
        Ok(())
    }
}

/// `cell` padded with spaces to `width` characters. By hand, not `format!("{:<w$}")`, whose
/// width must fit in 16 bits: a 70,000-character label would panic there.
fn pad(cell: &str, width: usize) -> String {
    let fill = width.saturating_sub(cell.chars().count());
    let mut s = String::with_capacity(cell.len() + fill);
    s.push_str(cell);
    s.extend(std::iter::repeat_n(' ', fill));
    s
}

/// A rate or score with 4 decimals.
pub fn f4(x: f64) -> String {
    format!("{x:.4}")
}

/// An optional value with 4 decimals, `-` when absent.
pub fn opt4<T: Into<f64>>(x: Option<T>) -> String {
    x.map_or("-".into(), |v| f4(v.into()))
}

/// A progress bar counting `what` (texts, images) on stderr, hidden when `hidden`.
pub fn counter_bar(what: &str, hidden: bool) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:30}} {{pos}}/{{len}} {what} {{per_sec}} eta {{eta}}"
        ))
        .expect("static template"),
    );
    if hidden {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn a_cell_wider_than_16_bits_is_printed_whole() {
        let long = "x".repeat(70_000);
        let mut t = Table::new(&["label", "id"]);
        t.row(vec![long.clone(), "1".into()])
            .row(vec!["a".into(), "2".into()]);
        let text = t.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], format!("{long}  1"));
        assert_eq!(lines[3], format!("a{}  2", " ".repeat(69_999)));
    }
}
