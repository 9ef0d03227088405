//! Printing results (tables for people, JSON for programs) and errors (one line, recipe keys
//! as flags).

use serde::Serialize;

/// An error and its causes on one line, outermost first.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = as_flags(cause);
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}

/// The library names recipe keys; on the command line they are flags (`--image-size`).
fn as_flags(cause: &(dyn std::error::Error + 'static)) -> String {
    match cause.downcast_ref::<twinnet::RecipeError>() {
        Some(twinnet::RecipeError::Invalid { key, reason }) => format!("--{key}: {reason}"),
        Some(_) => cause.to_string(),
        None => keys_as_flags(&cause.to_string()),
    }
}

/// Rewrites each recipe key the library quotes as `` `key` `` into `--key`.
fn keys_as_flags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('`') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('`') else { break };
        let word = &after[..end];
        let is_key = word.starts_with(|c: char| c.is_ascii_lowercase())
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        out.push_str(&rest[..start]);
        if is_key {
            out.push_str("--");
            out.push_str(word);
        } else {
            out.push('`');
            out.push_str(word);
            out.push('`');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

pub use twinnet::report::{print_line as say, StdoutClosed};

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    say(serde_json::to_string_pretty(value)?)
}

/// clap's message without its `error: ` prefix, usage and help hint: the one line that says
/// what was wrong with the flags.
pub fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let lines = text.lines().map(str::trim).skip_while(|l| l.is_empty());
    let first: Vec<&str> = lines.take_while(|l| !l.is_empty()).collect();
    first.join(" ").trim_start_matches("error: ").to_string()
}

/// An error on stderr: `{"error": "…"}` for programs (`json`), `error: …` for people.
pub fn print_error(message: &str, json: bool) {
    match json {
        true => eprintln!("{}", serde_json::json!({ "error": message })),
        false => eprintln!("error: {message}"),
    }
}

/// Prints a report: JSON for programs with `json`, else its table for people.
pub fn emit<T: Serialize + std::fmt::Display>(value: &T, json: bool) -> anyhow::Result<()> {
    match json {
        true => print_json(value),
        false => say(value),
    }
}
