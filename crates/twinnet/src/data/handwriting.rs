//! Handwriting preprocessing: ink on a clean, centred canvas, whatever the scan looked like.
//!
//! A signature or a character is a thin dark stroke somewhere on a large pale page. Resized
//! as it is, the page's size, the stroke's position and the paper's grey would dominate what
//! the tower sees. So, as SigNet (Dey et al. 2017) does: grayscale, threshold (Otsu's or a
//! fixed level) to tell ink from paper, crop to the ink's bounding box, resize that box keeping
//! its aspect ratio to fit the canvas (less a margin), centre it, and pad with paper. With
//! `invert`, ink is bright on black paper (`1 − gray`, paper exactly 0), which is what a CNN
//! with zero padding wants. The settings are stored in the model's manifest, so `embed`,
//! `verify` and `serve` prepare a questioned image exactly as training did.

use anyhow::{bail, Result};
use image::imageops::FilterType;
use image::GrayImage;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How ink is told from paper.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Threshold {
    /// Otsu's threshold on the image's own histogram.
    Otsu,
    /// A fixed gray level in `(0, 1)`: darker pixels are ink.
    Fixed(f32),
}

/// Handwriting preprocessing settings; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Handwriting {
    /// How ink is told from paper.
    pub threshold: Threshold,
    /// Ink bright on dark paper (`1 − gray`); otherwise dark ink on white.
    pub invert: bool,
    /// Fraction of the canvas's shorter side left as paper around the ink, each side.
    pub margin: f32,
}

impl Default for Handwriting {
    fn default() -> Self {
        Self {
            threshold: Threshold::Otsu,
            invert: true,
            margin: 0.05,
        }
    }
}

impl Handwriting {
    /// Refuses settings no image can use.
    pub fn check(&self) -> Result<()> {
        if let Threshold::Fixed(t) = self.threshold {
            if !(t > 0.0 && t < 1.0) {
                bail!("the handwriting threshold must be in (0, 1), got {t}");
            }
        }
        if !(0.0..0.5).contains(&self.margin) {
            bail!(
                "the handwriting margin must be in [0, 0.5), got {}",
                self.margin
            );
        }
        Ok(())
    }

    /// Prepares a grayscale image as a `height × width` canvas of values in `[0, 1]`, row-major.
    ///
    /// An image with no ink, or nothing but ink, after thresholding is an error naming `name`.
    ///
    /// ```
    /// use twinnet::data::Handwriting;
    /// // A 6×4 white page with a 2×1 black stroke near its corner.
    /// let mut page = image::GrayImage::from_pixel(6, 4, image::Luma([255]));
    /// page.put_pixel(4, 2, image::Luma([0]));
    /// page.put_pixel(5, 2, image::Luma([0]));
    /// let hw = Handwriting { margin: 0.0, ..Handwriting::default() };
    /// let canvas = hw.prepare(&page, 4, 4, "page.png".as_ref()).unwrap();
    /// // The stroke, scaled ×2 to fill the canvas's width, sits in its middle rows, bright on
    /// // black paper.
    /// #[rustfmt::skip]
    /// assert_eq!(canvas, vec![0.0, 0.0, 0.0, 0.0,
    ///                         1.0, 1.0, 1.0, 1.0,
    ///                         1.0, 1.0, 1.0, 1.0,
    ///                         0.0, 0.0, 0.0, 0.0]);
    /// ```
    pub fn prepare(
        &self,
        gray: &GrayImage,
        height: usize,
        width: usize,
        name: &Path,
    ) -> Result<Vec<f32>> {
        let level = match self.threshold {
            Threshold::Otsu => otsu_level(gray),
            Threshold::Fixed(t) => (t * 255.0).round().clamp(1.0, 255.0) as u8,
        };
        let Some((x0, y0, x1, y1)) = ink_box(gray, level) else {
            bail!(
                "{}: no ink after thresholding (every pixel is paper)",
                name.display()
            );
        };
        let ink_pixels = gray.pixels().filter(|p| p[0] < level).count();
        if ink_pixels == gray.len() {
            bail!(
                "{}: nothing but ink after thresholding (no paper to tell the strokes from)",
                name.display()
            );
        }
        // Paper becomes exactly white, ink keeps its shade: scanner noise never reaches the tower.
        let crop = GrayImage::from_fn(x1 - x0 + 1, y1 - y0 + 1, |x, y| {
            let p = gray.get_pixel(x0 + x, y0 + y)[0];
            image::Luma([if p < level { p } else { 255 }])
        });
        let pad = (self.margin * height.min(width) as f32).round() as usize;
        let (inner_h, inner_w) = (
            height.saturating_sub(2 * pad).max(1),
            width.saturating_sub(2 * pad).max(1),
        );
        let (cw, ch) = (crop.width() as f64, crop.height() as f64);
        let scale = (inner_w as f64 / cw).min(inner_h as f64 / ch);
        let new_w = ((cw * scale).round() as u32).clamp(1, inner_w as u32);
        let new_h = ((ch * scale).round() as u32).clamp(1, inner_h as u32);
        // Halve by keeping the darkest of each 2×2 block while the crop is over twice the
        // target size: a one-pixel stroke on a large scan stays a stroke instead of fading into
        // the paper when averaged down tenfold.
        let mut crop = crop;
        while crop.width() >= 2 * new_w && crop.height() >= 2 * new_h {
            crop = darkest_halving(&crop);
        }
        let resized = image::imageops::resize(&crop, new_w, new_h, FilterType::Triangle);
        let (off_x, off_y) = ((width - new_w as usize) / 2, (height - new_h as usize) / 2);
        let paper = if self.invert { 0.0 } else { 1.0 };
        let mut canvas = vec![paper; height * width];
        for (x, y, p) in resized.enumerate_pixels() {
            let v = p[0] as f32 / 255.0;
            canvas[(off_y + y as usize) * width + off_x + x as usize] =
                if self.invert { 1.0 - v } else { v };
        }
        Ok(canvas)
    }
}

/// Half the size, each pixel the darkest of its 2×2 block (a last odd row or column joins the
/// block before it).
fn darkest_halving(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() / 2, img.height() / 2);
    GrayImage::from_fn(w.max(1), h.max(1), |x, y| {
        let xs = 2 * x..if x + 1 == w { img.width() } else { 2 * x + 2 };
        let mut darkest = 255u8;
        for yy in 2 * y..if y + 1 == h { img.height() } else { 2 * y + 2 } {
            for xx in xs.clone() {
                darkest = darkest.min(img.get_pixel(xx, yy)[0]);
            }
        }
        image::Luma([darkest])
    })
}

/// The bounding box `(x0, y0, x1, y1)` (inclusive) of the pixels darker than `level`.
fn ink_box(gray: &GrayImage, level: u8) -> Option<(u32, u32, u32, u32)> {
    let mut b: Option<(u32, u32, u32, u32)> = None;
    for (x, y, p) in gray.enumerate_pixels() {
        if p[0] < level {
            b = Some(match b {
                None => (x, y, x, y),
                Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
            });
        }
    }
    b
}

/// Otsu's threshold: the level that maximises the between-class variance of the histogram.
/// Pixels strictly below the returned level are ink. A one-colour image gives 0 (no ink)
/// unless it is black, which gives 1 (all ink).
pub fn otsu_level(gray: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for p in gray.pixels() {
        hist[p[0] as usize] += 1;
    }
    let total = gray.len() as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &h)| i as f64 * h as f64)
        .sum();
    let (mut w0, mut sum0) = (0.0f64, 0.0f64);
    let (mut best, mut best_var) = (None, -1.0f64);
    // Level t splits the histogram into [0, t) (ink) and [t, 255] (paper).
    for t in 1..256usize {
        w0 += hist[t - 1] as f64;
        sum0 += (t - 1) as f64 * hist[t - 1] as f64;
        let w1 = total - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let (m0, m1) = (sum0 / w0, (sum_all - sum0) / w1);
        let var = w0 * w1 * (m0 - m1).powi(2);
        if var > best_var {
            best_var = var;
            best = Some(t);
        }
    }
    match best {
        Some(t) => t as u8,
        None if hist[0] as f64 == total => 1,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otsu_splits_two_levels_between_them() {
        let mut img = GrayImage::from_pixel(10, 10, image::Luma([200]));
        for x in 0..10 {
            img.put_pixel(x, 0, image::Luma([40]));
        }
        let t = otsu_level(&img);
        assert!(t > 40 && t <= 200, "level {t}");
        // Every threshold in (40, 200] gives the same split, so the first one wins.
        assert_eq!(t, 41);
    }

    #[test]
    fn blank_and_solid_pages_are_refused_by_name() {
        let hw = Handwriting::default();
        let blank = GrayImage::from_pixel(8, 8, image::Luma([255]));
        let err = hw
            .prepare(&blank, 4, 4, "w1/genuine/a.png".as_ref())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "w1/genuine/a.png: no ink after thresholding (every pixel is paper)"
        );
        let solid = GrayImage::from_pixel(8, 8, image::Luma([0]));
        let err = hw.prepare(&solid, 4, 4, "b.png".as_ref()).unwrap_err();
        assert!(
            err.to_string().starts_with("b.png: nothing but ink"),
            "{err}"
        );
        let fixed = Handwriting {
            threshold: Threshold::Fixed(0.5),
            ..hw
        };
        let gray = GrayImage::from_pixel(8, 8, image::Luma([100]));
        assert!(fixed.prepare(&gray, 4, 4, "c.png".as_ref()).is_err());
    }

    #[test]
    fn ink_is_cropped_centred_and_kept_in_aspect() {
        // A 2-pixel-tall, 8-pixel-wide bar on a large page, off-centre.
        let mut page = GrayImage::from_pixel(40, 30, image::Luma([250]));
        for x in 20..28 {
            for y in 3..5 {
                page.put_pixel(x, y, image::Luma([10]));
            }
        }
        let hw = Handwriting {
            margin: 0.0,
            ..Handwriting::default()
        };
        let c = hw.prepare(&page, 8, 8, "p.png".as_ref()).unwrap();
        // Scaled by 1: rows 3 and 4 of the 8×8 canvas hold the bar, everything else is paper.
        for y in 0..8 {
            for x in 0..8 {
                let v = c[y * 8 + x];
                if y == 3 || y == 4 {
                    assert!((v - 245.0 / 255.0).abs() < 1e-6, "({x},{y}) = {v}");
                } else {
                    assert_eq!(v, 0.0, "({x},{y})");
                }
            }
        }
        // Not inverted: paper is 1 and ink dark; with a margin the bar no longer touches the edge.
        let plain = Handwriting {
            invert: false,
            margin: 0.25,
            ..hw
        };
        let c = plain.prepare(&page, 8, 8, "p.png".as_ref()).unwrap();
        assert!(c[3 * 8..3 * 8 + 2].iter().all(|&v| v == 1.0));
        assert!(c[3 * 8 + 2] < 0.5 || c[4 * 8 + 2] < 0.5);
    }

    #[test]
    fn thin_strokes_survive_a_large_reduction() {
        // A one-pixel diagonal stroke across a 400×200 page, reduced to 40×20.
        let mut page = GrayImage::from_pixel(400, 200, image::Luma([255]));
        for x in 0..400 {
            page.put_pixel(x, x / 2, image::Luma([0]));
        }
        let hw = Handwriting {
            margin: 0.0,
            ..Handwriting::default()
        };
        let c = hw.prepare(&page, 20, 40, "p.png".as_ref()).unwrap();
        let brightest = c.iter().copied().fold(0.0f32, f32::max);
        assert!(brightest > 0.6, "averaging alone would leave {brightest}");
        // Every column still crosses the stroke.
        for x in 0..40 {
            assert!((0..20).any(|y| c[y * 40 + x] > 0.3), "column {x}");
        }
    }

    #[test]
    fn bad_settings_are_refused() {
        let bad = Handwriting {
            threshold: Threshold::Fixed(1.5),
            ..Handwriting::default()
        };
        assert!(bad.check().unwrap_err().to_string().contains("(0, 1)"));
        let bad = Handwriting {
            margin: 0.6,
            ..Handwriting::default()
        };
        assert!(bad.check().is_err());
        assert!(Handwriting::default().check().is_ok());
    }
}
