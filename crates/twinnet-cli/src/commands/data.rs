//! `twinnet data fetch`: getting full datasets and models through the package registries.

use crate::output::emit;
use anyhow::Result;
use std::path::PathBuf;
use twinnet::data::fetch_from;

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
        /// What to fetch: `mnist` (IDX files), `minilm` (the all-MiniLM-L6-v2
        /// sentence-transformers model), `svc2004` (signatures: <writer>/genuine, <writer>/forged)
        /// or `omniglot` (the two small background sets as <alphabet>/<character>/*.png).
        name: String,
        /// Destination folder [default: data/NAME].
        #[arg(long)]
        dest: Option<PathBuf>,
        /// svc2004 and omniglot: copy from this folder (SVC2004's writer folders; the folder
        /// holding Omniglot's images_background_small1.zip and images_background_small2.zip)
        /// [default: ../shared/data/NAME, else the public source].
        #[arg(long)]
        from: Option<PathBuf>,
    },
}

/// Runs `twinnet data`.
pub fn run(args: Args, json: bool) -> Result<()> {
    let Action::Fetch { name, dest, from } = args.action;
    let dest = dest.unwrap_or_else(|| PathBuf::from(format!("data/{name}")));
    emit(&fetch_from(&name, &dest, from.as_deref())?, json)
}
