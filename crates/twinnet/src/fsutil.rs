//! File writing that never leaves a half-written file where a good one was, and the locks that
//! keep two writers of one directory apart.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// The folder a file lives in ("." for a bare name).
fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to `path` through a fresh temporary file in the same folder (a random name
/// created exclusively, so a planted file or link is never written through), synced, renamed
/// over the target, and the folder synced, so a crash leaves either the old file or the new
/// one.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("a.json");
/// twinnet::fsutil::write_atomic(&path, b"{}").unwrap();
/// twinnet::fsutil::write_atomic(&path, b"[1]").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"[1]");
/// assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1); // no temporary left behind
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_of(path);
    let result = (|| -> Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(".twinnet-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        sync_dir(dir);
        Ok(())
    })();
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Flushes a folder's entries (a rename into it) to disk; best effort, as some file systems
/// cannot sync a directory.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// An exclusive lock on a folder, held until dropped (an OS file lock on `dir/name`, released
/// by the OS if the process dies).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Opens (creating) the lock file `dir/name`.
fn lock_file(dir: &Path, name: &str) -> Result<File> {
    let path = dir.join(name);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))
}

impl DirLock {
    /// Waits for the lock on `dir` (created if missing), for short read-modify-write changes.
    pub fn wait(dir: &Path, name: &str) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let file = lock_file(dir, name)?;
        file.lock()
            .with_context(|| format!("cannot lock {}", dir.display()))?;
        Ok(Self { _file: file })
    }

    /// Takes the lock on `dir` now or fails saying `busy` (for long jobs such as a training
    /// run, where waiting would only hide that two of them were started on one folder).
    pub fn try_now(dir: &Path, name: &str, busy: &str) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let file = lock_file(dir, name)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => bail!("{}: {busy}", dir.display()),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", dir.display()))
            }
        }
    }
}

/// Hex SHA-256, the fingerprint manifests record for every file they describe.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
