//! Evaluation: how well distances separate same from different.

mod model_eval;
mod oneshot;
mod oneshot_model;
#[cfg(feature = "plots")]
mod plot_set;
#[cfg(feature = "plots")]
pub mod plots;
mod retrieval;
mod roc;
mod signatures;
mod text;
#[cfg(feature = "text")]
mod text_model_eval;
mod tracking;
#[cfg(feature = "plots")]
mod tracking_plots;
mod tracking_report;
mod verification;
mod whiten;

pub use model_eval::{
    evaluate_model_dir, one_shot_model_dir, EvalData, EvalReport, EvalSettings, SignatureEval,
};
pub use oneshot::{one_shot, one_shot_grouped, OneShotResult, ShotRule};
pub use oneshot_model::{evaluate_one_shot, OneShotReport, OneShotSettings};
#[cfg(feature = "plots")]
pub use plot_set::{draw_plots, make_plots};
pub use retrieval::{map_at_r, retrieval, RetrievalMetrics};
pub use roc::{
    accuracy_at, auc, calibrate_threshold, eer, require_same_and_different, roc_curve, tar_at_far,
    RocPoint, VerificationMetrics,
};
pub use signatures::{
    signature_pair_metrics, signature_reference_metrics, ForgeryMetrics, ReferenceMetrics,
};
pub use text::{
    average_precision, distinct_texts, evaluate_text_pairs, f1_at, pearson, spearman,
    TextPairMetrics,
};
#[cfg(feature = "text")]
pub use text::{text_pair_distances, tower_pair_distances};
#[cfg(feature = "text")]
pub use text_model_eval::{evaluate_text_model, TextEvalReport, ThresholdFrom};
pub use tracking::{
    run_sequence, score_tracker, OtbCurves, SequenceScore, TrackerScore, PRECISION_PIXELS,
    SUCCESS_THRESHOLDS,
};
pub use tracking_report::{evaluate_tracking, Baselines, TrackingReport};
pub use verification::{
    embed_items, evaluate_model, evaluate_model_scores, evaluate_pairs, pair_distances,
};
pub use whiten::{cholesky, lower_inverse, Whitener, DEFAULT_WHITEN_SHRINKAGE};
