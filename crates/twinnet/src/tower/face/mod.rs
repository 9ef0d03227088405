//! Pretrained face networks (face-api's, TensorFlow.js weights): the reader of their weight
//! files first; the recognition, detection and landmark networks build on it.

mod tfjs;

pub use tfjs::{parse_tfjs, read_tfjs, TfjsTensor, TfjsWeights, MAX_TFJS_BYTES};
