//! `twinnet serve` as a process: refuses bad token files, serves, and stops cleanly on SIGTERM.

mod common;

use common::{assert_fails_with, train_tiny, twinnet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn http_get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_refuses_bad_tokens_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    let o = train_tiny(&model, 512, &[]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let m = model.to_str().unwrap();
    assert_fails_with(
        &twinnet(&["serve", "--model", m, "--token-file", "/no/such/token"]),
        "cannot read token file /no/such/token",
    );
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    assert_fails_with(
        &twinnet(&[
            "serve",
            "--model",
            m,
            "--token-file",
            empty.to_str().unwrap(),
        ]),
        "is empty",
    );
    assert_fails_with(
        &twinnet(&["serve", "--model", "/no/model", "--addr", "127.0.0.1:0"]),
        "does not exist",
    );

    let token = dir.path().join("token");
    std::fs::write(&token, "abc123\n").unwrap();
    let gallery = dir.path().join("g");
    let mut child = Command::new(env!("CARGO_BIN_EXE_twinnet"))
        .args([
            "serve",
            "--model",
            m,
            "--addr",
            "127.0.0.1:0",
            "--token-file",
        ])
        .arg(&token)
        .arg("--gallery")
        .arg(&gallery)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split([' ', ',']).next())
        .unwrap_or_else(|| panic!("no address in: {line}"))
        .to_string();
    let health = http_get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"gallery_entries\":0"), "{health}");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "exit {status:?}: {rest}");
    assert!(rest.contains("stopped cleanly"), "{rest}");
}
