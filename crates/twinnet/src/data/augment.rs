//! On-the-fly image augmentation, seeded: random affine (shift, rotation, scale, shear),
//! optional horizontal flip, brightness and contrast jitter.

use super::ImageShape;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Ranges of the random transforms. Each is drawn uniformly in `[−x, x]` (scale in `[1−x, 1+x]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct AugmentConfig {
    /// Maximum shift as a fraction of the image size.
    pub shift: f32,
    /// Maximum rotation in degrees.
    pub rotate_deg: f32,
    /// Maximum relative scale change.
    pub scale: f32,
    /// Maximum shear in degrees.
    pub shear_deg: f32,
    /// Mirror left–right with probability ½ (off by default: wrong for digits and signatures).
    pub hflip: bool,
    /// Maximum brightness offset (pixels are in `[0, 1]`).
    pub brightness: f32,
    /// Maximum relative contrast change.
    pub contrast: f32,
}

impl Default for AugmentConfig {
    fn default() -> Self {
        Self {
            shift: 0.1,
            rotate_deg: 10.0,
            scale: 0.1,
            shear_deg: 8.0,
            hflip: false,
            brightness: 0.1,
            contrast: 0.1,
        }
    }
}

impl AugmentConfig {
    /// A randomly transformed copy of `src` (`[C, H, W]`, values in `[0, 1]`).
    pub fn apply<R: Rng>(&self, src: &[f32], shape: ImageShape, rng: &mut R) -> Vec<f32> {
        let (h, w) = (shape.height as f32, shape.width as f32);
        let sym = |rng: &mut R, x: f32| {
            if x > 0.0 {
                rng.random_range(-x..=x)
            } else {
                0.0
            }
        };
        let angle = sym(rng, self.rotate_deg).to_radians();
        let shear = sym(rng, self.shear_deg).to_radians();
        let scale = 1.0 + sym(rng, self.scale);
        let (tx, ty) = (sym(rng, self.shift) * w, sym(rng, self.shift) * h);
        let flip = self.hflip && rng.random_bool(0.5);
        let bright = sym(rng, self.brightness);
        let contrast = 1.0 + sym(rng, self.contrast);
        // Forward map around the centre: M = R(angle) · Shear(shear) · scale; sample the source
        // at M⁻¹ (dst − centre − t) + centre.
        let (c, s) = (angle.cos(), angle.sin());
        let k = shear.tan();
        let m = [
            [c * scale, (c * k - s) * scale],
            [s * scale, (s * k + c) * scale],
        ];
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        let inv = [
            [m[1][1] / det, -m[0][1] / det],
            [-m[1][0] / det, m[0][0] / det],
        ];
        let (cx, cy) = ((w - 1.0) / 2.0, (h - 1.0) / 2.0);
        let plane = shape.height * shape.width;
        let mut out = vec![0.0; src.len()];
        for y in 0..shape.height {
            for x in 0..shape.width {
                let dx = if flip {
                    (w - 1.0 - x as f32) - cx - tx
                } else {
                    x as f32 - cx - tx
                };
                let dy = y as f32 - cy - ty;
                let sx = inv[0][0] * dx + inv[0][1] * dy + cx;
                let sy = inv[1][0] * dx + inv[1][1] * dy + cy;
                for ch in 0..shape.channels {
                    let v = bilinear(&src[ch * plane..(ch + 1) * plane], shape, sx, sy);
                    out[ch * plane + y * shape.width + x] =
                        ((v - 0.5) * contrast + 0.5 + bright).clamp(0.0, 1.0);
                }
            }
        }
        out
    }
}

/// `src` (`[C, H, W]`) moved `dx` pixels right and `dy` down, zero where nothing moved in —
/// the same fill as [`AugmentConfig::apply`], so a shifted test image looks like the shifted
/// training images the model has seen. Test-time shift averaging is built on it.
pub fn shift_image(src: &[f32], shape: ImageShape, dx: isize, dy: isize) -> Vec<f32> {
    let (h, w) = (shape.height as isize, shape.width as isize);
    let plane = shape.height * shape.width;
    let mut out = vec![0.0; src.len()];
    for ch in 0..shape.channels {
        for y in 0.max(dy)..h.min(h + dy) {
            let (sy, x0, x1) = (y - dy, 0.max(dx), w.min(w + dx));
            if x0 >= x1 {
                break;
            }
            let dst = ch * plane + (y * w) as usize;
            let from = ch * plane + (sy * w) as usize;
            out[dst + x0 as usize..dst + x1 as usize]
                .copy_from_slice(&src[from + (x0 - dx) as usize..from + (x1 - dx) as usize]);
        }
    }
    out
}

/// Bilinear sample with zero outside the image.
fn bilinear(plane: &[f32], shape: ImageShape, x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let px = |xi: f32, yi: f32| -> f32 {
        if xi < 0.0 || yi < 0.0 || xi >= shape.width as f32 || yi >= shape.height as f32 {
            0.0
        } else {
            plane[yi as usize * shape.width + xi as usize]
        }
    };
    px(x0, y0) * (1.0 - fx) * (1.0 - fy)
        + px(x0 + 1.0, y0) * fx * (1.0 - fy)
        + px(x0, y0 + 1.0) * (1.0 - fx) * fy
        + px(x0 + 1.0, y0 + 1.0) * fx * fy
}
