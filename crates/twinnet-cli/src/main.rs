//! `twinnet`: train, evaluate and use Siamese networks from the command line.
//!
//! A thin layer over the `twinnet` library: it parses flags, calls the library, and prints a
//! table for people or JSON (`--json`) for programs.

mod commands;
mod output;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

const LABELS: &str = "Pair labels: files and output use 1 = same, 0 = different. \
(The seed's contrastive loss writes Y = 0 for similar, Y = 1 for dissimilar; twinnet converts \
in one place.)";

/// Siamese networks: train, evaluate, embed and verify.
#[derive(Parser)]
#[command(
    name = "twinnet",
    version,
    about = "Siamese networks: train, evaluate, embed and verify; one-shot, retrieval, plots and benchmarks.",
    after_help = LABELS
)]
struct Cli {
    /// Print results, and errors, as JSON (for programs).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a Siamese network and write a model directory.
    #[command(after_help = LABELS)]
    Train(Box<commands::train::Args>),
    /// Fine-tune a pretrained text model on text pairs (TSV).
    #[command(after_help = LABELS)]
    Finetune(Box<commands::finetune::Args>),
    /// Evaluate a model on seeded, balanced verification pairs (or a text model on a TSV of
    /// text pairs).
    Eval(commands::eval::Args),
    /// Print one embedding per input image or text.
    Embed(commands::embed::Args),
    /// Decide whether two images (or two texts) show the same class.
    Verify(commands::verify::Args),
    /// N-way K-shot accuracy on classes the model did not train on.
    Oneshot(commands::oneshot::Args),
    /// Draw the ROC, distance histograms, an embedding map and training curves (PNG + SVG).
    Plot(commands::plot::Args),
    /// Train, evaluate, one-shot and verify on the bundled MNIST sample (about a minute on 2 cores).
    Demo(commands::demo::Args),
    /// Measure training and inference throughput, mining and one-shot costs.
    Bench(commands::bench::Args),
    /// Fetch datasets and pretrained models.
    Data(commands::data::Args),
    /// Mine hard negatives for (anchor, positive) text pairs with a text model → triplets.
    MineNegatives(commands::mine::Args),
    /// Import a model made elsewhere (a sentence-transformers folder).
    Import(commands::import::Args),
    /// Enrol embeddings into a gallery, list and remove them.
    Gallery(commands::gallery::Args),
    /// Find who an input is among a gallery's enrolled entries ("unknown" beyond the threshold).
    Identify(commands::gallery::IdentifyArgs),
    /// Track a target through a video (SiamFC); `track eval` scores a model against baselines.
    Track(commands::track::Args),
    /// Serve embed, verify, identify and the gallery over HTTP (JSON or multipart; see
    /// /openapi.json).
    Serve(Box<commands::serve::Args>),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TWINNET_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    twinnet::backend::keep_freed_memory();
    // Asked for JSON, a program reads the errors too, clap's included: `{"error": …}` on stderr.
    let json = std::env::args_os().skip(1).any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if json && e.use_stderr() => {
            output::print_error(&output::clap_message(&e), json);
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    let json = cli.json;
    let result = match cli.command {
        Command::Train(a) => commands::train::run(*a, json),
        Command::Eval(a) => commands::eval::run(a, json),
        Command::Finetune(a) => commands::finetune::run(*a, json),
        Command::Embed(a) => commands::embed::run(a, json),
        Command::Verify(a) => commands::verify::run(a, json),
        Command::Demo(a) => commands::demo::run(a, json),
        Command::Oneshot(a) => commands::oneshot::run(a, json),
        Command::Plot(a) => commands::plot::run(a, json),
        Command::Data(a) => commands::data::run(a, json),
        Command::Bench(a) => commands::bench::run(a, json),
        Command::Import(a) => commands::import::run(a, json),
        Command::MineNegatives(a) => commands::mine::run(a, json),
        Command::Gallery(a) => commands::gallery::run(a, json),
        Command::Identify(a) => commands::gallery::identify(a, json),
        Command::Track(a) => commands::track::run(a, json),
        Command::Serve(a) => commands::serve::run(*a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<output::StdoutClosed>() => ExitCode::SUCCESS,
        Err(e) => {
            output::print_error(&output::one_line(&e), json);
            ExitCode::FAILURE
        }
    }
}
