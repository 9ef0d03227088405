//! Fetching the handwriting sets: SVC2004 signatures and Omniglot's two small background sets.
//!
//! Neither is on a package registry. Both are copied (Omniglot unzipped) from a local copy —
//! the folder the user names, else `../shared/data/<name>` — or, when there is none, from their
//! public sources: Omniglot's zips from Lake et al.'s repository, SVC2004 from a repository that
//! publishes the competition's signatures as images. Everything is staged next to the
//! destination and moved into place whole, so an interrupted fetch keeps the previous copy.

use super::fetch::{copy_dir, replace_dir, run};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Omniglot's repository (MIT licence).
pub const OMNIGLOT_SOURCE: &str = "https://github.com/brendenlake/omniglot/raw/master/python";
/// The two small background sets (5 alphabets each; Greek and Latin are in both).
const OMNIGLOT_ZIPS: [&str; 2] = [
    "images_background_small1.zip",
    "images_background_small2.zip",
];
/// A repository that publishes SVC2004's signatures as images, folder `SVC2004/`.
pub const SVC2004_SOURCE: &str =
    "https://github.com/Miaopus/ShanghaiTech-CS172-Handwritten-Signature-Verification";

/// Where a local copy is looked for when the user names none.
fn default_local(name: &str) -> PathBuf {
    Path::new("../shared/data").join(name)
}

/// Copies SVC2004 (`user<N>/genuine`, `user<N>/forged`) from `from` (or the default local copy,
/// or its public source) into `dest`; returns the folder it came from.
pub(super) fn fetch_svc2004(dest: &Path, from: Option<&Path>, work: &Path) -> Result<String> {
    let local = from
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_local("svc2004"));
    let (src, origin) = if local.is_dir() {
        (local.clone(), local.display().to_string())
    } else if from.is_some() {
        bail!("{} is not a folder", local.display());
    } else {
        let clone = work.join("svc2004-repo");
        let mut git = Command::new("git");
        git.args(["clone", "--depth", "1", "--quiet", SVC2004_SOURCE])
            .arg(&clone);
        run(
            &mut git,
            &format!("git clone {SVC2004_SOURCE}"),
            "no local copy either: pass --from DIR",
        )?;
        (clone.join("SVC2004"), SVC2004_SOURCE.to_string())
    };
    replace_dir(dest, |staged| copy_dir(&src, staged))?;
    Ok(origin)
}

/// Unzips Omniglot's two small background sets from `from` (a folder holding the zips, or the
/// default local copy, or the public source) into `dest` as `<alphabet>/<character>/*.png`.
/// The alphabets both sets carry (Greek, Latin) are written once, after checking that the two
/// copies hold the same files.
pub(super) fn fetch_omniglot(dest: &Path, from: Option<&Path>, work: &Path) -> Result<String> {
    let local = from
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_local("omniglot"));
    let have_local = OMNIGLOT_ZIPS.iter().all(|z| local.join(z).is_file());
    let (zips, origin): (Vec<PathBuf>, String) = if have_local {
        let zips = OMNIGLOT_ZIPS.iter().map(|z| local.join(z)).collect();
        (zips, local.display().to_string())
    } else if from.is_some() {
        bail!(
            "{} does not hold {} (Omniglot's small background sets, from {OMNIGLOT_SOURCE})",
            local.display(),
            OMNIGLOT_ZIPS.join(" and ")
        );
    } else {
        let mut zips = Vec::new();
        for z in OMNIGLOT_ZIPS {
            let url = format!("{OMNIGLOT_SOURCE}/{z}");
            let out = work.join(z);
            let mut curl = Command::new("curl");
            curl.args(["-fsSL", "-o"]).arg(&out).arg(&url);
            run(
                &mut curl,
                &format!("curl {url}"),
                "no local copy either: pass --from DIR",
            )?;
            zips.push(out);
        }
        (zips, OMNIGLOT_SOURCE.to_string())
    };
    let unpacked = work.join("omniglot");
    for zip in &zips {
        let mut unzip = Command::new("python3");
        unzip.args(["-m", "zipfile", "-e"]).arg(zip).arg(&unpacked);
        run(&mut unzip, "python3 -m zipfile", "is Python installed?")?;
    }
    replace_dir(dest, |staged| {
        std::fs::create_dir_all(staged)
            .with_context(|| format!("cannot create {}", staged.display()))?;
        for set in OMNIGLOT_ZIPS.map(|z| z.trim_end_matches(".zip")) {
            let root = unpacked.join(set);
            for alphabet in sorted_dirs(&root)? {
                let name = alphabet.file_name().expect("a folder has a name");
                let target = staged.join(name);
                if target.exists() {
                    if count_files(&target)? != count_files(&alphabet)? {
                        bail!(
                            "{} is in both small sets with different files; cannot merge",
                            name.to_string_lossy()
                        );
                    }
                    continue;
                }
                copy_dir(&alphabet, &target)?;
            }
        }
        Ok(())
    })?;
    Ok(origin)
}

/// The sub-folders of `dir`, sorted.
pub(super) fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    Ok(out)
}

/// Files anywhere under `dir`.
pub(super) fn count_files(dir: &Path) -> Result<usize> {
    let mut n = 0;
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let p = e?.path();
        n += if p.is_dir() { count_files(&p)? } else { 1 };
    }
    Ok(n)
}
