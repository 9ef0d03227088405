//! OTB-style video sequences: frames and one ground-truth box per frame.
//!
//! A sequence is a folder with `groundtruth_rect.txt` (`x,y,w,h` per line, 1-based pixels, the
//! OTB benchmark's format; commas, tabs or spaces between the numbers) and its frames, either
//! `img/*.jpg` (OTB as shipped) or `frames.txt`, one frame path per line relative to the
//! sequence folder, so many sequences of one video share a single frames folder instead of
//! copying it. `sequences:DIR` reads every sequence folder under DIR (or DIR itself).

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Ground-truth file of a sequence.
pub const GROUNDTRUTH_FILE: &str = "groundtruth_rect.txt";
/// Frame list of a sequence whose frames live elsewhere.
pub const FRAME_LIST_FILE: &str = "frames.txt";

/// An axis-aligned box in OTB's convention: `x, y` the top-left pixel (1-based), `w, h` its size.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BoxXywh {
    /// Left edge, 1-based pixels.
    pub x: f32,
    /// Top edge, 1-based pixels.
    pub y: f32,
    /// Width in pixels.
    pub w: f32,
    /// Height in pixels.
    pub h: f32,
}

impl BoxXywh {
    /// Centre in 0-based continuous image coordinates (pixel `i` covers `[i, i+1)`).
    pub fn center(&self) -> (f32, f32) {
        (self.x - 1.0 + self.w / 2.0, self.y - 1.0 + self.h / 2.0)
    }

    /// The box of size `w`×`h` centred at `(cx, cy)` (0-based continuous coordinates).
    pub fn from_center(cx: f32, cy: f32, w: f32, h: f32) -> Self {
        Self {
            x: cx - w / 2.0 + 1.0,
            y: cy - h / 2.0 + 1.0,
            w,
            h,
        }
    }

    /// Intersection over union with `other`.
    ///
    /// ```
    /// use twinnet::data::BoxXywh;
    /// let a = BoxXywh { x: 1.0, y: 1.0, w: 10.0, h: 10.0 };
    /// let b = BoxXywh { x: 6.0, y: 1.0, w: 10.0, h: 10.0 };
    /// assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
    /// assert_eq!(a.iou(&a), 1.0);
    /// ```
    pub fn iou(&self, other: &Self) -> f32 {
        let iw = (self.x + self.w).min(other.x + other.w) - self.x.max(other.x);
        let ih = (self.y + self.h).min(other.y + other.h) - self.y.max(other.y);
        let inter = iw.max(0.0) * ih.max(0.0);
        let union = self.w * self.h + other.w * other.h - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }

    /// Parses `x,y,w,h` (commas, tabs or spaces), as in `groundtruth_rect.txt` and `--init`.
    pub fn parse(text: &str) -> Result<Self> {
        let v: Vec<f32> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<f32>()
                    .with_context(|| format!("'{s}' is not a number"))
            })
            .collect::<Result<_>>()?;
        let [x, y, w, h] = v[..] else {
            bail!("expected 4 numbers x,y,w,h, got {}", v.len());
        };
        if v.iter().any(|n| !n.is_finite()) {
            bail!("box {text:?} is not finite");
        }
        if w <= 0.0 || h <= 0.0 {
            bail!("box {text:?} has zero or negative size");
        }
        Ok(Self { x, y, w, h })
    }

    /// Whether the box overlaps a `width`×`height` image at all.
    pub fn overlaps_image(&self, width: u32, height: u32) -> bool {
        self.x - 1.0 < width as f32
            && self.y - 1.0 < height as f32
            && self.x - 1.0 + self.w > 0.0
            && self.y - 1.0 + self.h > 0.0
    }
}

/// One tracking sequence.
#[derive(Debug, Clone)]
pub struct Sequence {
    /// The folder's name.
    pub name: String,
    /// The folder.
    pub dir: PathBuf,
    /// Frame files, in order.
    pub frames: Vec<PathBuf>,
    /// The ground-truth box of each frame.
    pub boxes: Vec<BoxXywh>,
    /// Frame size (every frame has the first one's).
    pub width: u32,
    /// Frame height.
    pub height: u32,
}

impl Sequence {
    /// Reads the sequence folder `dir`, checking every frame exists and every box is a real box
    /// inside the frame; errors name the file and line.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::open(dir, true)
    }

    /// Like [`load`](Self::load), but a folder without `groundtruth_rect.txt` gives a sequence
    /// without boxes when `need_truth` is false (a video to track from a given first box).
    pub fn open(dir: &Path, need_truth: bool) -> Result<Self> {
        let name = dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let frames = frame_paths(dir)?;
        if frames.is_empty() {
            bail!("sequence {}: no frames", dir.display());
        }
        let gt_path = dir.join(GROUNDTRUTH_FILE);
        let (width, height) = image::image_dimensions(&frames[0])
            .with_context(|| format!("cannot read frame {}", frames[0].display()))?;
        if !need_truth && !gt_path.exists() {
            return Ok(Self {
                name,
                dir: dir.to_path_buf(),
                frames,
                boxes: Vec::new(),
                width,
                height,
            });
        }
        let text = std::fs::read_to_string(&gt_path).with_context(|| {
            format!(
                "sequence {}: cannot read {}",
                dir.display(),
                gt_path.display()
            )
        })?;
        let mut boxes = Vec::with_capacity(frames.len());
        for (k, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let b =
                BoxXywh::parse(line).with_context(|| format!("{}:{}", gt_path.display(), k + 1))?;
            if !b.overlaps_image(width, height) {
                bail!(
                    "{}:{}: box {line:?} lies outside the {width}×{height} frame",
                    gt_path.display(),
                    k + 1
                );
            }
            boxes.push(b);
        }
        if boxes.len() != frames.len() {
            bail!(
                "{}: {} boxes for {} frames (line {} is {}); one box per frame is needed",
                gt_path.display(),
                boxes.len(),
                frames.len(),
                boxes.len().min(frames.len()) + 1,
                if boxes.len() < frames.len() {
                    "missing"
                } else {
                    "one too many"
                }
            );
        }
        Ok(Self {
            name,
            dir: dir.to_path_buf(),
            frames,
            boxes,
            width,
            height,
        })
    }

    /// Frames in the sequence.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether the sequence has no frames (never true for a loaded one).
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

/// The frames of `dir`: its `frames.txt` list, else `img/` sorted by name.
fn frame_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let list = dir.join(FRAME_LIST_FILE);
    let frames: Vec<PathBuf> = if list.is_file() {
        let text = std::fs::read_to_string(&list)
            .with_context(|| format!("cannot read {}", list.display()))?;
        let mut out = Vec::new();
        for (k, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let p = dir.join(line);
            if !p.is_file() {
                bail!(
                    "{}:{}: frame {} is missing",
                    list.display(),
                    k + 1,
                    p.display()
                );
            }
            out.push(p);
        }
        out
    } else {
        let img = dir.join("img");
        let entries = std::fs::read_dir(&img).with_context(|| {
            format!(
                "sequence {}: neither {FRAME_LIST_FILE} nor an img/ folder",
                dir.display()
            )
        })?;
        let mut out: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|e| {
                    matches!(
                        e.to_ascii_lowercase().to_str(),
                        Some("jpg" | "jpeg" | "png")
                    )
                })
            })
            .collect();
        out.sort();
        out
    };
    Ok(frames)
}

/// The sequences of `dir`: every sub-folder holding a `groundtruth_rect.txt`, by name, or `dir`
/// itself when it holds one.
pub fn load_sequences(dir: &Path) -> Result<Vec<Sequence>> {
    if !dir.is_dir() {
        bail!("sequences folder {} does not exist", dir.display());
    }
    if dir.join(GROUNDTRUTH_FILE).is_file() {
        return Ok(vec![Sequence::load(dir)?]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(GROUNDTRUTH_FILE).is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        bail!(
            "{} holds no sequence (a folder with {GROUNDTRUTH_FILE} and img/ or {FRAME_LIST_FILE})",
            dir.display()
        );
    }
    dirs.iter().map(|d| Sequence::load(d)).collect()
}
