//! `twinnet data fetch`: getting full datasets and models through the package registries.

use crate::output::emit;
use anyhow::Result;
use std::path::PathBuf;
use twinnet::data::fetch;

/// Flags of `twinnet data`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Fetch a dataset into a local folder.
    Fetch {
        /// What to fetch: `mnist` (IDX files) or `minilm` (the all-MiniLM-L6-v2
        /// sentence-transformers model).
        name: String,
        /// Destination folder [default: data/mnist or data/minilm].
        #[arg(long)]
        dest: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `twinnet data`.
pub fn run(args: Args) -> Result<()> {
    let Action::Fetch { name, dest, json } = args.action;
    let dest = dest.unwrap_or_else(|| PathBuf::from(format!("data/{name}")));
    emit(&fetch(&name, &dest)?, json)
}
