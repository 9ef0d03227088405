//! Prompts: the prefixes some sentence models were trained with ("query: " and "passage: " for
//! e5, an instruction for bge queries). A model's named prompts live in its manifest and in the
//! sentence-transformers `config_sentence_transformers.json` (`prompts`, `default_prompt_name`);
//! like sentence-transformers' `encode`, embedding applies the default prompt unless another
//! prompt, or none, is chosen.

use super::model::{TextManifest, TextModel};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// The file of a sentence-transformers folder that holds its prompts.
pub const ST_CONFIG_FILE: &str = "config_sentence_transformers.json";

impl TextManifest {
    /// The text of the default prompt, if the model names one.
    pub fn default_prompt(&self) -> Option<String> {
        let name = self.default_prompt_name.as_deref()?;
        self.prompts.get(name).cloned()
    }

    /// Refuses a default prompt name the prompts do not hold.
    pub fn check_prompts(&self) -> Result<()> {
        if let Some(name) = &self.default_prompt_name {
            if !self.prompts.contains_key(name) {
                bail!(
                    "default_prompt_name '{name}' is not among the prompts {:?}",
                    self.names()
                );
            }
        }
        Ok(())
    }

    fn names(&self) -> Vec<&str> {
        self.prompts.keys().map(String::as_str).collect()
    }
}

/// The prompts and default prompt name of a sentence-transformers folder (none when the file
/// is absent).
pub(super) fn read_st_prompts(dir: &Path) -> Result<(BTreeMap<String, String>, Option<String>)> {
    let path = dir.join(ST_CONFIG_FILE);
    if !path.is_file() {
        return Ok((BTreeMap::new(), None));
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: invalid JSON", path.display()))?;
    let prompts = match v.get("prompts") {
        None | Some(serde_json::Value::Null) => BTreeMap::new(),
        Some(p) => serde_json::from_value(p.clone())
            .with_context(|| format!("{}: prompts must map names to texts", path.display()))?,
    };
    let default = v["default_prompt_name"].as_str().map(str::to_string);
    Ok((prompts, default))
}

impl TextModel {
    /// Chooses the prompt put before every text this model embeds: `text` itself, else the
    /// prompt named `name`, else (neither given) the model's default. `Some("")` embeds texts
    /// as they are.
    ///
    /// ```no_run
    /// # fn main() -> anyhow::Result<()> {
    /// let model = twinnet::text::TextModel::load("data/e5".as_ref())?.with_prompt(Some("query"), None)?;
    /// # Ok(()) }
    /// ```
    pub fn with_prompt(mut self, name: Option<&str>, text: Option<&str>) -> Result<Self> {
        self.prompt = match (text, name) {
            (Some(t), _) => Some(t.to_string()),
            (None, Some(n)) => Some(self.manifest.prompts.get(n).cloned().with_context(|| {
                format!(
                    "{}: no prompt named '{n}' (the model has {:?})",
                    self.dir.display(),
                    self.manifest.names()
                )
            })?),
            (None, None) => self.manifest.default_prompt(),
        }
        .filter(|p| !p.is_empty());
        Ok(self)
    }

    /// The prompt put before every text embedded, if any.
    pub fn prompt(&self) -> Option<&str> {
        self.prompt.as_deref()
    }

    /// `texts` with the prompt before each.
    pub(super) fn prompted(&self, texts: &[&str]) -> Option<Vec<String>> {
        let p = self.prompt.as_deref()?;
        Some(texts.iter().map(|t| format!("{p}{t}")).collect())
    }
}
