//! What the optimiser updates: the one shared tower, plus Koch's head when that loss is used.

use crate::loss::KochHead;
use crate::tower::Tower;
use burn::module::Module;

/// The trainable parameters of a Siamese network.
#[derive(Module, Debug)]
pub struct SiameseNet {
    /// The shared tower.
    pub tower: Tower,
    /// Koch's learned similarity head, if the loss has one.
    pub head: Option<KochHead>,
}
