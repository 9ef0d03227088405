//! Training: the loop that turns sampled pairs into weight updates, with validation,
//! checkpoints, resume and a model directory at the end.

mod checkpoint;
mod config;
mod data;
mod net;
mod run;
mod step;
mod text;
mod text_batches;

pub use checkpoint::{Checkpoint, CHECKPOINT_DIR};
pub use config::{OptimizerKind, SamplerKind, TrainConfig};
pub use net::SiameseNet;
pub use run::{train, EpochMetrics, TrainReport};
pub use text::{finetune_text, TextEpoch, TextLoss, TextTrainConfig, TextTrainReport};
pub use text_batches::TextTrainData;
