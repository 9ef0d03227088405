//! Evaluation: how well distances separate same from different.

mod oneshot;
pub mod plots;
mod retrieval;
mod roc;
mod text;
mod verification;
mod whiten;

pub use oneshot::{one_shot, OneShotResult, ShotRule};
pub use retrieval::{map_at_r, retrieval, RetrievalMetrics};
pub use roc::{
    accuracy_at, auc, calibrate_threshold, eer, roc_curve, tar_at_far, RocPoint,
    VerificationMetrics,
};
pub use text::{
    average_precision, distinct_texts, evaluate_text_pairs, f1_at, pearson, spearman,
    text_pair_distances, tower_pair_distances, TextPairMetrics,
};
pub use verification::{
    embed_items, evaluate_model, evaluate_model_scores, evaluate_pairs, pair_distances,
};
pub use whiten::{cholesky, lower_inverse, Whitener, DEFAULT_WHITEN_SHRINKAGE};
