//! Pretrained face networks (face-api's, TensorFlow.js weights): the reader of their weight
//! files first; the recognition, detection and landmark networks build on it.

mod recognition;
mod tfjs;

pub use recognition::{FaceRecognitionNet, DESCRIPTOR_DIM, FACE_CROP};
pub use tfjs::{parse_tfjs, read_tfjs, TfjsTensor, TfjsWeights, MAX_TFJS_BYTES};
