//! Text towers: a pretrained BERT (sentence-transformers models, e.g. all-MiniLM-L6-v2) that
//! gives the reference numbers, with its tokenizer, pooling and model directory.

mod bert;
mod distilbert;
mod encoder;
mod import;
mod mine;
mod model;
mod mpnet;
mod names;
mod pooling;
mod prompts;
mod ragged;
mod st_folder;
mod tokenize;
mod weights;

pub use bert::{check_family, Bert, BertConfig};
pub use encoder::{BagConfig, BagEncoder, EncoderConfig, TextEncoder};
pub use import::{import_sentence_transformers, Imported};
pub use mine::{mine_negatives_file, MiningReport};
pub use model::{
    embed_texts, is_text_model, save_text_model, ScratchTower, TextManifest, TextModel, TextTower,
    TEXT_BATCH, TEXT_FORMAT, TOKENIZER_FILE,
};
pub use mpnet::relative_position_bucket;
pub use names::TensorNames;
pub use pooling::Pooling;
pub use tokenize::TextTokenizer;
pub use weights::{TensorSink, TensorSource};
