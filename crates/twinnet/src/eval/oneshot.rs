//! N-way K-shot evaluation on classes the model has (ideally) never seen — Koch et al.'s
//! protocol. Items are embedded once; each episode is then index look-ups and distances.

use crate::sampling::{rng_for, stream};
use crate::score::Scorer;
use anyhow::{bail, Result};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// How a query is matched against K supports per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ShotRule {
    /// The class whose supports have the smallest mean distance to the query.
    #[default]
    MeanDistance,
    /// The class whose mean embedding (prototype) is nearest (Snell et al.'s prototypes).
    Prototype,
}

/// An episode set's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneShotResult {
    /// N.
    pub ways: usize,
    /// K.
    pub shots: usize,
    /// Episodes run.
    pub episodes: usize,
    /// Fraction of episodes whose query was assigned its own class.
    pub accuracy: f64,
    /// Half-width of the 95 % confidence interval of the accuracy (normal approximation).
    pub ci95: f64,
    /// Accuracy of guessing: 1 / N.
    pub chance: f64,
    /// Matching rule.
    pub rule: ShotRule,
}

/// Runs `episodes` seeded N-way K-shot episodes over embeddings `emb` (`dim` per item) with
/// class `labels`. A class takes part only if it has at least K + 1 items (K supports and a
/// query that is never one of them).
///
/// ```
/// use twinnet::eval::{one_shot, ShotRule};
/// use twinnet::{score::Scorer, Distance};
/// // Three classes of 1-d embeddings far apart: every episode is answered right.
/// let emb = [0.0, 0.1, 0.2, 10.0, 10.1, 10.2, 20.0, 20.1, 20.2];
/// let labels = [0, 0, 0, 1, 1, 1, 2, 2, 2];
/// let names = ["a".to_string(), "b".into(), "c".into()];
/// let r = one_shot(&emb, 1, &labels, &names, 3, 1, 100, 0, &Scorer::Distance(Distance::Euclidean), ShotRule::MeanDistance).unwrap();
/// assert_eq!((r.accuracy, r.ci95), (1.0, 0.0));
/// assert!((r.chance - 1.0 / 3.0).abs() < 1e-12);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn one_shot(
    emb: &[f32],
    dim: usize,
    labels: &[usize],
    class_names: &[String],
    ways: usize,
    shots: usize,
    episodes: usize,
    seed: u64,
    scorer: &Scorer,
    rule: ShotRule,
) -> Result<OneShotResult> {
    let groups = vec![0; class_names.len()];
    let (result, _) = one_shot_grouped(
        emb,
        dim,
        labels,
        class_names,
        &groups,
        ways,
        shots,
        episodes,
        seed,
        scorer,
        rule,
    )?;
    Ok(result)
}

/// Like [`one_shot`], with each episode's N classes drawn from one group (`groups[class]`, e.g.
/// the class's alphabet: Lake et al.'s within-alphabet runs). Each episode picks one of the
/// groups that have N eligible classes, uniformly; returns those groups too. With a single
/// group the episodes are exactly [`one_shot`]'s.
///
/// ```
/// use twinnet::eval::{one_shot_grouped, ShotRule};
/// use twinnet::{score::Scorer, Distance};
/// // Two alphabets of two classes. Alphabet 0's classes interleave, so its episodes are
/// // answered right a quarter of the time; alphabet 1's always: about 0.625 in all. (Mixed
/// // alphabets would make most episodes easy.)
/// let emb = [0.0, 0.1, 0.05, 0.15, 10.0, 10.1, 20.0, 20.1];
/// let labels = [0, 0, 1, 1, 2, 2, 3, 3];
/// let names: Vec<String> = ["a/x", "a/y", "b/x", "b/y"].map(String::from).to_vec();
/// let scorer = Scorer::Distance(Distance::Euclidean);
/// let (r, used) = one_shot_grouped(&emb, 1, &labels, &names, &[0, 0, 1, 1], 2, 1, 400, 0, &scorer, ShotRule::MeanDistance).unwrap();
/// assert_eq!(used, [0, 1]);
/// assert!(r.accuracy > 0.5 && r.accuracy < 0.75, "{}", r.accuracy);
/// let err = one_shot_grouped(&emb, 1, &labels, &names, &[0, 0, 1, 1], 3, 1, 10, 0, &scorer, ShotRule::MeanDistance).unwrap_err();
/// assert!(err.to_string().contains("no group"), "{err}");
/// ```
#[allow(clippy::too_many_arguments)]
pub fn one_shot_grouped(
    emb: &[f32],
    dim: usize,
    labels: &[usize],
    class_names: &[String],
    groups: &[usize],
    ways: usize,
    shots: usize,
    episodes: usize,
    seed: u64,
    scorer: &Scorer,
    rule: ShotRule,
) -> Result<(OneShotResult, Vec<usize>)> {
    if ways < 2 || shots < 1 || episodes < 1 {
        bail!("`ways` must be at least 2, `shots` and `episodes` at least 1");
    }
    let mut by_class = vec![Vec::new(); class_names.len()];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let eligible: Vec<usize> = (0..by_class.len())
        .filter(|&c| by_class[c].len() > shots)
        .collect();
    if eligible.len() < ways {
        let smallest = by_class
            .iter()
            .filter(|c| !c.is_empty())
            .map(Vec::len)
            .min()
            .unwrap_or(0);
        bail!(
            "{ways}-way {shots}-shot needs {ways} classes with at least {} examples; the selection has {} classes, {} of them with enough (smallest class: {smallest} examples)",
            shots + 1,
            by_class.iter().filter(|c| !c.is_empty()).count(),
            eligible.len()
        );
    }
    let n_groups = groups.iter().max().map_or(1, |m| m + 1);
    let mut in_group = vec![Vec::new(); n_groups];
    for &c in &eligible {
        in_group[groups[c]].push(c);
    }
    let usable: Vec<usize> = (0..n_groups)
        .filter(|&g| in_group[g].len() >= ways)
        .collect();
    if usable.is_empty() {
        bail!(
            "{ways}-way episodes within a group: no group has {ways} classes with at least {} examples (the largest has {})",
            shots + 1,
            in_group.iter().map(Vec::len).max().unwrap_or(0)
        );
    }
    let row = |i: usize| &emb[i * dim..(i + 1) * dim];
    let mut rng = rng_for(seed, stream::EVAL, 1);
    let mut correct = 0usize;
    for _ in 0..episodes {
        // One usable group draws nothing, so ungrouped episodes stay what they always were.
        let group = match usable.as_slice() {
            [only] => *only,
            _ => *usable.choose(&mut rng).expect("usable is not empty"),
        };
        let classes: Vec<usize> = in_group[group]
            .choose_multiple(&mut rng, ways)
            .copied()
            .collect();
        let target = rng.random_range(0..ways);
        let mut best = (f32::INFINITY, usize::MAX);
        let mut query = 0;
        let mut supports_of = Vec::with_capacity(ways);
        for (w, &c) in classes.iter().enumerate() {
            let mut items = by_class[c].clone();
            let (picked, _) = items.partial_shuffle(&mut rng, shots + usize::from(w == target));
            let picked = picked.to_vec();
            if w == target {
                query = picked[shots];
            }
            supports_of.push(picked[..shots].to_vec());
        }
        for (w, supports) in supports_of.iter().enumerate() {
            let score = match rule {
                ShotRule::MeanDistance => {
                    supports
                        .iter()
                        .map(|&s| scorer.score(row(query), row(s)))
                        .sum::<f32>()
                        / shots as f32
                }
                ShotRule::Prototype => {
                    let mut proto = vec![0.0f32; dim];
                    for &s in supports {
                        for (p, v) in proto.iter_mut().zip(row(s)) {
                            *p += v / shots as f32;
                        }
                    }
                    scorer.score(row(query), &proto)
                }
            };
            if score < best.0 {
                best = (score, w);
            }
        }
        if best.1 == target {
            correct += 1;
        }
    }
    let p = correct as f64 / episodes as f64;
    let result = OneShotResult {
        ways,
        shots,
        episodes,
        accuracy: p,
        ci95: 1.96 * (p * (1.0 - p) / episodes as f64).sqrt(),
        chance: 1.0 / ways as f64,
        rule,
    };
    Ok((result, usable))
}
