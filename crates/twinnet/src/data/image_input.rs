//! Decoding one image file into the tower's input layout.

use super::Handwriting;
use anyhow::{bail, Context, Result};
use image::imageops::FilterType;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Shape of one input item: channels × height × width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageShape {
    /// 1 for grayscale, 3 for RGB.
    pub channels: usize,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

impl ImageShape {
    /// Values per item.
    pub fn numel(&self) -> usize {
        self.channels * self.height * self.width
    }
}

/// Decodes `path` (PNG, JPEG, PGM/PPM, BMP), converts it to the shape's channel count, resizes
/// it to the shape (bilinear) and scales pixels to `[0, 1]`, channel-major.
///
/// An undecodable file is an error that names it.
pub fn load_image_file(path: &Path, shape: ImageShape) -> Result<Vec<f32>> {
    Ok(to_input(decode(path)?, shape))
}

/// Like [`load_image_file`], through the handwriting preprocessing when one is given
/// (grayscale shapes only).
pub fn load_image_with(
    path: &Path,
    shape: ImageShape,
    handwriting: Option<&Handwriting>,
) -> Result<Vec<f32>> {
    prepare_decoded(decode(path)?, shape, handwriting, path)
}

/// Like [`load_image_bytes`], through the handwriting preprocessing when one is given.
pub fn load_image_bytes_with(
    bytes: &[u8],
    shape: ImageShape,
    handwriting: Option<&Handwriting>,
    name: &str,
) -> Result<Vec<f32>> {
    let img = decode_bytes(bytes, name)?;
    prepare_decoded(img, shape, handwriting, Path::new(name))
}

/// A decoded image made the tower's input of `shape`; `name` goes in errors.
pub(super) fn prepare_decoded(
    img: image::DynamicImage,
    shape: ImageShape,
    handwriting: Option<&Handwriting>,
    name: &Path,
) -> Result<Vec<f32>> {
    match handwriting {
        None => Ok(to_input(img, shape)),
        Some(_) if shape.channels != 1 => bail!(
            "{}: handwriting preprocessing makes grayscale images; the shape asks for {} channels",
            name.display(),
            shape.channels
        ),
        Some(h) => h.prepare(&img.to_luma8(), shape.height, shape.width, name),
    }
}

/// Like [`load_image_file`], for an image already in memory (an upload); `name` goes in the
/// error when the bytes are not an image.
pub fn load_image_bytes(bytes: &[u8], shape: ImageShape, name: &str) -> Result<Vec<f32>> {
    Ok(to_input(decode_bytes(bytes, name)?, shape))
}

fn decode_bytes(bytes: &[u8], name: &str) -> Result<image::DynamicImage> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .with_context(|| format!("cannot read image {name}"))?;
    decode_within_limits(reader, name)
}

/// Largest image decoded, in pixels (width × height): 64 megapixels, far above any photo a
/// tower downsizes to its input, far below what a 400 KB "decompression bomb" declares
/// (20000 × 20000 would cost 1.2 GB of RGB before the resize).
pub const MAX_IMAGE_PIXELS: u64 = 64 << 20;

/// Most memory one decode may allocate (the `image` crate's own accounting).
const MAX_DECODE_BYTES: u64 = 512 << 20;

/// Decodes after checking the size the header declares against [`MAX_IMAGE_PIXELS`], so a
/// bomb is refused before a byte of its pixels is allocated.
fn decode_within_limits<R: std::io::BufRead + std::io::Seek>(
    mut reader: image::ImageReader<R>,
    name: &str,
) -> Result<image::DynamicImage> {
    use image::ImageDecoder;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .with_context(|| format!("cannot decode image {name}"))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        bail!(
            "image {name} declares {w}×{h} pixels; twinnet decodes at most {MAX_IMAGE_PIXELS} pixels ({} megapixels)",
            MAX_IMAGE_PIXELS >> 20
        );
    }
    image::DynamicImage::from_decoder(decoder)
        .with_context(|| format!("cannot decode image {name}"))
}

/// Converts a decoded image to the shape's channels and size, scaled to `[0, 1]`.
fn to_input(img: image::DynamicImage, shape: ImageShape) -> Vec<f32> {
    let (w, h) = (shape.width as u32, shape.height as u32);
    match shape.channels {
        1 => {
            let g = img.to_luma8();
            let g = if g.dimensions() != (w, h) {
                image::imageops::resize(&g, w, h, FilterType::Triangle)
            } else {
                g
            };
            g.as_raw().iter().map(|&p| p as f32 / 255.0).collect()
        }
        _ => {
            let rgb = img.to_rgb8();
            let rgb = if rgb.dimensions() != (w, h) {
                image::imageops::resize(&rgb, w, h, FilterType::Triangle)
            } else {
                rgb
            };
            let plane = (w * h) as usize;
            let mut out = vec![0.0; 3 * plane];
            for (i, px) in rgb.pixels().enumerate() {
                for c in 0..3 {
                    out[c * plane + i] = px[c] as f32 / 255.0;
                }
            }
            out
        }
    }
}

/// Decodes any supported image file, with an error that names it.
/// Decodes the image file at `path` within the pixel and memory limits.
pub(crate) fn decode(path: &Path) -> Result<image::DynamicImage> {
    let reader = image::ImageReader::open(path)
        .with_context(|| format!("cannot open image {}", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("cannot read image {}", path.display()))?;
    decode_within_limits(reader, &path.display().to_string())
}

/// The natural shape of an image file: its size, and 1 channel if it is grayscale, else 3.
pub fn probe_image_shape(path: &Path) -> Result<ImageShape> {
    let img = decode(path)?;
    let channels = if img.color().has_color() { 3 } else { 1 };
    Ok(ImageShape {
        channels,
        height: img.height() as usize,
        width: img.width() as usize,
    })
}

/// Writes an item (`[C, H, W]` in `[0, 1]`) as a PNG, e.g. to show which digits a demo compared.
pub fn save_item_png(pixels: &[f32], shape: ImageShape, path: &Path) -> Result<()> {
    let (w, h) = (shape.width as u32, shape.height as u32);
    let to_u8 = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let plane = shape.height * shape.width;
    let result = if shape.channels == 1 {
        image::GrayImage::from_raw(w, h, pixels.iter().map(|&v| to_u8(v)).collect())
            .map(|img| img.save(path))
    } else {
        let mut buf = Vec::with_capacity(plane * 3);
        for i in 0..plane {
            for c in 0..3 {
                buf.push(to_u8(pixels[c * plane + i]));
            }
        }
        image::RgbImage::from_raw(w, h, buf).map(|img| img.save(path))
    };
    match result {
        Some(r) => r.with_context(|| format!("cannot write {}", path.display())),
        None => anyhow::bail!(
            "pixel count does not match {}x{}x{}",
            shape.channels,
            shape.height,
            shape.width
        ),
    }
}
