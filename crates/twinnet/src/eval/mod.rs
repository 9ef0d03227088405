//! Evaluation: how well distances separate same from different.

mod roc;
mod verification;

pub use roc::{accuracy_at, calibrate_threshold, roc_curve, RocPoint, VerificationMetrics};
pub use verification::{embed_items, evaluate_model, evaluate_pairs, pair_distances};
