//! One module per subcommand.

pub mod bench;
pub mod data;
pub mod data_args;
pub mod demo;
pub mod embed;
pub mod eval;
pub mod finetune;
pub mod gallery;
pub mod import;
pub mod mine;
pub mod oneshot;
pub mod plot;
pub mod serve;
pub mod track;
pub mod train;
pub mod verify;
