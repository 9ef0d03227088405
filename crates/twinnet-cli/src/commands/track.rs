//! `twinnet track`: follow a target through a video; `track eval`: OTB figures with baselines.

use crate::output::emit;
use anyhow::Result;
use std::path::PathBuf;
use twinnet::data::BoxXywh;
use twinnet::eval::evaluate_tracking;

/// Flags of `twinnet track`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    eval: Option<Eval>,
    /// Tracking model directory (from `train --data sequences:DIR`).
    #[arg(long, required = true)]
    model: Option<PathBuf>,
    /// Sequence folder: img/*.jpg or frames.txt, and groundtruth_rect.txt unless --init.
    #[arg(long, required = true)]
    sequence: Option<PathBuf>,
    /// First box x,y,w,h (1-based pixels) [default: the first ground-truth box].
    #[arg(long, value_parser = BoxXywh::parse)]
    init: Option<BoxXywh>,
    /// Where to write the boxes (OTB format, x,y,w,h per line).
    #[arg(long, required = true)]
    out: Option<PathBuf>,
    /// Draw every frame with its box into this folder (PNG), and six in strip.png.
    #[arg(long)]
    render: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
enum Eval {
    /// OTB one-pass evaluation of the model and two baselines (static box, NCC template matching).
    Eval(EvalArgs),
}

#[derive(clap::Args, Debug)]
struct EvalArgs {
    /// Tracking model directory.
    #[arg(long)]
    model: PathBuf,
    /// Folder of sequence folders.
    #[arg(long)]
    sequences: PathBuf,
    /// Write success and precision plots (PNG + SVG) into this folder.
    #[arg(long)]
    plots: Option<PathBuf>,
}

/// Runs `twinnet track`.
pub fn run(args: Args, json: bool) -> Result<()> {
    if let Some(Eval::Eval(e)) = args.eval {
        let report = evaluate_tracking(&e.model, &e.sequences, e.plots.as_deref(), !json)?;
        return emit(&report, json);
    }
    let (Some(model), Some(sequence), Some(out)) = (args.model, args.sequence, args.out) else {
        anyhow::bail!("--model, --sequence and --out are required");
    };
    let model = twinnet::model::TrackerModel::load(&model)?;
    let run =
        twinnet::tracking::track_folder(&model, &sequence, args.init, args.render.as_deref())?;
    twinnet::tracking::write_boxes(&out, &run.boxes)?;
    emit(&run, json)
}
