//! Tracking one video: frames decoded on a second thread while the tracker runs, the boxes in
//! OTB's format, and optionally every frame drawn with its box (plus a strip of six frames).

use super::{follow, SiamFcTracker};
use crate::data::{BoxXywh, Frame, Sequence};
use crate::eval::OtbCurves;
use crate::fsutil::write_atomic;
use crate::model::TrackerModel;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What tracking one sequence gave.
#[derive(Debug, Clone, Serialize)]
pub struct TrackRun {
    /// The sequence folder.
    pub sequence: String,
    /// Frames tracked (the first included).
    pub frames: usize,
    /// The box in every frame.
    pub boxes: Vec<BoxXywh>,
    /// Frames per second inside the tracker (crops, network, peak).
    pub fps: f64,
    /// Frames per second including decoding the frames.
    pub fps_with_decoding: f64,
    /// Against the sequence's ground truth, when it has one and started from its first box.
    pub success_auc: Option<f64>,
    /// Precision at 20 px, likewise.
    pub precision_20px: Option<f64>,
    /// Rendered frames written, if asked for.
    pub rendered: Option<String>,
}

/// Tracks the sequence in `dir` from `init` (default: its first ground-truth box).
/// With `render`, draws each frame with its box into `render/NNNNNN.png` and six of them
/// side by side into `render/strip.png`.
pub fn track_folder(
    model: &TrackerModel,
    dir: &Path,
    init: Option<BoxXywh>,
    render: Option<&Path>,
) -> Result<TrackRun> {
    let seq = Sequence::open(dir, init.is_none())?;
    let start = match init {
        Some(b) => {
            if !b.overlaps_image(seq.width, seq.height) {
                bail!(
                    "--init box {},{},{},{} lies outside the {}×{} frames of {}",
                    b.x,
                    b.y,
                    b.w,
                    b.h,
                    seq.width,
                    seq.height,
                    dir.display()
                );
            }
            b
        }
        None => seq.boxes[0],
    };
    let mut tracker = SiamFcTracker::new(model)?;
    let started = Instant::now();
    // Frames are decoded on a second thread while the tracker works on the previous one.
    let (boxes, inside) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Frame>>(4);
        let paths = &seq.frames;
        scope.spawn(move || {
            for p in paths {
                let frame =
                    Frame::read(p).with_context(|| format!("cannot read frame {}", p.display()));
                if tx.send(frame).is_err() {
                    break; // the tracker stopped
                }
            }
        });
        follow(&mut tracker, start, rx, |i, frame, b| match render {
            Some(out) => draw_frame(frame, b, &out.join(format!("{:06}.png", i + 1))),
            None => Ok(()),
        })
    })?;
    let total = started.elapsed().as_secs_f64();
    let scored = (init.is_none() || init == seq.boxes.first().copied()) && !seq.boxes.is_empty();
    let curves = scored.then(|| OtbCurves::of(&boxes, &seq.boxes));
    if let Some(out) = render {
        strip(out, boxes.len())?;
    }
    Ok(TrackRun {
        sequence: dir.display().to_string(),
        frames: boxes.len(),
        fps: boxes.len() as f64 / inside.max(1e-9),
        fps_with_decoding: boxes.len() as f64 / total.max(1e-9),
        success_auc: curves.as_ref().map(OtbCurves::success_auc),
        precision_20px: curves.as_ref().map(OtbCurves::precision_20px),
        boxes,
        rendered: render.map(|p| p.display().to_string()),
    })
}

/// Writes boxes as OTB's `x,y,w,h` lines, atomically.
pub fn write_boxes(path: &Path, boxes: &[BoxXywh]) -> Result<()> {
    let text: String = boxes
        .iter()
        .map(|b| format!("{:.2},{:.2},{:.2},{:.2}\n", b.x, b.y, b.w, b.h))
        .collect();
    write_atomic(path, text.as_bytes())
}

/// The frame with `b` drawn in red, 2 pixels wide, as a PNG.
fn draw_frame(frame: &Frame, b: &BoxXywh, path: &Path) -> Result<()> {
    let mut img =
        image::RgbImage::from_raw(frame.width as u32, frame.height as u32, frame.rgb.clone())
            .context("frame size")?;
    let (w, h) = (frame.width as i64, frame.height as i64);
    let (x0, y0) = ((b.x - 1.0).round() as i64, (b.y - 1.0).round() as i64);
    let (x1, y1) = (x0 + b.w.round() as i64, y0 + b.h.round() as i64);
    let mut put = |x: i64, y: i64| {
        if (0..w).contains(&x) && (0..h).contains(&y) {
            img.put_pixel(x as u32, y as u32, image::Rgb([230, 20, 20]));
        }
    };
    for t in 0..2 {
        for x in x0..=x1 {
            put(x, y0 + t);
            put(x, y1 - t);
        }
        for y in y0..=y1 {
            put(x0 + t, y);
            put(x1 - t, y);
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )?;
    write_atomic(path, &bytes)
}

/// Six rendered frames, evenly spaced, at half size side by side: `dir/strip.png`.
fn strip(dir: &Path, frames: usize) -> Result<()> {
    let picks: Vec<PathBuf> = (0..6.min(frames))
        .map(|k| dir.join(format!("{:06}.png", 1 + k * (frames - 1) / 5)))
        .collect();
    let mut tiles = Vec::new();
    for p in &picks {
        let img = image::open(p)
            .with_context(|| format!("cannot read {}", p.display()))?
            .to_rgb8();
        tiles.push(image::imageops::resize(
            &img,
            img.width() / 2,
            img.height() / 2,
            image::imageops::FilterType::Triangle,
        ));
    }
    let (tw, th) = tiles.first().map_or((0, 0), |t| (t.width(), t.height()));
    let mut out = image::RgbImage::new(tw * tiles.len() as u32, th);
    for (k, t) in tiles.iter().enumerate() {
        image::imageops::replace(&mut out, t, i64::from(tw) * k as i64, 0);
    }
    let mut bytes = Vec::new();
    out.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )?;
    write_atomic(&dir.join("strip.png"), &bytes)
}
