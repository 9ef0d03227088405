//! Fetching PETS 2009 S2.L1 as single-object tracking sequences.
//!
//! The video is `vtest.avi` from Debian's `opencv-doc` package (installed with `ffmpeg` when
//! missing and apt-get is at hand), decoded once into `DEST/frames/NNNNNN.jpg` numbered like the
//! ground truth (video frame n, from 0, is ground-truth frame n+1). The ground truth is the
//! MOTChallenge annotation of every pedestrian (`gt.txt`: a local copy, else its public
//! source, checked against its SHA-256). Each person's track, split where it has gaps, becomes
//! one OTB sequence whose `frames.txt` points into the shared frames folder; people are split
//! into `train/` and `test/` (about 70/30, seeded), so one person's track is never in both.

use super::fetch::{replace_dir, run};
use super::sequences::{FRAME_LIST_FILE, GROUNDTRUTH_FILE};
use crate::fsutil::sha256_hex;
use anyhow::{bail, Context, Result};
use rand::seq::SliceRandom;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The public ground truth (py-motmetrics' copy of MOTChallenge 2015's PETS09-S2L1).
pub const PETS09_GT_SOURCE: &str = "https://raw.githubusercontent.com/cheind/py-motmetrics/908cfbef59407ae175114331643548a6e3cd1038/data/train/PETS09-S2L1/gt/gt.txt";
const PETS09_GT_SHA256: &str = "9759f51a2429b17e1f4dfdd76cf9731ca02097069298914b51d35bb9045baf1d";
/// Where Debian's `opencv-doc` puts the video.
pub const PETS09_VIDEO: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
const FRAMES: usize = 795;
/// The seed of the train/test split of people.
pub const PETS09_SPLIT_SEED: u64 = 9;
/// Pieces of a track shorter than this are left out (too short to track).
const MIN_FRAMES: usize = 20;

/// What a PETS09 fetch wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pets09Split {
    /// Sequences under `train/`, by name.
    pub train: Vec<String>,
    /// Sequences under `test/`.
    pub test: Vec<String>,
    /// Frames decoded.
    pub frames: usize,
}

/// Decodes the video and writes the sequences into `dest`; `from` may hold `gt.txt` (and
/// `vtest.avi`). Returns the split and where the ground truth came from.
pub(super) fn fetch_pets09(
    dest: &Path,
    from: Option<&Path>,
    work: &Path,
) -> Result<(Pets09Split, String)> {
    let local = from
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("../shared/data/pets09-s2l1"));
    let (gt_path, origin) = if local.join("gt.txt").is_file() {
        (local.join("gt.txt"), local.display().to_string())
    } else if from.is_some() {
        bail!(
            "{} holds no gt.txt (PETS09-S2L1's ground truth, from {PETS09_GT_SOURCE})",
            local.display()
        );
    } else {
        let out = work.join("gt.txt");
        let mut curl = Command::new("curl");
        curl.args(["-fsSL", "-o"]).arg(&out).arg(PETS09_GT_SOURCE);
        run(
            &mut curl,
            &format!("curl {PETS09_GT_SOURCE}"),
            "no local copy either: pass --from DIR",
        )?;
        (out, PETS09_GT_SOURCE.to_string())
    };
    let bytes =
        std::fs::read(&gt_path).with_context(|| format!("cannot read {}", gt_path.display()))?;
    if sha256_hex(&bytes) != PETS09_GT_SHA256 {
        bail!(
            "{}: not the PETS09-S2L1 ground truth this fetch knows (SHA-256 differs)",
            gt_path.display()
        );
    }
    let tracks = parse_mot_gt(&String::from_utf8_lossy(&bytes), &gt_path)?;
    let video = [local.join("vtest.avi"), PathBuf::from(PETS09_VIDEO)]
        .into_iter()
        .find(|p| p.is_file());
    let video = match video {
        Some(v) if has_ffmpeg() => v,
        _ => install_video()?,
    };
    let mut split = None;
    replace_dir(dest, |staged| {
        let frames = staged.join("frames");
        std::fs::create_dir_all(&frames)
            .with_context(|| format!("cannot create {}", frames.display()))?;
        let mut ffmpeg = Command::new("ffmpeg");
        ffmpeg
            .args(["-loglevel", "error", "-i"])
            .arg(&video)
            .args(["-start_number", "1", "-q:v", "2"])
            .arg(frames.join("%06d.jpg"));
        run(&mut ffmpeg, "ffmpeg", "install Debian's ffmpeg")?;
        let decoded = std::fs::read_dir(&frames)?.count();
        if decoded != FRAMES {
            bail!(
                "{} decoded to {decoded} frames, not {FRAMES}",
                video.display()
            );
        }
        split = Some(write_sequences(staged, &tracks, decoded)?);
        Ok(())
    })?;
    Ok((split.expect("written"), origin))
}

fn has_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Installs Debian's `opencv-doc` (the video) and `ffmpeg` with apt-get.
fn install_video() -> Result<PathBuf> {
    let hint = format!("install Debian's opencv-doc and ffmpeg packages (apt-get install opencv-doc ffmpeg), which put the video at {PETS09_VIDEO}");
    eprintln!("installing opencv-doc and ffmpeg with apt-get");
    run(
        Command::new("apt-get").args(["update", "-qq"]),
        "apt-get update",
        &hint,
    )?;
    run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "opencv-doc", "ffmpeg"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
        "apt-get install",
        &hint,
    )?;
    if !Path::new(PETS09_VIDEO).is_file() || !has_ffmpeg() {
        bail!("{hint}");
    }
    Ok(PETS09_VIDEO.into())
}

/// A person's boxes by frame: `id → [(frame, x, y, w, h)]`.
type Tracks = BTreeMap<u32, Vec<(usize, [f32; 4])>>;

/// Reads MOTChallenge lines `frame,id,left,top,width,height,…`.
fn parse_mot_gt(text: &str, path: &Path) -> Result<Tracks> {
    let mut tracks = Tracks::new();
    for (k, line) in text.lines().enumerate() {
        let v: Vec<&str> = line.split(',').collect();
        let bad = || {
            anyhow::anyhow!(
                "{}:{}: expected frame,id,left,top,width,height,…",
                path.display(),
                k + 1
            )
        };
        if v.len() < 6 {
            return Err(bad());
        }
        let frame: usize = v[0].trim().parse().map_err(|_| bad())?;
        let id: u32 = v[1].trim().parse().map_err(|_| bad())?;
        let mut b = [0f32; 4];
        for (slot, s) in b.iter_mut().zip(&v[2..6]) {
            *slot = s.trim().parse().map_err(|_| bad())?;
        }
        tracks.entry(id).or_default().push((frame, b));
    }
    Ok(tracks)
}

/// Writes one sequence per unbroken piece of each track; returns the split.
fn write_sequences(root: &Path, tracks: &Tracks, frames: usize) -> Result<Pets09Split> {
    let mut people: Vec<u32> = tracks.keys().copied().collect();
    people.shuffle(&mut crate::sampling::rng_for(PETS09_SPLIT_SEED, 0, 0));
    let n_test = (people.len() * 3).div_ceil(10);
    let test: Vec<u32> = people[..n_test].to_vec();
    let mut split = Pets09Split {
        train: Vec::new(),
        test: Vec::new(),
        frames,
    };
    for (&id, boxes) in tracks {
        let mut boxes = boxes.clone();
        boxes.sort_by_key(|b| b.0);
        let mut pieces: Vec<Vec<(usize, [f32; 4])>> = Vec::new();
        for b in boxes {
            match pieces.last_mut() {
                Some(p) if p.last().is_some_and(|l| l.0 + 1 == b.0) => p.push(b),
                _ => pieces.push(vec![b]),
            }
        }
        let pieces: Vec<_> = pieces
            .into_iter()
            .filter(|p| p.len() >= MIN_FRAMES)
            .collect();
        for (k, piece) in pieces.iter().enumerate() {
            let name = if pieces.len() == 1 {
                format!("person{id:02}")
            } else {
                format!("person{id:02}-{}", k + 1)
            };
            let is_test = test.contains(&id);
            let dir = root
                .join(if is_test { "test" } else { "train" })
                .join(&name);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let mut list = String::new();
            let mut gt = String::new();
            for (frame, [x, y, w, h]) in piece {
                if *frame == 0 || *frame > frames {
                    bail!("ground truth frame {frame} of person {id} is outside the video's {frames} frames");
                }
                list.push_str(&format!("../../frames/{frame:06}.jpg\n"));
                gt.push_str(&format!("{x},{y},{w},{h}\n"));
            }
            std::fs::write(dir.join(FRAME_LIST_FILE), list)?;
            std::fs::write(dir.join(GROUNDTRUTH_FILE), gt)?;
            if is_test {
                split.test.push(name)
            } else {
                split.train.push(name)
            }
        }
    }
    std::fs::write(root.join("split.json"), serde_json::to_vec_pretty(&split)?)?;
    Ok(split)
}
