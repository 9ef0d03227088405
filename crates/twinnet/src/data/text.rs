//! Plain-text inputs: one text per line, UTF-8, errors naming the line.

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::Path;

/// Splits `bytes` into lines (`\n` or `\r\n`); every line is one text, an empty line an empty
/// text, and a final newline does not start another. `name` is used in errors.
pub fn text_lines(bytes: &[u8], name: &str) -> Result<Vec<String>> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match std::str::from_utf8(line) {
                Ok(s) => Ok(s.to_string()),
                Err(e) => bail!(
                    "{name}, line {}: not valid UTF-8 (byte {} of the line)",
                    i + 1,
                    e.valid_up_to() + 1
                ),
            }
        })
        .collect()
}

/// Reads one text per line from `path`, or from standard input when `path` is `-`.
pub fn read_text_lines(path: &Path) -> Result<Vec<String>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        return text_lines(&bytes, "standard input");
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    text_lines(&bytes, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::text_lines;

    #[test]
    fn lines_keep_empty_texts_and_name_bad_bytes() {
        assert_eq!(text_lines(b"a\n\nb\r\n", "f").unwrap(), vec!["a", "", "b"]);
        assert_eq!(text_lines(b"a\nb", "f").unwrap(), vec!["a", "b"]);
        assert_eq!(text_lines(b"\n", "f").unwrap(), vec![""]);
        assert!(text_lines(b"", "f").unwrap().is_empty());
        let err = text_lines(b"ok\nbad \xff here\n", "in.txt").unwrap_err();
        assert_eq!(
            err.to_string(),
            "in.txt, line 2: not valid UTF-8 (byte 5 of the line)"
        );
    }
}
