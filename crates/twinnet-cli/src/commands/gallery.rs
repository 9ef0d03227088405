//! `twinnet gallery enroll|list|remove` and `twinnet identify`: galleries of enrolled embeddings.

use crate::output::{print_json, Table};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use twinnet::embedder::{Embedder, Input};
use twinnet::gallery::{is_postgres_url, read_gallery, Entry, Identification, DEFAULT_INDEX_ABOVE};

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
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the gallery's entries (id, label, source).
    List {
        /// Gallery: a directory or postgres://user@host:port/db?gallery=NAME.
        #[arg(long)]
        gallery: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
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
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The inputs of a command: image files or `--text` values, never both.
fn to_inputs(files: &[PathBuf], texts: &[String]) -> Vec<Input> {
    files
        .iter()
        .cloned()
        .map(Input::ImageFile)
        .chain(texts.iter().cloned().map(Input::Text))
        .collect()
}

/// Runs `twinnet gallery`.
pub fn run(args: Args) -> Result<()> {
    match args.action {
        Action::Enroll {
            model,
            gallery,
            label,
            texts,
            inputs,
            json,
        } => {
            if texts.is_empty() && inputs.is_empty() {
                bail!("nothing to enrol: give image files or --text");
            }
            let model = Embedder::load(&model)?;
            let mut g = model.open_gallery(&gallery, DEFAULT_INDEX_ABOVE)?;
            let inputs = to_inputs(&inputs, &texts);
            let items = inputs
                .iter()
                .zip(model.embed(&inputs)?)
                .map(|(input, e)| (label.clone(), input.describe(), e))
                .collect();
            let ids = g.add(items)?;
            #[derive(Serialize)]
            struct Enrolled {
                label: String,
                ids: Vec<u64>,
                entries: usize,
            }
            let out = Enrolled {
                label,
                ids,
                entries: g.entries().len(),
            };
            if json {
                return print_json(&out);
            }
            println!(
                "enrolled {} as '{}' (ids {:?}); the gallery holds {} entries",
                out.ids.len(),
                out.label,
                out.ids,
                out.entries
            );
            Ok(())
        }
        Action::List { gallery, json } => {
            let g = read_gallery(&gallery)?;
            let entries = g.entries();
            if json {
                return print_json(&entries);
            }
            println!("{}", entry_table(&entries));
            Ok(())
        }
        Action::Remove { gallery, id } => {
            let mut g = read_gallery(&gallery)?;
            if !g.remove(id)? {
                bail!("{gallery} has no entry with id {id}");
            }
            println!("removed entry {id}; {} entries remain", g.entries().len());
            Ok(())
        }
    }
}

fn entry_table(entries: &[Entry]) -> String {
    let mut t = Table::new(&["id", "label", "source"]);
    for e in entries {
        t.row(vec![e.id.to_string(), e.label.clone(), e.source.clone()]);
    }
    t.render()
}

/// Runs `twinnet identify`.
pub fn identify(args: IdentifyArgs) -> Result<()> {
    let model = Embedder::load(&args.model)?;
    let Some(threshold) = args.threshold.or(model.threshold()) else {
        bail!(
            "{} has no calibrated threshold; pass --threshold",
            args.model.display()
        );
    };
    if !is_postgres_url(&args.gallery)
        && !Path::new(&args.gallery)
            .join(twinnet::gallery::GALLERY_FILE)
            .is_file()
    {
        bail!("{} is not a gallery (enrol something first)", args.gallery);
    }
    let g = model.open_gallery(&args.gallery, DEFAULT_INDEX_ABOVE)?;
    let files: Vec<PathBuf> = args.input.iter().cloned().collect();
    let texts: Vec<String> = args.text.iter().cloned().collect();
    if files.len() + texts.len() != 1 {
        bail!("give one input: an image file or --text");
    }
    let query = model.embed(&to_inputs(&files, &texts))?.remove(0);
    let matches = g.search(&query, args.top_k.max(1))?;
    let out = Identification::decide(matches, threshold);
    if args.json {
        return print_json(&out);
    }
    println!("identified as: {}", out.label);
    let mut t = Table::new(&["id", "label", "distance"]);
    for h in &out.matches {
        t.row(vec![
            h.id.to_string(),
            h.label.clone(),
            format!("{:.4}", h.distance),
        ]);
    }
    println!("{}", t.render());
    Ok(())
}
