//! Writing results to standard output without `println!`'s panic when the reader has gone
//! (`twinnet … | head`).

use std::io::Write;

/// Standard output was closed by its reader: not a failure of the work that printed, so a
/// front end exits quietly with success, as `cat` and ripgrep do.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

/// Writes `text` and a newline to standard output and flushes; a closed pipe is
/// [`StdoutClosed`], any other failure an error that says it was standard output.
pub fn print_line(text: impl std::fmt::Display) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}
