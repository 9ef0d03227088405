//! Video frames in memory and SiamFC's square crops out of them.
//!
//! Frames are decoded once (sequences of one video share frames, so the store is keyed by
//! path) and kept as RGB bytes with their mean colour, which SiamFC pads crops with where they
//! reach past the frame's edge.

use anyhow::{Context, Result};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A decoded frame.
#[derive(Debug)]
pub struct Frame {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// RGB bytes, row by row.
    pub rgb: Vec<u8>,
    /// Mean colour, in `[0, 1]` per channel.
    pub mean: [f32; 3],
}

impl Frame {
    /// Decodes the image at `path` (through the same pixel limit as every image read).
    pub fn read(path: &Path) -> Result<Self> {
        let img = super::image_input::decode(path)?.to_rgb8();
        Ok(Self::from_rgb(
            img.width() as usize,
            img.height() as usize,
            img.into_raw(),
        ))
    }

    /// A frame from RGB bytes.
    pub fn from_rgb(width: usize, height: usize, rgb: Vec<u8>) -> Self {
        let mut sum = [0u64; 3];
        for px in rgb.chunks_exact(3) {
            for c in 0..3 {
                sum[c] += u64::from(px[c]);
            }
        }
        let n = (width * height).max(1) as f32 * 255.0;
        let mean = [sum[0] as f32 / n, sum[1] as f32 / n, sum[2] as f32 / n];
        Self {
            width,
            height,
            rgb,
            mean,
        }
    }

    /// The square region of side `side` (frame pixels) centred at `(cx, cy)` (0-based continuous
    /// coordinates), resampled bilinearly to `out`×`out`, as planar RGB in `[0, 1]` appended to
    /// `dst`. Samples beyond the frame take its mean colour.
    ///
    /// ```
    /// use twinnet::data::Frame;
    /// // A 2×2 frame, black on the left, white on the right.
    /// let f = Frame::from_rgb(2, 2, [0, 0, 0, 255, 255, 255].repeat(2));
    /// let mut out = Vec::new();
    /// f.crop_into(1.0, 1.0, 2.0, 2, &mut out); // the whole frame, at its own pixels
    /// assert_eq!(&out[..4], &[0.0, 1.0, 0.0, 1.0]); // red plane
    /// f.crop_into(1.0, 1.0, 4.0, 2, &mut out); // twice the frame: mean colour at the edges
    /// assert_eq!(&out[12..16], &[0.375, 0.625, 0.375, 0.625]);
    /// ```
    pub fn crop_into(&self, cx: f32, cy: f32, side: f32, out: usize, dst: &mut Vec<f32>) {
        let start = dst.len();
        dst.resize(start + 3 * out * out, 0.0);
        let step = side / out as f32;
        let (w, h) = (self.width as isize, self.height as isize);
        let px = |x: isize, y: isize, c: usize| -> f32 {
            if x < 0 || y < 0 || x >= w || y >= h {
                self.mean[c]
            } else {
                f32::from(self.rgb[(y as usize * self.width + x as usize) * 3 + c]) / 255.0
            }
        };
        let plane = out * out;
        for v in 0..out {
            let sy = cy + (v as f32 + 0.5 - out as f32 / 2.0) * step - 0.5;
            let (y0, fy) = (sy.floor(), sy - sy.floor());
            for u in 0..out {
                let sx = cx + (u as f32 + 0.5 - out as f32 / 2.0) * step - 0.5;
                let (x0, fx) = (sx.floor(), sx - sx.floor());
                let (x0, y0i) = (x0 as isize, y0 as isize);
                for c in 0..3 {
                    let top = px(x0, y0i, c) * (1.0 - fx) + px(x0 + 1, y0i, c) * fx;
                    let bottom = px(x0, y0i + 1, c) * (1.0 - fx) + px(x0 + 1, y0i + 1, c) * fx;
                    dst[start + c * plane + v * out + u] = top * (1.0 - fy) + bottom * fy;
                }
            }
        }
    }
}

/// Decoded frames by path, shared between sequences and threads.
#[derive(Debug, Default, Clone)]
pub struct FrameStore {
    frames: HashMap<PathBuf, Arc<Frame>>,
}

impl FrameStore {
    /// Decodes every frame of `paths` (once each, in parallel).
    pub fn load<'a>(paths: impl IntoIterator<Item = &'a PathBuf>) -> Result<Self> {
        let mut unique: Vec<&PathBuf> = paths.into_iter().collect();
        unique.sort();
        unique.dedup();
        let decoded: Vec<(PathBuf, Arc<Frame>)> = unique
            .par_iter()
            .map(|p| {
                Frame::read(p)
                    .map(|f| ((*p).clone(), Arc::new(f)))
                    .with_context(|| format!("cannot read frame {}", p.display()))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            frames: decoded.into_iter().collect(),
        })
    }

    /// The frame at `path`, if it was loaded.
    pub fn get(&self, path: &Path) -> Option<&Arc<Frame>> {
        self.frames.get(path)
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether the store holds no frame.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

/// SiamFC's exemplar context: the side of the square around a `w`×`h` target,
/// `√((w + 2p)(h + 2p))` with `p = context · (w + h) / 2` (SiamFC: context 0.5, p = (w+h)/4).
///
/// ```
/// assert_eq!(twinnet::data::exemplar_side(30.0, 90.0, 0.5), (90.0f32 * 150.0).sqrt());
/// ```
pub fn exemplar_side(w: f32, h: f32, context: f32) -> f32 {
    let pad = context * (w + h);
    ((w + pad) * (h + pad)).sqrt()
}
