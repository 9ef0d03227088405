//! The baselines a tracker must beat: a box that never moves, and normalised
//! cross-correlation template matching on raw pixels.

use super::Tracker;
use crate::data::{BoxXywh, Frame};
use anyhow::Result;

/// Reports the first box in every frame.
#[derive(Debug, Default)]
pub struct StaticTracker {
    target: Option<BoxXywh>,
}

impl Tracker for StaticTracker {
    fn init(&mut self, _: &Frame, target: BoxXywh) -> Result<()> {
        self.target = Some(target);
        Ok(())
    }
    fn update(&mut self, _: &Frame) -> Result<BoxXywh> {
        self.target
            .ok_or_else(|| anyhow::anyhow!("the tracker was not started"))
    }
    fn name(&self) -> &'static str {
        "static"
    }
}

/// Template matching: the first frame's target, in gray levels, is searched for around the last
/// position by normalised cross-correlation (the template sampled to at most 32 pixels on its
/// longer side; the search reaches one box size in every direction). The box keeps its size.
#[derive(Debug, Default)]
pub struct NccTracker {
    template: Vec<f32>,
    /// Template size in samples.
    tw: usize,
    th: usize,
    /// Frame pixels per sample.
    step: f32,
    center: (f32, f32),
    size: (f32, f32),
}

const TEMPLATE_SIDE: f32 = 32.0;

/// Gray levels of a `w`×`h` grid of samples, `step` frame pixels apart, centred at `(cx, cy)`.
fn gray_grid(frame: &Frame, cx: f32, cy: f32, w: usize, h: usize, step: f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(w * h);
    for r in 0..h {
        let y = (cy + (r as f32 + 0.5 - h as f32 / 2.0) * step).floor() as isize;
        for c in 0..w {
            let x = (cx + (c as f32 + 0.5 - w as f32 / 2.0) * step).floor() as isize;
            out.push(
                if x < 0 || y < 0 || x >= frame.width as isize || y >= frame.height as isize {
                    (frame.mean[0] + frame.mean[1] + frame.mean[2]) / 3.0
                } else {
                    let p = &frame.rgb[(y as usize * frame.width + x as usize) * 3..][..3];
                    (f32::from(p[0]) + f32::from(p[1]) + f32::from(p[2])) / 765.0
                },
            );
        }
    }
    out
}

/// Subtracts the mean and scales to unit norm (all zeros for a flat patch).
fn normalised(v: &mut [f32]) {
    let mean = v.iter().sum::<f32>() / v.len().max(1) as f32;
    v.iter_mut().for_each(|x| *x -= mean);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-6 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

impl Tracker for NccTracker {
    fn init(&mut self, frame: &Frame, target: BoxXywh) -> Result<()> {
        self.step = (target.w.max(target.h) / TEMPLATE_SIDE).max(1.0);
        self.tw = ((target.w / self.step).round() as usize).max(1);
        self.th = ((target.h / self.step).round() as usize).max(1);
        self.center = target.center();
        self.size = (target.w, target.h);
        self.template = gray_grid(
            frame,
            self.center.0,
            self.center.1,
            self.tw,
            self.th,
            self.step,
        );
        normalised(&mut self.template);
        Ok(())
    }

    fn update(&mut self, frame: &Frame) -> Result<BoxXywh> {
        let reach = self.tw.max(self.th);
        let (sw, sh) = (self.tw + 2 * reach, self.th + 2 * reach);
        let region = gray_grid(frame, self.center.0, self.center.1, sw, sh, self.step);
        let (mut best, mut at) = (f32::NEG_INFINITY, (reach, reach));
        let mut patch = vec![0f32; self.tw * self.th];
        for oy in 0..=2 * reach {
            for ox in 0..=2 * reach {
                for r in 0..self.th {
                    patch[r * self.tw..][..self.tw]
                        .copy_from_slice(&region[(oy + r) * sw + ox..][..self.tw]);
                }
                normalised(&mut patch);
                let score: f32 = patch.iter().zip(&self.template).map(|(a, b)| a * b).sum();
                // Ties go to the smaller move.
                let closer = (ox.abs_diff(reach) + oy.abs_diff(reach))
                    < (at.0.abs_diff(reach) + at.1.abs_diff(reach));
                if score > best || (score == best && closer) {
                    (best, at) = (score, (ox, oy));
                }
            }
        }
        let (fw, fh) = (frame.width as f32, frame.height as f32);
        self.center.0 = (self.center.0 + (at.0 as f32 - reach as f32) * self.step).clamp(0.0, fw);
        self.center.1 = (self.center.1 + (at.1 as f32 - reach as f32) * self.step).clamp(0.0, fh);
        Ok(BoxXywh::from_center(
            self.center.0,
            self.center.1,
            self.size.0,
            self.size.1,
        ))
    }

    fn name(&self) -> &'static str {
        "ncc"
    }
}
