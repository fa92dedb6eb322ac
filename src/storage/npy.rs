//! Numeric arrays in `.npy` files: writing the four element types we produce, reading any common one as `f64`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{ReadNpyError, ReadNpyExt, ReadableElement, WriteNpyExt};
use serde_json::Value;

use crate::model::NumArray;
use crate::storage::format::{flatten_numbers, nest_numbers};

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
/// as a row-major `f64` array.
pub fn read_as_f64(path: &Path) -> Result<NumArray, String> {
    let readers: [TypedReader; 7] = [
        |p| read_typed::<f64>(p, "<f8"),
        |p| read_typed::<f32>(p, "<f4"),
        |p| read_typed::<i64>(p, "<i8"),
        |p| read_typed::<i32>(p, "<i4"),
        |p| read_typed::<u32>(p, "<u4"),
        |p| read_typed::<u8>(p, "|u1"),
        |p| read_typed::<bool>(p, "|b1"),
    ];
    let mut found = String::new();
    for read in readers {
        match read(path)? {
            Ok(array) => return Ok(array),
            Err(descriptor) => found = descriptor,
        }
    }
    Err(format!(
        "expected a dtype of f8, f4, i8, i4, u4, u1 or bool, found {found}"
    ))
}

/// Reads one element type: `Ok(Err(descriptor))` when the file holds another.
type TypedReader = fn(&Path) -> Result<Result<NumArray, String>, String>;

/// `Ok(Err(descriptor))` when the file holds another element type.
fn read_typed<T: ReadableElement + ToF64>(
    path: &Path,
    dtype: &str,
) -> Result<Result<NumArray, String>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    match ArrayD::<T>::read_npy(BufReader::with_capacity(1 << 20, file)) {
        Ok(a) => {
            let shape = a.shape().to_vec();
            // C order is already row-major: take the buffer (no copy for f64); Fortran order is read in
            // row-major order.
            let values = if a.is_standard_layout() {
                T::into_f64_vec(a.into_raw_vec_and_offset().0)
            } else {
                a.iter().map(|&v| v.to_f64()).collect()
            };
            Ok(Ok(NumArray {
                shape,
                dtype: dtype.to_owned(),
                values,
            }))
        }
        Err(ReadNpyError::WrongDescriptor(d)) => Ok(Err(d.to_string())),
        Err(e) => Err(e.to_string()),
    }
}

trait ToF64: Copy {
    fn to_f64(self) -> f64;

    fn into_f64_vec(values: Vec<Self>) -> Vec<f64> {
        values.into_iter().map(Self::to_f64).collect()
    }
}
macro_rules! impl_to_f64 {
    ($($t:ty),*) => {$(impl ToF64 for $t { fn to_f64(self) -> f64 { self as f64 } })*};
}
impl_to_f64!(f32, i64, i32, u32, u8);
impl ToF64 for f64 {
    fn to_f64(self) -> f64 {
        self
    }

    fn into_f64_vec(values: Vec<Self>) -> Vec<f64> {
        values
    }
}
impl ToF64 for bool {
    fn to_f64(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
}
