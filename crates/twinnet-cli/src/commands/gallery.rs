//! `twinnet gallery enroll|list|remove` and `twinnet identify`: galleries of enrolled embeddings.

use crate::output::{emit, print_json, say};
use anyhow::{bail, Result};
use std::path::PathBuf;
use twinnet::embedder::{Embedder, Input};
use twinnet::gallery::Enrolment;
use twinnet::gallery::{read_gallery, require_existing, DEFAULT_INDEX_ABOVE};
use twinnet::report::entry_table;

/// Flags of `twinnet gallery`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Embed inputs with the model and add them to the gallery under one label.
    Enroll {
        /// Model directory (image or text model).
        #[arg(long)]
        model: PathBuf,
        /// Gallery: a directory (created on the first enrolment) or
        /// postgres://user@host:port/db?gallery=NAME.
        #[arg(long)]
        gallery: String,
        /// Who or what the inputs show.
        #[arg(long)]
        label: String,
        /// Texts to enrol (text models; repeatable).
        #[arg(long = "text", value_name = "TEXT")]
        texts: Vec<String>,
        /// Image files to enrol (image models).
        inputs: Vec<PathBuf>,
    },
    /// List the gallery's entries (id, label, source).
    List {
        /// Gallery: a directory or postgres://user@host:port/db?gallery=NAME.
        #[arg(long)]
        gallery: String,
    },
    /// Remove an entry by id.
    Remove {
        /// Gallery: a directory or postgres://user@host:port/db?gallery=NAME.
        #[arg(long)]
        gallery: String,
        /// The entry's id (see `gallery list`).
        id: u64,
    },
}

/// Flags of `twinnet identify`.
#[derive(clap::Args, Debug)]
pub struct IdentifyArgs {
    /// Model directory (the one the gallery was enrolled with).
    #[arg(long)]
    pub model: PathBuf,
    /// Gallery: a directory or postgres://user@host:port/db?gallery=NAME.
    #[arg(long)]
    pub gallery: String,
    /// The image to identify (image models).
    pub input: Option<PathBuf>,
    /// The text to identify (text models).
    #[arg(long)]
    pub text: Option<String>,
    /// How many nearest entries to report.
    #[arg(long, default_value_t = 5)]
    pub top_k: usize,
    /// Accept a match up to this distance instead of the model's calibrated threshold.
    #[arg(long)]
    pub threshold: Option<f32>,
}

/// Runs `twinnet gallery`.
pub fn run(args: Args, json: bool) -> Result<()> {
    match args.action {
        Action::Enroll {
            model,
            gallery,
            label,
            texts,
            inputs,
        } => {
            let name = model.display().to_string();
            let model = Embedder::load(&model)?;
            let inputs = model.gather_inputs(&name, &inputs, &texts, None)?;
            let mut g = model.open_gallery(&gallery, DEFAULT_INDEX_ABOVE)?;
            let ids = model.enroll(&mut g, &label, &inputs)?;
            let entries = g.entries().len();
            emit(
                &Enrolment {
                    label,
                    ids,
                    entries,
                },
                json,
            )?;
        }
        Action::List { gallery } => {
            let entries = read_gallery(&gallery)?.entries();
            if json {
                return print_json(&entries);
            }
            say(entry_table(&entries))?;
        }
        Action::Remove { gallery, id } => {
            let mut g = read_gallery(&gallery)?;
            if !g.remove(id)? {
                bail!("{gallery} has no entry with id {id}");
            }
            say(format!(
                "removed entry {id}; {} entries remain",
                g.entries().len()
            ))?;
        }
    }
    Ok(())
}

/// Runs `twinnet identify`.
pub fn identify(args: IdentifyArgs, json: bool) -> Result<()> {
    let model = Embedder::load(&args.model)?;
    if args.threshold.is_none() && model.threshold().is_none() {
        bail!(
            "{} has no calibrated threshold; pass --threshold",
            args.model.display()
        );
    }
    require_existing(&args.gallery)?;
    let g = model.open_gallery(&args.gallery, DEFAULT_INDEX_ABOVE)?;
    let input = match (args.input, args.text) {
        (Some(file), None) => Input::ImageFile(file),
        (None, Some(text)) => Input::Text(text),
        _ => bail!("give one input: an image file or --text"),
    };
    let found = model.identify(&g, &input, args.top_k, args.threshold)?;
    emit(&found, json)
}
