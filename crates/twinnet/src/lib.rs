//! twinnet: Siamese networks in Rust — from a pair of inputs to a loss, and from a trained
//! tower to a self-contained model file.
//!
//! The modules follow that path: [`data`] reads files, [`sampling`] draws pairs and triplets,
//! [`tower`] holds the shared-weight encoders, [`distance`] compares embeddings, [`loss`] turns
//! distances into a training signal, [`train`] runs the loop, [`eval`] measures verification
//! quality, and [`model`] writes and reads the model directory; [`distributed`] spreads
//! training over several processes (MPI). [`text`] holds the pretrained
//! BERT tower for sentences. [`embedder`] puts image and text models behind one handle,
//! [`gallery`] keeps enrolled embeddings (a directory with an HNSW index, or PostgreSQL +
//! pgvector), and [`serve`] answers embed, verify and identify over HTTP. [`tracking`] follows a
//! target through a video with SiamFC's fully-convolutional tower and its baselines. [`kernels`] holds
//! twinnet's own CPU kernel for the CNN tower's conv → ReLU → pool blocks on the flex backend.

pub mod backend;
pub mod batch;
pub mod data;
/// The main job on the bundled MNIST sample (needs the `plots` feature for its pictures).
#[cfg(feature = "plots")]
pub mod demo;
pub mod distance;
pub mod distributed;
pub mod embedder;
mod embedder_inputs;
pub mod eval;
pub mod fsutil;
pub mod fuzz;
pub mod gallery;
pub mod kernels;
pub mod loss;
pub mod model;
pub mod recipe;
pub mod report;
pub mod sampling;
pub mod score;
#[cfg(feature = "serve")]
pub mod serve;
/// The text towers, under [`tower`]; kept at the crate root for the paths callers use.
#[cfg(feature = "text")]
pub use tower::text;
pub mod tower;
pub mod tracking;
pub mod train;

pub use distance::Distance;
pub use embedder::{Embedder, Embedder as Model, Input, Verdict, Verification};
pub use loss::LossKind;
pub use recipe::{Recipe, RecipeError};
pub use train::{Trained, Trainer};
