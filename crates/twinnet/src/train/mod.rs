//! Training: the loop that turns sampled pairs into weight updates, with validation,
//! checkpoints, resume and a model directory at the end.

#[cfg(feature = "text")]
mod cached;
mod checkpoint;
mod config;
mod data;
mod engine;
mod image_task;
mod net;
mod observer;
mod optim;
mod run;
mod step;
#[cfg(feature = "text")]
mod text;
#[cfg(feature = "text")]
mod text_batches;
#[cfg(feature = "text")]
mod text_data;
mod track;
mod track_config;
mod trainer;

pub use checkpoint::{check_output_dir, Checkpoint, CHECKPOINT_DIR};
pub use config::{OptimizerKind, SamplerKind, TrainConfig};
pub use engine::{Best, LoopState, StepValidation};
pub use net::SiameseNet;
pub use observer::{EpochEnd, Interrupted, Observer, ProgressBars, Recorder, Silent, StepProgress};
pub use optim::{LrSchedule, OptimSettings};
pub use run::{
    read_metrics, train, train_observed, EpochMetrics, TrainReport, Trained, OUTPUT_LOCK,
};
#[cfg(feature = "text")]
pub use text::{
    finetune_text, finetune_text_observed, TextEpoch, TextLoss, TextTrainConfig, TextTrainReport,
};
#[cfg(feature = "text")]
pub use text_batches::TextTrainData;
#[cfg(feature = "text")]
pub use text_data::{TextDataSource, TextFormat};
pub use track::{train_tracker, TrackEpoch, TrackTrainReport};
pub use track_config::TrackConfig;
pub use trainer::Trainer;
