//! Numeric arrays in `.npy` files: writing the four element types we produce, reading any common one as `f64`.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use ndarray::ShapeBuilder;
use ndarray::{ArrayD, IxDyn};
use ndarray_npy::WriteNpyExt;
use serde_json::Value;

use crate::model::NumArray;
use crate::storage::format::{flatten_numbers, nest_numbers};
use crate::storage::npy_header::{read_header_bytes, Element, Kind, NpyError, NpyHeader};

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

    /// The elements as `f64`, in row-major order (borrowed when they already are).
    pub fn to_f64(&self) -> std::borrow::Cow<'_, [f64]> {
        use std::borrow::Cow;
        match self {
            Self::F64(a) => a
                .as_slice()
                .map_or_else(|| Cow::Owned(a.iter().copied().collect()), Cow::Borrowed),
            Self::F32(a) => Cow::Owned(a.iter().map(|&v| f64::from(v)).collect()),
            Self::I64(a) => Cow::Owned(a.iter().map(|&v| v as f64).collect()),
            Self::I32(a) => Cow::Owned(a.iter().map(|&v| f64::from(v)).collect()),
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
    pub fn write(&self, out: &mut dyn Write) -> Result<(), ndarray_npy::WriteNpyError> {
        let mut w = BufWriter::new(out);
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

/// Reads a `.npy` file of any numeric element type NumPy writes (`f2`–`f8`, `i1`–`i8`, `u1`–`u8`, bool), in
/// either byte order and C or Fortran order, as a row-major `f64` array. The header is checked against the
/// file's length first ([`NpyHeader::parse`]), so the one buffer allocated is never larger than the file; the
/// data is then read straight into it (for little-endian `f8`, without a further copy). A file that shrinks
/// while it is read is an error. 64-bit integers beyond 2⁵³ are rounded to the nearest `f64`.
pub fn read_as_f64(mut file: File) -> Result<NumArray, NpyError> {
    let header = read_header(&mut file)?;
    file.seek(SeekFrom::Start(header.data_offset as u64))
        .map_err(|e| e.to_string())?;
    let n: usize = header.shape.iter().product();
    let values = read_values(&mut file, n, header.element)
        .map_err(|e| format!("the data ends early ({e}): the file changed while it was read?"))?;
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

/// Reads `out.len()` values from value `skip` on of a file whose header is `header` (read with [`read_header`];
/// file order, so row-major unless the file is Fortran-ordered) straight into `out`: a growing result's pieces
/// read into one buffer. Little-endian `f8` is read as it is; other types are converted.
pub fn read_into(
    mut file: File,
    header: &NpyHeader,
    skip: usize,
    out: &mut [f64],
) -> std::io::Result<()> {
    let start = header.data_offset + skip * header.element.size;
    file.seek(SeekFrom::Start(start as u64))?;
    if let (Kind::Float, 8, false) = (
        header.element.kind,
        header.element.size,
        header.element.big_endian,
    ) {
        return file.read_exact(bytemuck::cast_slice_mut(out));
    }
    out.copy_from_slice(&read_values(&mut file, out.len(), header.element)?);
    Ok(())
}

/// A `.npy` file's values read a block at a time in file order (a download written as it is read, whatever
/// the array's size). For row-major (C order) files, or 1-D ones.
pub struct Blocks {
    file: File,
    element: Element,
    left: usize,
}

impl Blocks {
    /// The `count` values from value `skip` on of a file whose header is `header` (read with [`read_header`]).
    pub fn new(
        mut file: File,
        header: &NpyHeader,
        skip: usize,
        count: usize,
    ) -> std::io::Result<Self> {
        let start = header.data_offset + skip * header.element.size;
        file.seek(SeekFrom::Start(start as u64))?;
        Ok(Self {
            file,
            element: header.element,
            left: count,
        })
    }

    /// The next at most `max` values, as `f64`; empty at the end.
    pub fn next_block(&mut self, max: usize) -> std::io::Result<Vec<f64>> {
        let n = self.left.min(max);
        self.left -= n;
        read_values(&mut self.file, n, self.element)
    }
}

/// The header of a `.npy` file, checked against the file's length; no element is read.
pub fn read_header(file: &mut File) -> Result<NpyHeader, NpyError> {
    let file_len = file.metadata().map_err(|e| e.to_string())?.len();
    let head = read_header_bytes(file).map_err(|e| e.to_string())?;
    NpyHeader::parse(&head, file_len)
}

#[cfg(target_endian = "big")]
compile_error!(
    "the .npy reader takes little-endian data as it is: big-endian hosts are not supported"
);

/// Reads `out.len()` values from value `skip` on of a file whose header is `header` into `out`, at that
/// position (`pread`: the file's own offset is neither used nor moved, so threads may share the file). File
/// order, like [`read_into`]. A file shorter than its header says is an error.
pub fn read_at(
    file: &File,
    header: &NpyHeader,
    skip: usize,
    out: &mut [f64],
) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let start = (header.data_offset + skip * header.element.size) as u64;
    if let (Kind::Float, 8, false) = (
        header.element.kind,
        header.element.size,
        header.element.big_endian,
    ) {
        return file.read_exact_at(bytemuck::cast_slice_mut(out), start);
    }
    let mut bytes = vec![0u8; out.len() * header.element.size];
    file.read_exact_at(&mut bytes, start)?;
    out.copy_from_slice(&convert(&bytes, header.element));
    Ok(())
}

/// `n` elements of type `element` as `f64`.
fn read_values(file: &mut File, n: usize, element: Element) -> std::io::Result<Vec<f64>> {
    if let (Kind::Float, 8, false) = (element.kind, element.size, element.big_endian) {
        return read_elements::<f64>(file, n);
    }
    let mut bytes = vec![0u8; n * element.size];
    file.read_exact(&mut bytes)?;
    Ok(convert(&bytes, element))
}

/// Elements of type `element`, as they are in the file, as `f64`.
fn convert(bytes: &[u8], element: Element) -> Vec<f64> {
    use Kind::{Bool, Float, Int, Unsigned};
    let big = element.big_endian;
    macro_rules! convert {
        ($t:ty, $to_f64:expr) => {
            bytes
                .chunks_exact(std::mem::size_of::<$t>())
                .map(|c| {
                    let raw = c.try_into().expect("chunks of the element size");
                    let v = if big {
                        <$t>::from_be_bytes(raw)
                    } else {
                        <$t>::from_le_bytes(raw)
                    };
                    $to_f64(v)
                })
                .collect()
        };
    }
    match (element.kind, element.size) {
        (Float, 8) => convert!(f64, |v| v),
        (Float, 4) => convert!(f32, f64::from),
        (Float, _) => convert!(u16, |bits| half::f16::from_bits(bits).to_f64()),
        (Int, 1) => convert!(i8, f64::from),
        (Int, 2) => convert!(i16, f64::from),
        (Int, 4) => convert!(i32, f64::from),
        (Int, _) => convert!(i64, |v| v as f64),
        (Unsigned, 1) => convert!(u8, f64::from),
        (Unsigned, 2) => convert!(u16, f64::from),
        (Unsigned, 4) => convert!(u32, f64::from),
        (Unsigned, _) => convert!(u64, |v| v as f64),
        (Bool, _) => bytes.iter().map(|&b| f64::from(u8::from(b != 0))).collect(),
    }
}

/// `n` little-endian elements read straight into their buffer.
fn read_elements<T: bytemuck::Pod>(file: &mut File, n: usize) -> std::io::Result<Vec<T>> {
    let mut values = vec![T::zeroed(); n];
    file.read_exact(bytemuck::cast_slice_mut(&mut values))?;
    Ok(values)
}
