//! Image (and vector) training as a [`Task`] of the one loop: the sampler's batches, the
//! loss of a batch through the one tower, validation on fixed held-out pairs.

use super::data::Split;
use super::engine::{backward_step, Task};
use super::net::SiameseNet;
use super::step::{
    batch_embeddings, batch_inputs, batch_loss, batch_objective, gathered_embeddings, Batch,
    BatchInputs,
};
use super::{SamplerKind, TrainConfig};
use crate::backend;
use crate::batch::InputSpec;
use crate::distributed::{reduce_gradients, Collective};
use crate::eval::{calibrate_threshold, embed_items, evaluate_pairs, VerificationMetrics};
use crate::loss::LossKind;
use crate::sampling::{balanced_pairs, random_triplets, rng_for, stream, Miner, PkSampler};
use crate::score::Scorer;
use anyhow::{bail, Result};
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use rand::seq::SliceRandom;

/// One image run: its split, input preprocessing and recipe.
pub(crate) struct ImageTask<'a> {
    pub split: &'a Split,
    pub input: &'a InputSpec,
    pub cfg: &'a TrainConfig,
    pub device: Device,
}

impl Task for ImageTask<'_> {
    type Net = SiameseNet;
    type Batch = Batch;
    type Inputs = BatchInputs;
    type Validation = (VerificationMetrics, f32);

    fn batches(&self, epoch: usize) -> Result<Vec<Batch>> {
        epoch_batches(self.split, self.cfg, epoch)
    }

    fn units(&self, batch: &Batch) -> usize {
        batch.len()
    }

    fn prepare(&self, batch: &Batch, epoch: usize, k: usize) -> BatchInputs {
        batch_inputs(
            batch,
            self.split,
            self.input,
            self.cfg,
            (epoch as u64, k as u64),
        )
    }

    fn loss(
        &self,
        net: &SiameseNet,
        batch: &Batch,
        inputs: BatchInputs,
    ) -> Option<(Tensor<1>, usize)> {
        batch_loss(
            net,
            batch,
            inputs,
            self.split,
            self.input,
            self.cfg,
            &self.device,
        )
    }

    fn shard(&self, batch: &Batch, rank: usize, size: usize) -> Result<Batch> {
        if batch.len() < size {
            bail!(
                "a batch of {} is smaller than the {size} ranks (every rank needs a share); choose `pairs-per-epoch` or `batch-size` so that the last batch is not this small",
                batch.len()
            );
        }
        Ok(batch.share(rank, size))
    }

    fn sharded_gradients(
        &self,
        net: &SiameseNet,
        batch: &Batch,
        inputs: BatchInputs,
        world: &dyn Collective,
    ) -> Option<(f32, GradientsParams, usize)> {
        let local = batch_embeddings(net, inputs, self.input, &self.device);
        let e = gathered_embeddings(world, batch, local);
        let loss = batch_objective(net, batch, e, self.split, self.cfg);
        // Every rank computed the same loss from the same gathered values; agreeing anyway
        // keeps the ranks in lock-step should that ever not hold.
        if !world.all(loss.is_some()) {
            return None;
        }
        let (loss, tuples) = loss?;
        let (value, mut grads, tuples) = backward_step(loss, tuples, net);
        if !world.all(value.is_finite()) {
            return Some((f32::NAN, GradientsParams::new(), tuples));
        }
        reduce_gradients(world, &mut grads, &net.tower, net.head.as_ref());
        Some((value, grads, tuples))
    }

    fn validate(&self, net: &SiameseNet) -> Result<(VerificationMetrics, f32)> {
        validate(net, self.split, self.input, self.cfg)
    }

    fn score(&self, v: &(VerificationMetrics, f32)) -> f64 {
        v.0.auc
    }
}

/// Refuses recipes whose pieces do not fit together, naming the valid choices.
pub(crate) fn check_recipe(cfg: &TrainConfig, pair_list: bool) -> Result<()> {
    let pk = cfg.sampler == SamplerKind::Pk;
    if pair_list && (cfg.loss == LossKind::Triplet || pk || cfg.loss == LossKind::Mnrl) {
        bail!("`loss` {} / `sampler` {} need class labels; use an IDX or image-folder dataset, not a pair list", cfg.loss, cfg.sampler);
    }
    if cfg.miner != Miner::None && !pk {
        bail!("`miner` {} works on P×K batches; add `sampler` pk (with `classes-per-batch` and `per-class`)", cfg.miner);
    }
    if cfg.sampler == SamplerKind::Views {
        if pair_list {
            bail!(
                "`sampler` views needs a labelled dataset (IDX or image folder), not a pair list"
            );
        }
        if cfg.loss != LossKind::Mnrl || cfg.augment.is_none() || cfg.miner != Miner::None {
            bail!("`sampler` views learns by telling augmented views apart: use `loss` mnrl with `augment` and `miner` none");
        }
        if cfg.classes_per_batch < 2 {
            bail!("`sampler` views needs `classes-per-batch` 2 or more (the items per batch)");
        }
        return Ok(());
    }
    if cfg.loss == LossKind::Mnrl && !pk {
        bail!("`loss` mnrl uses in-batch negatives; add `sampler` pk with `per-class` 2 or more (or `sampler` views)");
    }
    if pk && cfg.per_class < 2 {
        bail!(
            "`per-class` {} gives no positives in a P×K batch; the miners and losses need K ≥ 2",
            cfg.per_class
        );
    }
    if pk {
        let wants_triplets = cfg.loss.wants_triplets();
        cfg.miner.check(wants_triplets)?;
        if cfg.loss == LossKind::Mnrl && cfg.miner != Miner::None {
            bail!("`loss` mnrl does its own in-batch mining; use `miner` none");
        }
    }
    Ok(())
}

pub(crate) fn pk_sampler(cfg: &TrainConfig) -> PkSampler {
    PkSampler {
        classes_per_batch: cfg.classes_per_batch,
        per_class: cfg.per_class,
        replacement: cfg.pk_replacement,
    }
}

/// The batches of one epoch, drawn from the epoch's own random stream.
fn epoch_batches(split: &Split, cfg: &TrainConfig, epoch: usize) -> Result<Vec<Batch>> {
    let mut rng = rng_for(cfg.seed, stream::TRAIN, epoch as u64);
    let per_epoch = cfg.pairs_per_epoch.unwrap_or(split.train_items.len());
    let tuples: Vec<(Vec<usize>, bool)> = match (&split.train_index, cfg.sampler, cfg.loss) {
        (Some(index), SamplerKind::Pk, _) => {
            let pk = pk_sampler(cfg);
            let n = (per_epoch / pk.batch_size()).max(1);
            return Ok(pk
                .batches(index, n, &mut rng)
                .into_iter()
                .map(Batch::pk)
                .collect());
        }
        (Some(_), SamplerKind::Views, _) => {
            // Two views of each item, side by side: [i, i, j, j, …]; each gets its own
            // augmentation when the batch is built.
            let mut items = split.train_items.clone();
            items.shuffle(&mut rng);
            items.truncate(per_epoch.min(items.len()));
            return Ok(items
                .chunks_exact(cfg.classes_per_batch)
                .map(|c| Batch::pk(c.iter().flat_map(|&i| [i, i]).collect()))
                .collect());
        }
        (Some(index), _, LossKind::Triplet) => random_triplets(index, per_epoch, &mut rng)?
            .into_iter()
            .map(|(a, p, n)| (vec![a, p, n], true))
            .collect(),
        (Some(index), _, _) => balanced_pairs(index, per_epoch, &mut rng)?
            .into_iter()
            .map(|(a, b, s)| (vec![a, b], s))
            .collect(),
        (None, _, _) => {
            let mut pairs = split.train_pairs.clone();
            pairs.shuffle(&mut rng_for(cfg.seed, stream::SHUFFLE, epoch as u64));
            pairs.into_iter().map(|(a, b, s)| (vec![a, b], s)).collect()
        }
    };
    Ok(tuples
        .chunks(cfg.batch_size)
        .map(|c| Batch::tuples(c.to_vec()))
        .collect())
}

/// Validation metrics and the threshold calibrated on the validation pairs.
pub(crate) fn validate(
    net: &SiameseNet,
    split: &Split,
    input: &InputSpec,
    cfg: &TrainConfig,
) -> Result<(VerificationMetrics, f32)> {
    let infer = net.valid();
    let scorer = match &infer.head {
        Some(head) => head.to_scorer(),
        None => Scorer::Distance(cfg.distance),
    };
    let device = backend::inference_device();
    // Embed each item used by a validation pair once.
    let mut items: Vec<usize> = split.val_pairs.iter().flat_map(|p| [p.0, p.1]).collect();
    items.sort_unstable();
    items.dedup();
    let emb = embed_items(
        &infer.tower,
        input,
        &device,
        items.len(),
        |k| split.item(items[k]),
        512,
    );
    let pos = |i: usize| {
        items
            .binary_search(&i)
            .expect("validation item was embedded")
    };
    let pairs: Vec<_> = split
        .val_pairs
        .iter()
        .map(|&(a, b, s)| (pos(a), pos(b), s))
        .collect();
    let dim = emb.len() / items.len().max(1);
    let (_, d) = evaluate_pairs(&emb, dim, &pairs, &scorer, 0.0);
    let same: Vec<bool> = pairs.iter().map(|p| p.2).collect();
    let threshold = calibrate_threshold(&d, &same);
    Ok((
        VerificationMetrics::compute(&d, &same, threshold),
        threshold,
    ))
}
