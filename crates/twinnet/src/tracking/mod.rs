//! Following one target through a video: SiamFC's tracker and the two baselines it is
//! measured against, behind one [`Tracker`] trait.
//!
//! SiamFC embeds the exemplar once, when the tracker starts; every frame it embeds search
//! crops at a few scales around the last position, correlates them with the exemplar, and
//! moves to the peak of the upsampled, cosine-windowed score map of the best scale.

mod baselines;
mod run;
mod upsample;

pub use baselines::{NccTracker, StaticTracker};
pub use run::{track_folder, write_boxes, TrackRun};
pub use upsample::{hann_window, upsample_bicubic};

use crate::data::{exemplar_side, BoxXywh, Frame};
use crate::model::{TrackerModel, TrackerSettings};
use crate::tower::SiamFcConfig;
use anyhow::Result;
use burn::tensor::{Tensor, TensorData};

/// Something that follows a target from frame to frame.
pub trait Tracker {
    /// Starts on `frame` with the target at `target`.
    fn init(&mut self, frame: &Frame, target: BoxXywh) -> Result<()>;
    /// The target's box in the next frame.
    fn update(&mut self, frame: &Frame) -> Result<BoxXywh>;
    /// Short name for tables and plots.
    fn name(&self) -> &'static str;
}

/// Runs `tracker` over `frames`, starting from `start` in the first: the box of every frame
/// (the first is `start`) and the seconds spent inside the tracker (getting the frames not
/// counted). `each` sees every frame with its index and box, to draw it.
pub fn follow<F: std::borrow::Borrow<Frame>>(
    tracker: &mut dyn Tracker,
    start: BoxXywh,
    frames: impl IntoIterator<Item = Result<F>>,
    mut each: impl FnMut(usize, &Frame, &BoxXywh) -> Result<()>,
) -> Result<(Vec<BoxXywh>, f64)> {
    let (mut boxes, mut inside) = (Vec::new(), 0f64);
    for (i, frame) in frames.into_iter().enumerate() {
        let frame = frame?;
        let frame = frame.borrow();
        let t = std::time::Instant::now();
        let b = if i == 0 {
            tracker.init(frame, start)?;
            start
        } else {
            tracker.update(frame)?
        };
        inside += t.elapsed().as_secs_f64();
        each(i, frame, &b)?;
        boxes.push(b);
    }
    Ok((boxes, inside))
}

/// SiamFC's tracker over a loaded model.
pub struct SiamFcTracker<'m> {
    model: &'m TrackerModel,
    exemplar: Option<Tensor<4>>,
    center: (f32, f32),
    size: (f32, f32),
    /// Allowed target sizes: a fifth to five times the first box.
    limits: ((f32, f32), (f32, f32)),
    window: Vec<f32>,
    /// Search-crop pixels per score-map cell.
    stride: f32,
}

impl<'m> SiamFcTracker<'m> {
    /// A tracker with the model's settings.
    pub fn new(model: &'m TrackerModel) -> Result<Self> {
        let side = model.manifest.tower.score_size()? * model.manifest.tracker.upscale;
        let stride = model.manifest.tower.total_stride()? as f32;
        Ok(Self {
            model,
            exemplar: None,
            center: (0.0, 0.0),
            size: (1.0, 1.0),
            limits: ((0.0, 0.0), (0.0, 0.0)),
            window: hann_window(side),
            stride,
        })
    }

    fn tower(&self) -> &SiamFcConfig {
        &self.model.manifest.tower
    }

    fn settings(&self) -> &TrackerSettings {
        &self.model.manifest.tracker
    }

    fn crops(&self, frame: &Frame, sides: &[f32], out: usize) -> Tensor<4> {
        let mut buf = Vec::with_capacity(sides.len() * 3 * out * out);
        for &s in sides {
            frame.crop_into(self.center.0, self.center.1, s, out, &mut buf);
        }
        Tensor::from_data(
            TensorData::new(buf, [sides.len(), 3, out, out]),
            &self.model.device,
        )
    }

    /// The frame side of the exemplar region for the current target size.
    fn exemplar_side(&self) -> f32 {
        exemplar_side(self.size.0, self.size.1, self.settings().context)
    }
}

impl Tracker for SiamFcTracker<'_> {
    fn init(&mut self, frame: &Frame, target: BoxXywh) -> Result<()> {
        self.center = target.center();
        self.size = (target.w, target.h);
        self.limits = (
            (target.w / 5.0, target.h / 5.0),
            (target.w * 5.0, target.h * 5.0),
        );
        let z = self.crops(frame, &[self.exemplar_side()], self.tower().exemplar_size);
        self.exemplar = Some(self.model.net.features(z));
        Ok(())
    }

    fn update(&mut self, frame: &Frame) -> Result<BoxXywh> {
        let z = self
            .exemplar
            .clone()
            .ok_or_else(|| anyhow::anyhow!("the tracker was not started"))?;
        let model = self.model;
        let (tower, set) = (&model.manifest.tower, &model.manifest.tracker);
        let x_side = self.exemplar_side() * tower.search_size as f32 / tower.exemplar_size as f32;
        let mid = (set.scale_num / 2) as i32;
        let factors: Vec<f32> = (0..set.scale_num as i32)
            .map(|k| set.scale_step.powi(k - mid))
            .collect();
        let sides: Vec<f32> = factors.iter().map(|f| x_side * f).collect();
        let x = model
            .net
            .features(self.crops(frame, &sides, tower.search_size));
        let scores = model.net.score(z, x);
        let [_, _, s, _] = scores.dims();
        let raw: Vec<f32> = scores
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let floor = raw.iter().copied().fold(f32::INFINITY, f32::min);
        // Upsample each scale's map; every scale but the current one pays the penalty.
        let mut best = (f32::NEG_INFINITY, 0usize, Vec::new());
        for (k, map) in raw.chunks(s * s).enumerate() {
            let shifted: Vec<f32> = map.iter().map(|v| v - floor).collect();
            let up = upsample_bicubic(&shifted, s, set.upscale);
            let penalty = if k as i32 == mid {
                1.0
            } else {
                set.scale_penalty
            };
            let peak = up.iter().copied().fold(f32::NEG_INFINITY, f32::max) * penalty;
            if peak > best.0 {
                best = (peak, k, up);
            }
        }
        let (_, k, mut map) = best;
        let min = map.iter().copied().fold(f32::INFINITY, f32::min);
        map.iter_mut().for_each(|v| *v -= min);
        let sum: f32 = map.iter().sum::<f32>().max(1e-12);
        let wi = set.window_influence;
        let side = s * set.upscale;
        let (mut arg, mut top) = (0usize, f32::NEG_INFINITY);
        for (i, (v, w)) in map.iter().zip(&self.window).enumerate() {
            let r = (1.0 - wi) * v / sum + wi * w;
            if r > top {
                (arg, top) = (i, r);
            }
        }
        let c = (side as f32 - 1.0) / 2.0;
        let (dr, dc) = ((arg / side) as f32 - c, (arg % side) as f32 - c);
        let to_frame = self.stride / set.upscale as f32 * sides[k] / tower.search_size as f32;
        let (fw, fh) = (frame.width as f32, frame.height as f32);
        self.center = (
            (self.center.0 + dc * to_frame).clamp(0.0, fw),
            (self.center.1 + dr * to_frame).clamp(0.0, fh),
        );
        let scale = (1.0 - set.scale_lr) + set.scale_lr * factors[k];
        let ((lw, lh), (hw, hh)) = self.limits;
        self.size = (
            (self.size.0 * scale).clamp(lw, hw),
            (self.size.1 * scale).clamp(lh, hh),
        );
        Ok(BoxXywh::from_center(
            self.center.0,
            self.center.1,
            self.size.0,
            self.size.1,
        ))
    }

    fn name(&self) -> &'static str {
        "siamfc"
    }
}
