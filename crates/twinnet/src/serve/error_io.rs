//! JSON bodies for the errors hyper answers by itself.
//!
//! A request head hyper cannot parse (400) or one too large (431; 414 for a URI too long) never
//! reaches the router: hyper writes a bare status with `content-length: 0` and closes. Clients
//! of this service expect every error as `{"error": …}`, so the connection's writes pass through
//! [`JsonErrorIo`], which recognises exactly that bare response — the router's own errors always
//! carry a JSON body — and writes it again with one.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose bodiless 4xx responses gain a JSON error body.
pub struct JsonErrorIo<S> {
    inner: S,
    /// A rewritten response still to be written, and how much of it is.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> JsonErrorIo<S> {
    /// Wraps a connection.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

impl<S: AsyncWrite + Unpin> JsonErrorIo<S> {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, done)) = &mut self.pending {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
            if *done == bytes.len() {
                self.pending = None;
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonErrorIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonErrorIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_drain(cx))?;
        if let Some(rewritten) = with_json_body(buf) {
            self.pending = Some((rewritten, 0));
            // The caller's bytes are taken; the rewritten ones go out on the next drain.
            let _ = self.poll_drain(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    /// One buffer per write, so a response head arrives whole in [`Self::poll_write`].
    fn is_write_vectored(&self) -> bool {
        false
    }
}

/// `bytes` again with a JSON error body, when they are exactly a bodiless 4xx response.
///
/// ```
/// use twinnet::serve::error_io::with_json_body;
/// let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
/// let full = String::from_utf8(with_json_body(bare).unwrap()).unwrap();
/// assert!(full.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
/// assert!(full.ends_with("\r\n\r\n{\"error\":\"request header fields too large\"}"));
/// assert!(full.contains("content-type: application/json\r\n"));
/// // A response with a body, or a success, passes unchanged.
/// assert!(with_json_body(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}").is_none());
/// assert!(with_json_body(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
/// ```
pub fn with_json_body(bytes: &[u8]) -> Option<Vec<u8>> {
    // Every response passes here: look no further than two byte comparisons at a body or a
    // success, and never read a large write (a bare head is a few hundred bytes).
    if bytes.len() > 1024 || !bytes.starts_with(b"HTTP/1.1 4") || !bytes.ends_with(b"\r\n\r\n") {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let head = text.strip_suffix("\r\n\r\n")?;
    if head.contains("\r\n\r\n") {
        return None;
    }
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line.strip_prefix("HTTP/1.1 ")?;
    let (code, reason) = status.split_once(' ')?;
    if !(code.len() == 3 && code.starts_with('4')) {
        return None;
    }
    let headers: Vec<&str> = lines.collect();
    if !headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("content-length: 0"))
    {
        return None;
    }
    let body = serde_json::json!({ "error": reason.to_lowercase() }).to_string();
    let mut out = format!("{status_line}\r\ncontent-type: application/json\r\n");
    for h in headers {
        if !h.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(h);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    Some(out.into_bytes())
}
