//! `twinnet gallery enroll|list|remove` and `twinnet identify`: galleries of enrolled embeddings.

use crate::output::{print_json, Table};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use twinnet::gallery::{DirGallery, Entry, GalleryStore, Hit};
use twinnet::model::TwinModel;
use twinnet::text::{is_text_model, TextModel};
use twinnet::Distance;

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
        /// Gallery directory (created on the first enrolment).
        #[arg(long)]
        gallery: PathBuf,
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
        /// Gallery directory.
        #[arg(long)]
        gallery: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an entry by id.
    Remove {
        /// Gallery directory.
        #[arg(long)]
        gallery: PathBuf,
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
    /// Gallery directory.
    #[arg(long)]
    pub gallery: PathBuf,
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

/// An image or text model, as far as a gallery cares.
enum AnyModel {
    Image(Box<TwinModel>),
    Text(Box<TextModel>),
}

impl AnyModel {
    fn load(dir: &Path) -> Result<Self> {
        Ok(if is_text_model(dir) {
            Self::Text(Box::new(TextModel::load(dir)?))
        } else {
            Self::Image(Box::new(TwinModel::load(dir)?))
        })
    }

    /// Architecture and weights hash: what must match for embeddings to be comparable.
    fn fingerprint(&self) -> Result<String> {
        Ok(match self {
            Self::Image(m) => format!(
                "{}:{}",
                m.manifest.tower.kind_name(),
                m.manifest.weights.sha256
            ),
            Self::Text(m) => m.fingerprint()?,
        })
    }

    fn dim(&self) -> usize {
        match self {
            Self::Image(m) => m.manifest.tower.embedding_dim(),
            Self::Text(m) => m.manifest.embedding_dim(),
        }
    }

    fn distance(&self) -> Result<Distance> {
        match self {
            Self::Image(m) if m.manifest.head.is_some() => {
                bail!("a model that scores pairs with a learned head cannot search a gallery by distance")
            }
            Self::Image(m) => Ok(m.manifest.distance),
            Self::Text(m) => Ok(m.manifest.distance),
        }
    }

    fn threshold(&self) -> Option<f32> {
        match self {
            Self::Image(m) => Some(m.manifest.threshold),
            Self::Text(m) => m.manifest.threshold,
        }
    }

    /// Embeds image files or texts, whichever this model takes; `(source, embedding)` pairs.
    fn embed(&self, files: &[PathBuf], texts: &[String]) -> Result<Vec<(String, Vec<f32>)>> {
        match self {
            Self::Image(m) => {
                if !texts.is_empty() {
                    bail!("this is an image model; give image files, not --text");
                }
                let e = m.embed_files(files)?;
                Ok(files
                    .iter()
                    .map(|f| f.display().to_string())
                    .zip(e)
                    .collect())
            }
            Self::Text(m) => {
                if !files.is_empty() {
                    bail!("this is a text model; give --text, not files");
                }
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                Ok(texts.iter().cloned().zip(m.embed(&refs)?).collect())
            }
        }
    }

    fn open_gallery(&self, dir: &Path) -> Result<DirGallery> {
        DirGallery::open(dir, &self.fingerprint()?, self.dim(), self.distance()?)
    }
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
            let model = AnyModel::load(&model)?;
            let mut g = model.open_gallery(&gallery)?;
            let items = model
                .embed(&inputs, &texts)?
                .into_iter()
                .map(|(source, e)| (label.clone(), source, e))
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
            let g = DirGallery::read(&gallery)?;
            let entries = g.entries();
            if json {
                return print_json(&entries);
            }
            println!("{}", entry_table(&entries));
            Ok(())
        }
        Action::Remove { gallery, id } => {
            let mut g = DirGallery::read(&gallery)?;
            if !g.remove(id)? {
                bail!("{} has no entry with id {id}", gallery.display());
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

#[derive(Serialize)]
struct Identified {
    /// The best match's label, or "unknown" when it is beyond the threshold.
    label: String,
    /// Distance to the best match.
    distance: Option<f32>,
    threshold: f32,
    /// The nearest entries, nearest first.
    matches: Vec<Hit>,
}

/// Runs `twinnet identify`.
pub fn identify(args: IdentifyArgs) -> Result<()> {
    let model = AnyModel::load(&args.model)?;
    let Some(threshold) = args.threshold.or(model.threshold()) else {
        bail!(
            "{} has no calibrated threshold; pass --threshold",
            args.model.display()
        );
    };
    if !args.gallery.join(twinnet::gallery::GALLERY_FILE).is_file() {
        bail!(
            "{} is not a gallery (enrol something first)",
            args.gallery.display()
        );
    }
    let g = model.open_gallery(&args.gallery)?;
    let files: Vec<PathBuf> = args.input.iter().cloned().collect();
    let texts: Vec<String> = args.text.iter().cloned().collect();
    if files.len() + texts.len() != 1 {
        bail!("give one input: an image file or --text");
    }
    let (_, query) = model.embed(&files, &texts)?.remove(0);
    let matches = g.search(&query, args.top_k.max(1))?;
    let best = matches.first();
    let out = Identified {
        label: match best {
            Some(h) if h.distance <= threshold => h.label.clone(),
            _ => "unknown".into(),
        },
        distance: best.map(|h| h.distance),
        threshold,
        matches,
    };
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
