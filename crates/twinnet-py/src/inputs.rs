//! Inputs as the Python side hands them over: tagged tuples, or one array's bytes.

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use twinnet::data::{RawImage, RawPixels};
use twinnet::Input;

/// The element type of an array's bytes.
pub fn raw_pixels(data: &[u8], dtype: &str) -> PyResult<RawPixels> {
    match dtype {
        "uint8" => Ok(RawPixels::U8(data.to_vec())),
        "float32" => Ok(RawPixels::F32(floats(data))),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "array dtype {other}: give uint8 (0-255) or float32 (0-1)"
        ))),
    }
}

/// One input from its tagged tuple: `("file", path)`, `("bytes", data, name)`, `("text",
/// text)` or `("pixels", data, dtype, height, width, channels, name)`.
pub fn input_from(item: &Bound<'_, PyAny>) -> PyResult<Input> {
    let t = item.cast::<PyTuple>()?;
    let tag: String = t.get_item(0)?.extract()?;
    Ok(match tag.as_str() {
        "file" => Input::ImageFile(t.get_item(1)?.extract::<String>()?.into()),
        "bytes" => Input::ImageBytes {
            bytes: t.get_item(1)?.extract()?,
            name: t.get_item(2)?.extract()?,
        },
        "text" => Input::Text(t.get_item(1)?.extract()?),
        "pixels" => {
            let data: Vec<u8> = t.get_item(1)?.extract()?;
            let dtype: String = t.get_item(2)?.extract()?;
            Input::Pixels(RawImage {
                pixels: raw_pixels(&data, &dtype)?,
                height: t.get_item(3)?.extract()?,
                width: t.get_item(4)?.extract()?,
                channels: t.get_item(5)?.extract()?,
                name: t.get_item(6)?.extract()?,
            })
        }
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown input tag {other}"
            )))
        }
    })
}

/// Inputs from a list of tagged tuples.
pub fn inputs_from(items: &Bound<'_, PyAny>) -> PyResult<Vec<Input>> {
    items.try_iter()?.map(|i| input_from(&i?)).collect()
}

/// The `n` images of an `n × h × w × c` array's bytes, named by their index.
pub fn array_inputs(
    data: &[u8],
    dtype: &str,
    (n, h, w, c): (usize, usize, usize, usize),
) -> PyResult<Vec<Input>> {
    let size = if dtype == "uint8" { 1 } else { 4 };
    let item = h * w * c * size;
    if data.len() != n * item {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "{} bytes for {n}×{h}×{w}×{c} {dtype} values",
            data.len()
        )));
    }
    (0..n)
        .map(|i| {
            Ok(Input::Pixels(RawImage {
                pixels: raw_pixels(&data[i * item..(i + 1) * item], dtype)?,
                height: h,
                width: w,
                channels: c,
                name: format!("array item {i}"),
            }))
        })
        .collect()
}

/// Embeddings as native-endian f32 bytes, row after row (the Python side makes them an array).
pub fn embedding_bytes(rows: &[Vec<f32>]) -> Vec<u8> {
    rows.iter()
        .flatten()
        .flat_map(|x| x.to_ne_bytes())
        .collect()
}

/// f32 values from native-endian bytes.
pub fn floats(data: &[u8]) -> Vec<f32> {
    data.chunks_exact(4)
        .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}
