//! OTB's success and precision plots, one curve per tracker, PNG + SVG.

use super::plots::{both, err, legend, FONT};
use super::tracking::{TrackerScore, PRECISION_PIXELS, SUCCESS_THRESHOLDS};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

const COLORS: [RGBColor; 4] = [RED, BLUE, RGBColor(120, 120, 120), GREEN];

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scores: &[&TrackerScore],
    success: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (caption, x_desc, x_max) = if success {
        ("Success plot (OPE)", "overlap threshold (IoU)", 1.0)
    } else {
        (
            "Precision plot (OPE)",
            "location error threshold (pixels)",
            (PRECISION_PIXELS - 1) as f64,
        )
    };
    let mut chart = ChartBuilder::on(root)
        .caption(caption, (FONT, 28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..x_max, 0f64..1.0001f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(if success { "success rate" } else { "precision" })
        .label_style((FONT, 16))
        .draw()
        .map_err(err)?;
    for (k, s) in scores.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let (pts, label): (Vec<(f64, f64)>, String) = if success {
            let step = 1.0 / (SUCCESS_THRESHOLDS - 1) as f64;
            (
                s.curves
                    .success
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (i as f64 * step, v))
                    .collect(),
                format!("{} [AUC {:.3}]", s.tracker, s.success_auc),
            )
        } else {
            (
                s.curves
                    .precision
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (i as f64, v))
                    .collect(),
                format!("{} [P@20 {:.3}]", s.tracker, s.precision_20px),
            )
        };
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(3)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
    }
    if !success {
        chart
            .draw_series(LineSeries::new(
                vec![(20.0, 0.0), (20.0, 1.0)],
                BLACK.mix(0.3),
            ))
            .map_err(err)?;
    }
    legend(
        &mut chart,
        if success {
            SeriesLabelPosition::UpperRight
        } else {
            SeriesLabelPosition::UpperLeft
        },
        18,
    )
}

/// The success plot of `scores` at `stem.png` and `stem.svg`.
pub fn plot_success(stem: &Path, scores: &[&TrackerScore]) -> Result<Vec<PathBuf>> {
    both(stem, |r| draw(r, scores, true), |r| draw(r, scores, true))
}

/// The precision plot of `scores` at `stem.png` and `stem.svg`.
pub fn plot_precision(stem: &Path, scores: &[&TrackerScore]) -> Result<Vec<PathBuf>> {
    both(stem, |r| draw(r, scores, false), |r| draw(r, scores, false))
}
