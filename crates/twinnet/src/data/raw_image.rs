//! Images already decoded by the caller (a numpy array from Python, a frame from a camera):
//! rows × columns × channels of bytes or floats, made into the tower's input exactly as a file
//! with the same pixels would be.

use super::image_input::prepare_decoded;
use super::{Handwriting, ImageShape};
use anyhow::{bail, Result};
use std::path::Path;

/// The values of a decoded image, row-major, channels last (`[H, W, C]`).
#[derive(Debug, Clone, PartialEq)]
pub enum RawPixels {
    /// 0–255.
    U8(Vec<u8>),
    /// 0–1.
    F32(Vec<f32>),
}

/// A decoded image: `height × width × channels` values (1 = gray, 3 = RGB, 4 = RGBA whose
/// alpha is dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct RawImage {
    /// The values.
    pub pixels: RawPixels,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Values per pixel.
    pub channels: usize,
    /// How to name it in an error ("array item 3").
    pub name: String,
}

impl RawImage {
    /// Checks the layout and the value range.
    fn check(&self) -> Result<()> {
        let name = &self.name;
        if !matches!(self.channels, 1 | 3 | 4) {
            bail!(
                "{name}: {} channels; give 1 (gray), 3 (RGB) or 4 (RGBA)",
                self.channels
            );
        }
        if self.height == 0 || self.width == 0 {
            bail!("{name}: an image of {}×{} pixels", self.height, self.width);
        }
        let want = self.height * self.width * self.channels;
        let have = match &self.pixels {
            RawPixels::U8(v) => v.len(),
            RawPixels::F32(v) => v.len(),
        };
        if have != want {
            bail!(
                "{name}: {have} values for {}×{}×{} pixels",
                self.height,
                self.width,
                self.channels
            );
        }
        if let RawPixels::F32(v) = &self.pixels {
            if let Some((i, x)) = v
                .iter()
                .enumerate()
                .find(|(_, x)| !(0.0..=1.0).contains(*x))
            {
                bail!("{name}: value {x} at position {i}; float pixels lie in [0, 1] (divide 0–255 values by 255, or pass uint8)");
            }
        }
        Ok(())
    }

    /// The same pixels as 8-bit image, for the paths that resize or threshold.
    fn to_dynamic(&self) -> image::DynamicImage {
        let bytes: Vec<u8> = match &self.pixels {
            RawPixels::U8(v) => v.clone(),
            RawPixels::F32(v) => v.iter().map(|x| (x * 255.0).round() as u8).collect(),
        };
        let (w, h) = (self.width as u32, self.height as u32);
        // The length was checked, so the buffers always fit.
        let fit = "length checked";
        match self.channels {
            1 => image::GrayImage::from_raw(w, h, bytes).expect(fit).into(),
            3 => image::RgbImage::from_raw(w, h, bytes).expect(fit).into(),
            _ => image::RgbaImage::from_raw(w, h, bytes).expect(fit).into(),
        }
    }
}

/// Makes `raw` the tower's input of `shape` (`[C, H, W]` in `[0, 1]`), through the handwriting
/// preprocessing when there is one.
///
/// An image of the model's size and channel count is taken as it is (floats exactly, bytes
/// ÷ 255, as a PNG file of the same bytes would be); any other goes the way a decoded file
/// does: converted, resized (bilinear), with floats rounded to 8 bits first.
///
/// ```
/// use twinnet::data::{raw_image_input, ImageShape, RawImage, RawPixels};
/// let shape = ImageShape { channels: 1, height: 1, width: 2 };
/// let raw = RawImage { pixels: RawPixels::U8(vec![0, 255]), height: 1, width: 2, channels: 1, name: "a".into() };
/// assert_eq!(raw_image_input(&raw, shape, None).unwrap(), [0.0, 1.0]);
/// let rgb = RawImage { pixels: RawPixels::F32(vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), height: 1, width: 2, channels: 3, name: "b".into() };
/// let shape3 = ImageShape { channels: 3, ..shape };
/// assert_eq!(raw_image_input(&rgb, shape3, None).unwrap(), [0.1, 0.4, 0.2, 0.5, 0.3, 0.6]); // channel-major
/// let bad = RawImage { pixels: RawPixels::F32(vec![0.0, 255.0]), ..raw };
/// assert!(raw_image_input(&bad, shape, None).unwrap_err().to_string().contains("[0, 1]"));
/// ```
pub fn raw_image_input(
    raw: &RawImage,
    shape: ImageShape,
    handwriting: Option<&Handwriting>,
) -> Result<Vec<f32>> {
    raw.check()?;
    let as_is = handwriting.is_none()
        && raw.channels == shape.channels
        && (raw.height, raw.width) == (shape.height, shape.width);
    if !as_is {
        return prepare_decoded(raw.to_dynamic(), shape, handwriting, Path::new(&raw.name));
    }
    let plane = raw.height * raw.width;
    let value = |k: usize| match &raw.pixels {
        RawPixels::U8(v) => v[k] as f32 / 255.0,
        RawPixels::F32(v) => v[k],
    };
    let mut out = vec![0.0; plane * raw.channels];
    for i in 0..plane {
        for c in 0..raw.channels {
            out[c * plane + i] = value(i * raw.channels + c);
        }
    }
    Ok(out)
}
