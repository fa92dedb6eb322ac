//! Numeric arrays in `.npy` files: writing the four element types we produce, reading any common one as `f64`.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use ndarray::ShapeBuilder;
use ndarray::{ArrayD, IxDyn};
use ndarray_npy::WriteNpyExt;
use serde_json::Value;

use crate::model::NumArray;
use crate::storage::format::{flatten_numbers, nest_numbers};
use crate::storage::npy_header::{read_header_bytes, NpyHeader};

/// An n-dimensional numeric array given to [`crate::storage::AsgardStorage::add_result`].
#[derive(Clone, Debug, PartialEq)]
pub enum NpyArray {
    F64(ArrayD<f64>),
    F32(ArrayD<f32>),
    I64(ArrayD<i64>),
    I32(ArrayD<i32>),
}

impl NpyArray {
    pub fn shape(&self) -> Vec<usize> {
        match self {
            Self::F64(a) => a.shape().to_vec(),
            Self::F32(a) => a.shape().to_vec(),
            Self::I64(a) => a.shape().to_vec(),
            Self::I32(a) => a.shape().to_vec(),
        }
    }

    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The NumPy dtype string of the elements.
    pub fn dtype(&self) -> &'static str {
        match self {
            Self::F64(_) => "<f8",
            Self::F32(_) => "<f4",
            Self::I64(_) => "<i8",
            Self::I32(_) => "<i4",
        }
    }

    /// The array as nested JSON lists, for storing small arrays inline.
    pub fn to_json(&self) -> Value {
        let values: Vec<f64> = match self {
            Self::F64(a) => a.iter().copied().collect(),
            Self::F32(a) => a.iter().map(|&v| f64::from(v)).collect(),
            Self::I64(a) => {
                return nest_ints(&self.shape(), &a.iter().copied().collect::<Vec<_>>())
            }
            Self::I32(a) => {
                return nest_ints(
                    &self.shape(),
                    &a.iter().map(|&v| i64::from(v)).collect::<Vec<_>>(),
                )
            }
        };
        nest_numbers(&self.shape(), &values)
    }

    /// A rectangular numeric JSON list as an `f64` array.
    pub fn from_json(shape: &[usize], value: &Value) -> Self {
        let mut values = Vec::with_capacity(shape.iter().product());
        flatten_numbers(value, &mut values);
        Self::F64(
            ArrayD::from_shape_vec(IxDyn(shape), values)
                .expect("shape was inferred from the same value"),
        )
    }

    /// Writes the array in `.npy` format.
    pub fn write(&self, file: &File) -> Result<(), ndarray_npy::WriteNpyError> {
        let mut w = BufWriter::new(file);
        match self {
            Self::F64(a) => a.write_npy(&mut w)?,
            Self::F32(a) => a.write_npy(&mut w)?,
            Self::I64(a) => a.write_npy(&mut w)?,
            Self::I32(a) => a.write_npy(&mut w)?,
        }
        w.flush()?;
        Ok(())
    }
}

fn nest_ints(shape: &[usize], values: &[i64]) -> Value {
    match shape {
        [] => values.first().map_or(Value::Null, |v| Value::from(*v)),
        [n, rest @ ..] => {
            let stride: usize = rest.iter().product::<usize>();
            if rest.is_empty() {
                Value::Array(values.iter().map(|v| Value::from(*v)).collect())
            } else {
                Value::Array(
                    (0..*n)
                        .map(|i| nest_ints(rest, &values[i * stride..(i + 1) * stride]))
                        .collect(),
                )
            }
        }
    }
}

macro_rules! impl_from_array {
    ($($t:ty => $variant:ident),*) => {$(
        impl<D: ndarray::Dimension> From<ndarray::Array<$t, D>> for NpyArray {
            fn from(a: ndarray::Array<$t, D>) -> Self {
                Self::$variant(a.into_dyn())
            }
        }
        impl From<Vec<$t>> for NpyArray {
            fn from(v: Vec<$t>) -> Self {
                Self::$variant(ndarray::Array1::from(v).into_dyn())
            }
        }
    )*};
}
impl_from_array!(f64 => F64, f32 => F32, i64 => I64, i32 => I32);

/// Reads a `.npy` file of any supported element type (f64, f32, i64, i32, u32, u8, bool), in C or Fortran order,
/// as a row-major `f64` array. The header is checked against the file's length first
/// ([`NpyHeader::parse`]), so the one buffer allocated is never larger than the file; the data is then read
/// straight into it (for `f8`, without a further copy). A file that shrinks while it is read is an error.
pub fn read_as_f64(mut file: File) -> Result<NumArray, String> {
    let file_len = file.metadata().map_err(|e| e.to_string())?.len();
    let head = read_header_bytes(&mut file).map_err(|e| e.to_string())?;
    let header = NpyHeader::parse(&head, file_len)?;
    file.seek(SeekFrom::Start(header.data_offset as u64))
        .map_err(|e| e.to_string())?;
    let n: usize = header.shape.iter().product();
    let short = |e: std::io::Error| {
        format!("the data ends early ({e}): the file changed while it was read?")
    };
    let values = match header.descr.as_str() {
        "<f8" => read_elements::<f64>(&mut file, n).map_err(short)?,
        "<f4" => widen::<f32>(&mut file, n, f64::from).map_err(short)?,
        "<i8" => widen::<i64>(&mut file, n, |v| v as f64).map_err(short)?,
        "<i4" => widen::<i32>(&mut file, n, f64::from).map_err(short)?,
        "<u4" => widen::<u32>(&mut file, n, f64::from).map_err(short)?,
        "|u1" => widen::<u8>(&mut file, n, f64::from).map_err(short)?,
        "|b1" => widen::<u8>(&mut file, n, |v| f64::from(u8::from(v != 0))).map_err(short)?,
        other => unreachable!("NpyHeader::parse accepts only readable types, not {other}"),
    };
    let values = if header.fortran_order && header.shape.len() > 1 {
        // Column-major on disk: walk it in row-major order.
        ArrayD::from_shape_vec(IxDyn(&header.shape).f(), values)
            .map_err(|e| e.to_string())?
            .iter()
            .copied()
            .collect()
    } else {
        values
    };
    Ok(NumArray {
        shape: header.shape,
        dtype: header.descr,
        values,
    })
}

#[cfg(target_endian = "big")]
compile_error!(
    "the .npy reader takes little-endian data as it is: big-endian hosts are not supported"
);

/// `n` little-endian elements read straight into their buffer.
fn read_elements<T: bytemuck::Pod>(file: &mut File, n: usize) -> std::io::Result<Vec<T>> {
    let mut values = vec![T::zeroed(); n];
    file.read_exact(bytemuck::cast_slice_mut(&mut values))?;
    Ok(values)
}

fn widen<T: bytemuck::Pod>(
    file: &mut File,
    n: usize,
    to_f64: impl Fn(T) -> f64,
) -> std::io::Result<Vec<f64>> {
    Ok(read_elements::<T>(file, n)?
        .into_iter()
        .map(to_f64)
        .collect())
}
