//! Whose tensor names a checkpoint uses. BERT, RoBERTa and XLM-R share one naming; DistilBERT
//! and MPNet name the same layer tensors differently, so loading and saving go through
//! BERT's names and [`TensorNames::translate`].

/// Whose tensor names a checkpoint uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TensorNames {
    /// `encoder.layer.N.attention.self.query…` (BERT, RoBERTa, XLM-R, and all twinnet writes
    /// but MPNet).
    #[default]
    Bert,
    /// `transformer.layer.N.attention.q_lin…`, no `embeddings.token_type_embeddings`.
    DistilBert,
    /// `encoder.layer.N.attention.attn.q…`, no token types, a relative-position bias table.
    Mpnet,
}

/// DistilBERT's layer prefix and names for BERT's layer tensors.
const DISTILBERT: (&str, &[(&str, &str)]) = (
    "transformer.layer",
    &[
        ("attention.self.query.", "attention.q_lin."),
        ("attention.self.key.", "attention.k_lin."),
        ("attention.self.value.", "attention.v_lin."),
        ("attention.output.dense.", "attention.out_lin."),
        ("attention.output.LayerNorm.", "sa_layer_norm."),
        ("intermediate.dense.", "ffn.lin1."),
        ("output.dense.", "ffn.lin2."),
        ("output.LayerNorm.", "output_layer_norm."),
    ],
);

/// MPNet's layer prefix and names for BERT's layer tensors (the feed-forward ones are BERT's).
const MPNET: (&str, &[(&str, &str)]) = (
    "encoder.layer",
    &[
        ("attention.self.query.", "attention.attn.q."),
        ("attention.self.key.", "attention.attn.k."),
        ("attention.self.value.", "attention.attn.v."),
        ("attention.output.dense.", "attention.attn.o."),
        ("attention.output.LayerNorm.", "attention.LayerNorm."),
    ],
);

impl TensorNames {
    /// The checkpoint's name for the tensor BERT calls `bert`.
    ///
    /// ```
    /// use twinnet::text::TensorNames;
    /// let n = TensorNames::DistilBert.translate("encoder.layer.3.attention.self.query.weight");
    /// assert_eq!(n, "transformer.layer.3.attention.q_lin.weight");
    /// let n = TensorNames::DistilBert.translate("encoder.layer.0.output.LayerNorm.bias");
    /// assert_eq!(n, "transformer.layer.0.output_layer_norm.bias");
    /// let n = TensorNames::Mpnet.translate("encoder.layer.1.attention.output.dense.weight");
    /// assert_eq!(n, "encoder.layer.1.attention.attn.o.weight");
    /// assert_eq!(TensorNames::Mpnet.translate("encoder.layer.1.output.dense.bias"), "encoder.layer.1.output.dense.bias");
    /// assert_eq!(TensorNames::Bert.translate("embeddings.LayerNorm.weight"), "embeddings.LayerNorm.weight");
    /// ```
    pub fn translate(self, bert: &str) -> String {
        let (prefix, map) = match self {
            Self::Bert => return bert.to_string(),
            Self::DistilBert => DISTILBERT,
            Self::Mpnet => MPNET,
        };
        let Some((layer, part)) = bert
            .strip_prefix("encoder.layer.")
            .and_then(|rest| rest.split_once('.'))
        else {
            return bert.to_string();
        };
        let part = map
            .iter()
            .find_map(|(from, to)| part.strip_prefix(from).map(|tail| format!("{to}{tail}")))
            .unwrap_or_else(|| part.to_string());
        format!("{prefix}.{layer}.{part}")
    }
}
