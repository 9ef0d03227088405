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
        /// sentence-transformers model), `svc2004` (<writer>/genuine, <writer>/forged), `omniglot`
        /// (<alphabet>/<character>/*.png), `pets09` (a tracking sequence per person, train/ test/) or
        /// `face-api` (face-api's pretrained networks, TensorFlow.js weights).
        name: String,
        /// Destination folder [default: data/NAME].
        #[arg(long)]
        dest: Option<PathBuf>,
        /// svc2004, omniglot, pets09, face-api: copy from this folder (SVC2004's writer folders;
        /// Omniglot's images_background_small{1,2}.zip; PETS09-S2L1's gt.txt; face-api's
        /// model/ manifests and shards) [default: ../shared/data/NAME (pets09-s2l1), else the
        /// public source; face-api: its npm package].
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
