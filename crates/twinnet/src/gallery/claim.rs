//! "Is this who it claims to be?": a questioned input against every reference enrolled under
//! the claimed label, the way a bank checks a cheque's signature against the specimens on file
//! (1:N against one identity, where identification is 1:N against everyone).

use super::Hit;
use anyhow::{bail, Result};
use serde::Serialize;

/// How the distances to a claim's references become one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimScore {
    /// The mean distance to the references (steadier; what `eval --references` calls `mean`).
    #[default]
    Mean,
    /// The distance to the closest reference.
    Min,
}

impl std::str::FromStr for ClaimScore {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "mean" => Ok(Self::Mean),
            "min" => Ok(Self::Min),
            other => bail!("unknown claim score '{other}' (choose mean or min)"),
        }
    }
}

impl std::fmt::Display for ClaimScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Mean => "mean",
            Self::Min => "min",
        })
    }
}

/// The verdict on a claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct ClaimCheck {
    /// The label claimed.
    pub claim: String,
    /// References enrolled under it.
    pub references: usize,
    /// Mean distance to them.
    pub mean_distance: f32,
    /// Distance to the closest.
    pub min_distance: f32,
    /// Which of the two decides (`mean` or `min`).
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub score: ClaimScore,
    /// The threshold decided with.
    pub threshold: f32,
    /// The score is within the threshold: the claim is accepted.
    pub accepted: bool,
    /// Every reference, nearest first.
    pub matches: Vec<Hit>,
}

impl ClaimCheck {
    /// Decides `claim` from the distances to its references (`hits`); no reference at all is
    /// an error, not a rejection: the claim names no one the gallery knows.
    ///
    /// ```
    /// use twinnet::gallery::{ClaimCheck, ClaimScore, Hit};
    /// let hits: Vec<Hit> = [0.2, 0.4, 0.9].iter().enumerate()
    ///     .map(|(i, &d)| Hit { id: i as u64, label: "w7".into(), distance: d }).collect();
    /// let mean = ClaimCheck::decide("w7", hits.clone(), ClaimScore::Mean, 0.45).unwrap();
    /// assert_eq!((mean.references, mean.mean_distance, mean.accepted), (3, 0.5, false));
    /// let min = ClaimCheck::decide("w7", hits, ClaimScore::Min, 0.45).unwrap();
    /// assert_eq!((min.min_distance, min.accepted), (0.2, true));
    /// assert!(ClaimCheck::decide("w8", vec![], ClaimScore::Mean, 0.45).is_err());
    /// ```
    pub fn decide(claim: &str, hits: Vec<Hit>, score: ClaimScore, threshold: f32) -> Result<Self> {
        if hits.is_empty() {
            bail!("the gallery has no references enrolled as '{claim}' (enrol some with `gallery enroll --label {claim}`)");
        }
        let n = hits.len();
        let mean_distance = hits.iter().map(|h| h.distance).sum::<f32>() / n as f32;
        let min_distance = hits
            .iter()
            .map(|h| h.distance)
            .fold(f32::INFINITY, f32::min);
        let mut check = Self {
            claim: claim.to_string(),
            references: n,
            mean_distance,
            min_distance,
            score,
            threshold,
            accepted: false,
            matches: hits,
        };
        check.accepted = check.decisive() <= threshold;
        Ok(check)
    }

    /// The distance that decides: the mean or the min, as `score` says.
    pub fn decisive(&self) -> f32 {
        match self.score {
            ClaimScore::Mean => self.mean_distance,
            ClaimScore::Min => self.min_distance,
        }
    }
}

impl std::fmt::Display for ClaimCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = if self.accepted {
            "accepted"
        } else {
            "rejected"
        };
        write!(
            f,
            "claim '{}' {verdict}: {} distance {:.4} to {} references (mean {:.4}, min {:.4}), threshold {:.4}",
            self.claim,
            self.score,
            self.decisive(),
            self.references,
            self.mean_distance,
            self.min_distance,
            self.threshold
        )
    }
}
