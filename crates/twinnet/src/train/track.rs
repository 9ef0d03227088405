//! SiamFC training as a [`Task`] of the one loop: frame pairs of the training sequences,
//! the score-map loss, validation on fixed pairs of held-out sequences, the same checkpoints,
//! observer and model directory as every model kind.

use super::checkpoint::{load_modules, load_state, save_checkpoint};
use super::engine::{run_epochs, LoopState, Task};
use super::observer::{EpochEnd, Observer};
use super::run::{lock_output, write_jsonl};
use super::{TrackConfig, TrainConfig};
use crate::backend;
use crate::data::{FrameStore, Sequence};
use crate::loss::score_map_loss;
use crate::model::{save_tracker, TrackerManifest};
use crate::sampling::{frame_pairs, rng_for, stream, FramePair};
use crate::tower::SiamFcNet;
use anyhow::{bail, Result};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One epoch of a SiamFC run (a line of `metrics.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackEpoch {
    /// Epoch, from 1.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Loss on the validation pairs.
    pub val_loss: f64,
    /// Share of validation pairs whose score-map peak lies within the positive radius.
    pub val_hit_rate: f64,
    /// Mean distance of the peak from the target, in search-crop pixels.
    pub val_center_error_px: f64,
    /// Training pairs per second.
    pub pairs_per_s: f64,
    /// Seconds of training (no validation).
    pub train_seconds: f64,
}

/// What a finished SiamFC run reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrackTrainReport {
    /// Every epoch, resumed ones included.
    pub history: Vec<TrackEpoch>,
    /// The written model's manifest.
    pub manifest: TrackerManifest,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TrackCheckpoint {
    config: TrainConfig,
    track: TrackConfig,
    data: String,
    train_sequences: Vec<String>,
    val_sequences: Vec<String>,
    history: Vec<TrackEpoch>,
    progress: LoopState,
}

struct TrackTask<'a> {
    train: Vec<&'a Sequence>,
    val: Vec<&'a Sequence>,
    val_pairs: Vec<FramePair>,
    frames: &'a FrameStore,
    cfg: &'a TrainConfig,
    track: &'a TrackConfig,
    radius: f32,
    device: Device,
}

/// Exemplar and search crops of a batch, planar RGB.
struct Crops {
    z: Vec<f32>,
    x: Vec<f32>,
    n: usize,
}

impl TrackTask<'_> {
    fn crops(
        &self,
        seqs: &[&Sequence],
        pairs: &[FramePair],
        mut rng: Option<&mut ChaCha8Rng>,
    ) -> Crops {
        let spec = self.track.crops();
        let (mut z, mut x) = (Vec::new(), Vec::new());
        for p in pairs {
            let s = seqs[p.seq];
            let frame = |i: usize| {
                self.frames
                    .get(&s.frames[i])
                    .expect("every frame is loaded")
            };
            let (z0, x0) = (z.len(), x.len());
            spec.exemplar(frame(p.z), &s.boxes[p.z], &mut z);
            spec.search(frame(p.x), &s.boxes[p.x], rng.as_deref_mut(), &mut x);
            if let Some(rng) = rng.as_deref_mut() {
                let flip = self.track.flip && rng.random_bool(0.5);
                let amount = self.track.color_jitter;
                jitter(&mut z[z0..], spec.exemplar_size, flip, amount, rng);
                jitter(&mut x[x0..], spec.search_size, flip, amount, rng);
            }
        }
        Crops {
            z,
            x,
            n: pairs.len(),
        }
    }

    fn tensors(&self, c: Crops, device: &Device) -> (Tensor<4>, Tensor<4>) {
        let (e, s) = (self.track.tower.exemplar_size, self.track.tower.search_size);
        let ch = self.track.tower.channels;
        (
            Tensor::from_data(TensorData::new(c.z, [c.n, ch, e, e]), device),
            Tensor::from_data(TensorData::new(c.x, [c.n, ch, s, s]), device),
        )
    }
}

/// Mirrors a planar RGB crop left to right (with `flip`) and scales its contrast and shifts its
/// brightness by random amounts up to `amount`.
fn jitter(crop: &mut [f32], side: usize, flip: bool, amount: f32, rng: &mut ChaCha8Rng) {
    if flip {
        crop.chunks_exact_mut(side).for_each(<[f32]>::reverse);
    }
    if amount > 0.0 {
        let contrast = 1.0 + rng.random_range(-amount..=amount);
        let brightness = rng.random_range(-amount..=amount);
        crop.iter_mut()
            .for_each(|v| *v = (*v - 0.5) * contrast + 0.5 + brightness);
    }
}

impl Task for TrackTask<'_> {
    type Net = SiamFcNet;
    type Batch = Vec<FramePair>;
    type Inputs = Crops;
    type Validation = TrackEpoch;

    fn batches(&self, epoch: usize) -> Result<Vec<Vec<FramePair>>> {
        let lengths: Vec<usize> = self.train.iter().map(|s| s.len()).collect();
        let n = self.cfg.pairs_per_epoch.unwrap_or(lengths.iter().sum());
        let mut rng = rng_for(self.cfg.seed, stream::TRAIN, epoch as u64);
        let pairs = frame_pairs(&lengths, n, self.track.max_gap, &mut rng);
        Ok(pairs
            .chunks(self.cfg.batch_size)
            .map(<[FramePair]>::to_vec)
            .collect())
    }
    fn units(&self, batch: &Vec<FramePair>) -> usize {
        batch.len()
    }
    fn prepare(&self, batch: &Vec<FramePair>, epoch: usize, k: usize) -> Crops {
        let mut rng = rng_for(self.cfg.seed ^ 0x7AC, epoch as u64, k as u64);
        self.crops(&self.train, batch, Some(&mut rng))
    }
    fn loss(
        &self,
        net: &SiamFcNet,
        _: &Vec<FramePair>,
        crops: Crops,
    ) -> Option<(Tensor<1>, usize)> {
        let n = crops.n;
        let (z, x) = self.tensors(crops, &self.device);
        Some((score_map_loss(net.forward(z, x), self.radius), n))
    }
    fn validate(&self, net: &SiamFcNet) -> Result<TrackEpoch> {
        let device = backend::inference_device();
        let stride = self.track.tower.total_stride()? as f64;
        let (mut loss, mut hits, mut error) = (0.0, 0usize, 0.0);
        for chunk in self.val_pairs.chunks(32) {
            let (z, x) = self.tensors(self.crops(&self.val, chunk, None), &device);
            let scores = net.forward(z, x);
            let [b, _, s, _] = scores.dims();
            loss += f64::from(score_map_loss(scores.clone(), self.radius).into_scalar::<f32>())
                * b as f64;
            let v: Vec<f32> = scores
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let c = (s as f64 - 1.0) / 2.0;
            for map in v.chunks(s * s) {
                let k = map
                    .iter()
                    .enumerate()
                    .fold(0, |best, (i, &m)| if m > map[best] { i } else { best });
                let d = (((k / s) as f64 - c).powi(2) + ((k % s) as f64 - c).powi(2)).sqrt();
                hits += usize::from(d <= f64::from(self.radius));
                error += d * stride;
            }
        }
        let n = self.val_pairs.len().max(1) as f64;
        Ok(TrackEpoch {
            epoch: 0,
            train_loss: 0.0,
            val_loss: loss / n,
            val_hit_rate: hits as f64 / n,
            val_center_error_px: error / n,
            pairs_per_s: 0.0,
            train_seconds: 0.0,
        })
    }
    fn score(&self, v: &TrackEpoch) -> f64 {
        // Hit rate first; the loss breaks ties between epochs that hit equally often.
        v.val_hit_rate - 1e-6 * v.val_loss
    }
}

/// Trains a SiamFC network on `sequences` (held-out sequences validate it) and writes the
/// tracking model to `out` after every epoch (the best one with `keep-best`), with
/// `metrics.jsonl` and a checkpoint; with `resume`, continues from the checkpoint.
pub fn train_tracker(
    sequences: &[Sequence],
    data_spec: &str,
    cfg: &TrainConfig,
    track: &TrackConfig,
    out: &Path,
    resume: bool,
    observer: &mut dyn Observer,
) -> Result<TrackTrainReport> {
    cfg.check()?;
    track.check()?;
    if sequences.len() < 2 {
        bail!("{data_spec}: SiamFC training needs at least 2 sequences (some are held out for validation), found {}", sequences.len());
    }
    let mut order: Vec<usize> = (0..sequences.len()).collect();
    order.shuffle(&mut rng_for(cfg.seed, stream::SPLIT, 0));
    let n_val = ((sequences.len() as f64 * cfg.validation_fraction).round() as usize)
        .clamp(1, sequences.len() - 1);
    let (val_idx, train_idx) = order.split_at(n_val);
    let pick = |idx: &[usize]| -> Vec<&Sequence> {
        let mut v: Vec<&Sequence> = idx.iter().map(|&i| &sequences[i]).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    };
    let (train, val) = (pick(train_idx), pick(val_idx));
    let names = |s: &[&Sequence]| s.iter().map(|q| q.name.clone()).collect::<Vec<_>>();
    let frames = FrameStore::load(sequences.iter().flat_map(|s| &s.frames))?;
    let val_lengths: Vec<usize> = val.iter().map(|s| s.len()).collect();
    let val_pairs = frame_pairs(
        &val_lengths,
        track.val_pairs,
        track.max_gap,
        &mut rng_for(cfg.seed, stream::VALIDATION, 0),
    );
    let device = backend::training_device();
    let settings = cfg.optim();
    let _lock = lock_output(out)?;
    let (mut state, net, mut optim) = if resume {
        let (dir, state): (_, TrackCheckpoint) = load_state(out)?;
        let mut saved = state.config.clone();
        saved.epochs = cfg.epochs;
        if &saved != cfg
            || &state.track != track
            || state.data != data_spec
            || state.train_sequences != names(&train)
        {
            bail!("resume: the checkpoint was made with another recipe or data ({}); resume with the same ones, changing only `epochs`", state.data);
        }
        let fresh = backend::init_seeded(&device, cfg.seed, || track.tower.init(&device))?;
        let (net, optim) = load_modules(&dir, fresh, settings.build())?;
        (state, net, optim)
    } else {
        let state = TrackCheckpoint {
            config: cfg.clone(),
            track: track.clone(),
            data: data_spec.into(),
            train_sequences: names(&train),
            val_sequences: names(&val),
            history: Vec::new(),
            progress: LoopState::default(),
        };
        (
            state,
            backend::init_seeded(&device, cfg.seed, || track.tower.init(&device))?,
            settings.build(),
        )
    };
    let task = TrackTask {
        train,
        val,
        val_pairs,
        frames: &frames,
        cfg,
        track,
        radius: track.radius_cells()?,
        device,
    };
    let mut manifest = None;
    let progress = state.progress.clone();
    run_epochs(
        &task,
        net,
        &mut optim,
        &settings,
        cfg.epochs,
        cfg.patience,
        cfg.validate_every,
        progress,
        observer,
        &crate::distributed::Local,
        |done| {
            let stats = done.stats;
            let record = TrackEpoch {
                epoch: done.epoch,
                train_loss: stats.loss,
                pairs_per_s: stats.seen as f64 / stats.train_seconds.max(1e-9),
                train_seconds: stats.train_seconds,
                ..done.validation.clone()
            };
            if done.improved || !cfg.keep_best {
                let training = serde_json::json!({
                    "data": data_spec, "config": cfg, "track": track,
                    "train_sequences": state.train_sequences, "val_sequences": state.val_sequences,
                    "val_pairs": track.val_pairs, "epochs_done": done.epoch, "validation": record,
                    "backend": backend::backend_name(),
                });
                let m = TrackerManifest::new(track.tower.clone(), track.tracker.clone(), training);
                manifest = Some(save_tracker(out, &done.net.valid(), m)?);
            }
            state.history.push(record.clone());
            state.progress = done.state.clone();
            // The checkpoint before metrics.jsonl: every epoch listed there can be resumed after.
            save_checkpoint(out, done.net, done.optim, &state, None)?;
            write_jsonl(&out.join("metrics.jsonl"), &state.history)?;
            Ok(EpochEnd {
            epoch: done.epoch,
            epochs: cfg.epochs,
            train_loss: record.train_loss,
            score: record.val_hit_rate,
            summary: format!(
                "epoch {}/{}: loss {:.4}  val loss {:.4}  hit {:.3}  error {:.1}px  {:.1} pairs/s  {:.1}s",
                done.epoch, cfg.epochs, record.train_loss, record.val_loss, record.val_hit_rate, record.val_center_error_px, record.pairs_per_s, done.seconds
            ),
            record: serde_json::to_value(&record)?,
        })
        },
    )?;
    let manifest = match manifest {
        Some(m) => m,
        None => crate::model::TrackerModel::load(out)?.manifest,
    };
    Ok(TrackTrainReport {
        history: state.history,
        manifest,
    })
}
