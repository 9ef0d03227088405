//! Pictures of what a model learned, as PNG and SVG: the ROC with its EER point and the
//! threshold in use, same/different distance histograms, a 2-D map of the embeddings, and
//! training curves.

use super::RocPoint;
use crate::train::EpochMetrics;
use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

pub(super) const FONT: &str = "sans-serif";
const SIZE: (u32, u32) = (800, 600);

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");
        if plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_err() {
            tracing::warn!("could not register the plot font");
        }
    });
}

pub(super) fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("plotting failed: {e:?}")
}

/// Draws `draw` into `stem.png` and `stem.svg`; returns both paths.
pub(super) fn both(
    stem: &Path,
    draw_png: impl Fn(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
    draw_svg: impl Fn(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
) -> Result<Vec<PathBuf>> {
    register_font();
    if let Some(dir) = stem.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw_png(&root)?;
        root.present().map_err(err)?;
    }
    {
        let root = SVGBackend::new(&svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw_svg(&root)?;
        root.present().map_err(err)?;
    }
    Ok(vec![png, svg])
}

/// Generic drawing code for both backends.
macro_rules! plot_fn {
    ($name:ident, |$root:ident, $($arg:ident : $ty:ty),*| $body:block) => {
        fn $name<DB: DrawingBackend>($root: &DrawingArea<DB, Shift>, $($arg: $ty),*) -> Result<()>
        where
            DB::ErrorType: 'static,
        $body
    };
}

plot_fn!(draw_roc, |root,
                    roc: &[RocPoint],
                    eer: f64,
                    threshold: f32| {
    let mut chart = ChartBuilder::on(root)
        .caption("ROC curve", (FONT, 28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..1f64, 0f64..1.0001f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("false accept rate (FAR)")
        .y_desc("true accept rate (TAR)")
        .label_style((FONT, 16))
        .draw()
        .map_err(err)?;
    let mut pts: Vec<(f64, f64)> = roc.iter().map(|p| (p.far, p.tar)).collect();
    pts.push((1.0, 1.0));
    chart
        .draw_series(LineSeries::new(pts, BLUE.stroke_width(2)))
        .map_err(err)?
        .label("ROC")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            BLACK.mix(0.3),
        ))
        .map_err(err)?
        .label("chance")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.3)));
    chart
        .draw_series(std::iter::once(Circle::new(
            (eer, 1.0 - eer),
            6,
            RED.filled(),
        )))
        .map_err(err)?
        .label(format!("EER = {eer:.4}"))
        .legend(|(x, y)| Circle::new((x + 10, y), 5, RED.filled()));
    if let Some(p) = roc.iter().rev().find(|p| p.threshold <= threshold) {
        chart
            .draw_series(std::iter::once(TriangleMarker::new(
                (p.far, p.tar),
                8,
                GREEN.filled(),
            )))
            .map_err(err)?
            .label(format!(
                "threshold {threshold:.3}: FAR {:.4}, TAR {:.4}",
                p.far, p.tar
            ))
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 6, GREEN.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight, 16)?;
    Ok(())
});

/// The ROC curve with the EER point and the operating point of `threshold`.
pub fn plot_roc(stem: &Path, roc: &[RocPoint], eer: f64, threshold: f32) -> Result<Vec<PathBuf>> {
    both(
        stem,
        |r| draw_roc(r, roc, eer, threshold),
        |r| draw_roc(r, roc, eer, threshold),
    )
}

plot_fn!(draw_hist, |root,
                     distances: &[f32],
                     same: &[bool],
                     threshold: f32| {
    let max = distances
        .iter()
        .copied()
        .fold(0.0f32, f32::max)
        .max(threshold)
        * 1.05
        + 1e-6;
    let bins = 60usize;
    let count = |want: bool| {
        let mut h = vec![0usize; bins];
        let total = same.iter().filter(|&&s| s == want).count().max(1) as f64;
        for (d, s) in distances.iter().zip(same) {
            if *s == want {
                h[((d / max) * bins as f32).min(bins as f32 - 1.0) as usize] += 1;
            }
        }
        h.into_iter()
            .map(move |c| c as f64 / total)
            .collect::<Vec<_>>()
    };
    let (pos, neg) = (count(true), count(false));
    let top = pos.iter().chain(&neg).copied().fold(0.0, f64::max) * 1.1 + 1e-9;
    let mut chart = ChartBuilder::on(root)
        .caption("Pair distances", (FONT, 28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..max as f64, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("distance")
        .y_desc("fraction of pairs")
        .label_style((FONT, 16))
        .draw()
        .map_err(err)?;
    let w = max as f64 / bins as f64;
    for (vals, color, name) in [
        (&pos, BLUE.mix(0.5), "same"),
        (&neg, RED.mix(0.5), "different"),
    ] {
        chart
            .draw_series(vals.iter().enumerate().map(|(i, &v)| {
                Rectangle::new(
                    [(i as f64 * w, 0.0), ((i + 1) as f64 * w, v)],
                    color.filled(),
                )
            }))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], color.filled()));
    }
    chart
        .draw_series(LineSeries::new(
            vec![(threshold as f64, 0.0), (threshold as f64, top)],
            BLACK.stroke_width(2),
        ))
        .map_err(err)?
        .label(format!("threshold {threshold:.3}"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
    legend(&mut chart, SeriesLabelPosition::UpperRight, 16)?;
    Ok(())
});

/// Histograms of same-pair and different-pair distances with the threshold line.
pub fn plot_distances(
    stem: &Path,
    distances: &[f32],
    same: &[bool],
    threshold: f32,
) -> Result<Vec<PathBuf>> {
    both(
        stem,
        |r| draw_hist(r, distances, same, threshold),
        |r| draw_hist(r, distances, same, threshold),
    )
}

/// First two principal components of `emb` (`dim` per row), by power iteration on the
/// covariance; a 2-D embedding is returned as it is (Hadsell et al.'s raw plane).
pub fn project_2d(emb: &[f32], dim: usize) -> (Vec<(f64, f64)>, &'static str) {
    let n = emb.len() / dim.max(1);
    if dim == 2 {
        return (
            (0..n)
                .map(|i| (emb[2 * i] as f64, emb[2 * i + 1] as f64))
                .collect(),
            "raw 2-D embedding",
        );
    }
    let mut mean = vec![0.0f64; dim];
    for r in emb.chunks(dim) {
        for (m, &v) in mean.iter_mut().zip(r) {
            *m += v as f64 / n as f64;
        }
    }
    let mut cov = vec![0.0f64; dim * dim];
    for r in emb.chunks(dim) {
        for i in 0..dim {
            let a = r[i] as f64 - mean[i];
            for j in 0..dim {
                cov[i * dim + j] += a * (r[j] as f64 - mean[j]) / n as f64;
            }
        }
    }
    let mut comps: Vec<Vec<f64>> = Vec::new();
    for k in 0..2 {
        let mut v: Vec<f64> = (0..dim)
            .map(|i| 1.0 + ((i * 7 + k * 13) % 5) as f64)
            .collect();
        for _ in 0..200 {
            let mut w: Vec<f64> = (0..dim)
                .map(|i| (0..dim).map(|j| cov[i * dim + j] * v[j]).sum())
                .collect();
            for c in &comps {
                let dot: f64 = w.iter().zip(c).map(|(a, b)| a * b).sum();
                for (x, y) in w.iter_mut().zip(c) {
                    *x -= dot * y;
                }
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
            v = w.into_iter().map(|x| x / norm).collect();
        }
        comps.push(v);
    }
    let pts = emb
        .chunks(dim)
        .map(|r| {
            let c: Vec<f64> = r.iter().zip(&mean).map(|(&x, m)| x as f64 - m).collect();
            let p = |k: usize| c.iter().zip(&comps[k]).map(|(a, b)| a * b).sum::<f64>();
            (p(0), p(1))
        })
        .collect();
    (pts, "PCA of the embeddings")
}

plot_fn!(draw_map, |root,
                    pts: &[(f64, f64)],
                    labels: &[usize],
                    names: &[String],
                    title: &str| {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let (px, py) = ((x1 - x0).max(1e-9) * 0.05, (y1 - y0).max(1e-9) * 0.05);
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .right_y_label_area_size(0)
        .build_cartesian_2d((x0 - px)..(x1 + px * 6.0), (y0 - py)..(y1 + py))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("component 1")
        .y_desc("component 2")
        .label_style((FONT, 16))
        .draw()
        .map_err(err)?;
    for (c, name) in names.iter().enumerate() {
        let color = Palette99::pick(c).to_rgba();
        chart
            .draw_series(
                pts.iter()
                    .zip(labels)
                    .filter(|(_, &l)| l == c)
                    .map(|(&p, _)| Circle::new(p, 2, color.filled())),
            )
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| Circle::new((x + 8, y), 5, color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, 14)?;
    Ok(())
});

/// A 2-D map of embeddings coloured by class.
pub fn plot_embeddings(
    stem: &Path,
    emb: &[f32],
    dim: usize,
    labels: &[usize],
    names: &[String],
) -> Result<Vec<PathBuf>> {
    let (pts, title) = project_2d(emb, dim);
    both(
        stem,
        |r| draw_map(r, &pts, labels, names, title),
        |r| draw_map(r, &pts, labels, names, title),
    )
}

plot_fn!(draw_curves, |root, history: &[EpochMetrics]| {
    let (upper, lower) = root.split_vertically(SIZE.1 / 2);
    let n = history.len().max(1) as f64;
    let max_loss = history.iter().map(|m| m.train_loss).fold(0.0, f64::max) * 1.1 + 1e-9;
    let mut c1 = ChartBuilder::on(&upper)
        .caption("Training loss", (FONT, 22))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .build_cartesian_2d(0.5f64..n + 0.5, 0f64..max_loss)
        .map_err(err)?;
    let epochs = history.len().clamp(1, 20);
    epoch_mesh(&mut c1, "loss", epochs)?;
    c1.draw_series(LineSeries::new(
        history.iter().map(|m| (m.epoch as f64, m.train_loss)),
        BLUE.stroke_width(2),
    ))
    .map_err(err)?;
    c1.draw_series(
        history
            .iter()
            .map(|m| Circle::new((m.epoch as f64, m.train_loss), 4, BLUE.filled())),
    )
    .map_err(err)?;
    let lo = history
        .iter()
        .flat_map(|m| [m.val_auc, m.val_accuracy])
        .fold(1.0, f64::min)
        .min(0.99)
        - 0.005;
    let mut c2 = ChartBuilder::on(&lower)
        .caption("Validation", (FONT, 22))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .build_cartesian_2d(0.5f64..n + 0.5, lo..1.0005f64)
        .map_err(err)?;
    epoch_mesh(&mut c2, "score", epochs)?;
    c2.draw_series(LineSeries::new(
        history.iter().map(|m| (m.epoch as f64, m.val_auc)),
        RED.stroke_width(2),
    ))
    .map_err(err)?
    .label("ROC AUC")
    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    c2.draw_series(LineSeries::new(
        history.iter().map(|m| (m.epoch as f64, m.val_accuracy)),
        GREEN.stroke_width(2),
    ))
    .map_err(err)?
    .label("accuracy at calibrated threshold")
    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(2)));
    legend(&mut c2, SeriesLabelPosition::LowerRight, 14)?;
    Ok(())
});

/// The boxed legend every picture uses.
pub(super) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    size: u32,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, size))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

/// Axes with whole-epoch ticks.
fn epoch_mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    y: &str,
    epochs: usize,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y)
        .x_labels(epochs)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style((FONT, 14))
        .draw()
        .map_err(err)
}

/// Training loss and validation AUC/accuracy per epoch.
pub fn plot_training(stem: &Path, history: &[EpochMetrics]) -> Result<Vec<PathBuf>> {
    both(
        stem,
        |r| draw_curves(r, history),
        |r| draw_curves(r, history),
    )
}
