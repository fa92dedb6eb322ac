//! Full-data downloads written as they are read: a result as JSON (`GET /api/result`) or as CSV
//! (`/api/result/csv`), each array read a block at a time from its file, so that memory stays flat whatever the
//! result's size. [`AsgardStorage::download`] first checks what it can before a byte is written — the record,
//! every array file's header, a growing result's pieces — so that a bad result is an error with a status; the
//! writing then stops at the first error (the client went away, a file was removed meanwhile).
//!
//! The JSON is byte for byte what `payload_to_json` and `json::to_text` make of the whole result.

use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;

use super::json::{self, NonFinite};
use super::npy::{self, Blocks};
use super::{format, AsgardStorage, Error, Result};
use crate::export::{self, NextBlock};
use crate::model::{FieldValue, ResultId, ResultType, RunId};

/// How many values are read from an array file at a time.
const BLOCK: usize = 8192;

/// A result ready to be written: where each field's values are.
pub struct Download {
    storage: AsgardStorage,
    pub id: ResultId,
    run_id: RunId,
    result_type: ResultType,
    timestamp: String,
    display: Value,
    fields: Vec<(String, Field)>,
}

pub(super) enum Field {
    Json(Value),
    /// Numbers of `shape` (element type `dtype` as written, of the first part), in `parts`, in order.
    Numbers {
        shape: Vec<usize>,
        dtype: String,
        parts: Vec<Part>,
    },
}

/// A run of a field's values, in order.
pub(super) enum Part {
    /// Values written inline in a record (small), or of an array file that had to be read whole (Fortran order).
    Values(Vec<f64>),
    /// `count` values of an array file from value `skip` on; `shape` is the file's, as checked before writing.
    File {
        rel: PathBuf,
        shape: Vec<usize>,
        skip: usize,
        count: usize,
    },
}

impl AsgardStorage {
    /// Result `id` ready to be written whole ([`Download::write_json`], [`Download::write_csv`]): its record read,
    /// the header of each of its array files checked, and, while it grows, the pieces it has now.
    pub fn download(&self, id: ResultId) -> Result<Download> {
        let record = self.read_result(id)?;
        let mut fields = Vec::with_capacity(record.data.len());
        for (name, value) in &record.data {
            fields.push((name.clone(), self.download_field(id, name, value, 0)?));
        }
        if record.growing.is_some() {
            self.plan_rows(id, (0, u64::MAX), &mut fields, &mut Vec::new())?;
        }
        Ok(Download {
            storage: self.clone(),
            id,
            run_id: record.run_id,
            result_type: record.result_type,
            timestamp: record.timestamp,
            display: record.display,
            fields,
        })
    }

    /// The rows of a growing result's chunks `from … until − 1` (fewer when a chunk is missing), where they are,
    /// added to `fields` field by field (after the rows a field has already): the chunk after the last one
    /// planned, and the rows of each chunk. Each piece's record is added to `seen` as it is read.
    pub(super) fn plan_rows(
        &self,
        id: ResultId,
        (from, until): (u64, u64),
        fields: &mut Vec<(String, Field)>,
        seen: &mut Vec<PathBuf>,
    ) -> Result<(u64, Vec<usize>)> {
        let mut next = from;
        let mut chunk_rows = Vec::new();
        while next < until {
            let Some(piece) = self.piece_at(id, next, until)? else {
                break;
            };
            seen.push(piece.rel.clone());
            let corrupt = |message: String| Error::Corrupt {
                path: piece.rel.clone(),
                message,
            };
            let taken = piece.rows - piece.skip.min(piece.rows);
            for (name, value) in &piece.data {
                let Field::Numbers {
                    shape,
                    dtype,
                    parts,
                } = self.download_field(id, name, value, piece.skip)?
                else {
                    return Err(corrupt(format!(
                        "field `{name}`: expected numbers, found {value}"
                    )));
                };
                if shape.first() != Some(&taken) {
                    return Err(corrupt(format!(
                        "field `{name}`: expected {} rows, found shape {shape:?}",
                        piece.rows
                    )));
                }
                match fields.iter_mut().find(|(n, _)| n == name) {
                    None => fields.push((
                        name.clone(),
                        Field::Numbers {
                            shape,
                            dtype,
                            parts,
                        },
                    )),
                    Some((_, Field::Json(_))) => {
                        return Err(Error::Corrupt {
                            path: Self::rel_result(id),
                            message: format!("field `{name}` grows but is not numeric"),
                        })
                    }
                    Some((
                        _,
                        Field::Numbers {
                            shape: have,
                            parts: before,
                            ..
                        },
                    )) => {
                        if have.is_empty() || have[1..] != shape[1..] {
                            return Err(corrupt(format!(
                                "field `{name}`: rows of shape {:?} cannot follow rows of shape {:?}",
                                &shape[1..],
                                have.get(1..).unwrap_or(&[])
                            )));
                        }
                        have[0] += shape[0];
                        before.extend(parts);
                    }
                }
            }
            chunk_rows.extend_from_slice(&piece.chunk_rows);
            next = piece.next;
        }
        Ok((next, chunk_rows))
    }

    /// A planned field's values read into one buffer of its exact size (zeroed lazily by the allocator, written
    /// once by the reads: no copy, no growth).
    pub(super) fn read_parts(
        &self,
        id: ResultId,
        name: &str,
        shape: &[usize],
        parts: &[Part],
    ) -> Result<Vec<f64>> {
        let total: usize = shape.iter().product();
        let mut values = vec![0.0; total];
        let mut at = 0;
        for part in parts {
            let (path, count) = match part {
                Part::Values(v) => (Self::rel_result(id), v.len()),
                Part::File { rel, count, .. } => (rel.clone(), *count),
            };
            let Some(slot) = values.get_mut(at..at + count) else {
                return Err(Error::Corrupt {
                    path,
                    message: format!("field `{name}`: more values than its shape {shape:?} holds"),
                });
            };
            match part {
                Part::Values(v) => slot.copy_from_slice(v),
                Part::File {
                    rel,
                    shape: file_shape,
                    skip,
                    ..
                } => {
                    let mut file = self.open_again(rel)?;
                    let header = npy::read_header(&mut file)
                        .map_err(|e| super::read::npy_error(rel.clone(), name, e))?;
                    if header.shape != *file_shape {
                        return Err(Error::Corrupt {
                            path: rel.clone(),
                            message: format!(
                                "field `{name}`: the file changed while it was read (shape {:?}, was {file_shape:?})",
                                header.shape
                            ),
                        });
                    }
                    npy::read_into(file, &header, *skip, slot).map_err(|e| Error::Corrupt {
                        path: rel.clone(),
                        message: format!("field `{name}`: the data ends early ({e})"),
                    })?;
                }
            }
            at += count;
        }
        Ok(values)
    }

    /// Where one field's values are, without the first `skip` rows (a fold read from inside it).
    fn download_field(
        &self,
        id: ResultId,
        name: &str,
        value: &Value,
        skip: usize,
    ) -> Result<Field> {
        let Some(reference) = format::NpyRef::from_value(value) else {
            return Ok(match self.read_field(id, name, value)? {
                FieldValue::Array(a) => {
                    let array = if skip > 0 { a.rows_from(skip) } else { a };
                    Field::Numbers {
                        shape: array.shape,
                        dtype: array.dtype,
                        parts: vec![Part::Values(array.values)],
                    }
                }
                FieldValue::Json(_) => Field::Json(value.clone()),
            });
        };
        let (rel, mut file) = self.open_npy_ref(id, name, reference)?;
        let header = npy::read_header(&mut file)
            .map_err(|e| super::read::npy_error(rel.clone(), name, e))?;
        let Some(&rows) = header.shape.first() else {
            let array = npy::read_as_f64(self.open_again(&rel)?)
                .map_err(|e| super::read::npy_error(rel.clone(), name, e))?;
            return Ok(Field::Numbers {
                shape: array.shape,
                dtype: array.dtype,
                parts: vec![Part::Values(array.values)],
            });
        };
        let skip = skip.min(rows);
        let stride: usize = header.shape[1..].iter().product();
        let mut shape = header.shape.clone();
        shape[0] = rows - skip;
        let part = if header.fortran_order && header.shape.len() > 1 {
            // Column-major on disk (NumPy writes it only when asked): read whole, to walk it in row-major order.
            let array = npy::read_as_f64(self.open_again(&rel)?)
                .map_err(|e| super::read::npy_error(rel.clone(), name, e))?;
            Part::Values(array.values[skip * stride..].to_vec())
        } else {
            Part::File {
                rel,
                shape: header.shape,
                skip: skip * stride,
                count: (rows - skip) * stride,
            }
        };
        Ok(Field::Numbers {
            shape,
            dtype: header.descr,
            parts: vec![part],
        })
    }

    fn open_again(&self, rel: &std::path::Path) -> Result<std::fs::File> {
        self.open_file(rel)?.ok_or_else(|| Error::Corrupt {
            path: rel.to_owned(),
            message: "the file was removed while it was read".into(),
        })
    }
}

impl Download {
    /// The result as JSON (what `GET /api/result` answers), non-finite numbers written as `style` says.
    pub fn write_json(&self, style: NonFinite, out: &mut dyn Write) -> std::io::Result<()> {
        let text = |value: &dyn erased::Text| json::to_text(&value.value(), style, false);
        out.write_all(b"{\"id\":")?;
        out.write_all(&text(&self.id))?;
        out.write_all(b",\"run_id\":")?;
        out.write_all(&text(&self.run_id))?;
        out.write_all(b",\"result_type\":")?;
        out.write_all(&text(&self.result_type))?;
        out.write_all(b",\"timestamp\":")?;
        out.write_all(&text(&self.timestamp))?;
        out.write_all(b",\"data\":{")?;
        for (i, (name, field)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(&text(name))?;
            out.write_all(b":")?;
            match field {
                Field::Json(value) => out.write_all(&json::to_text(value, style, false))?,
                Field::Numbers { shape, parts, .. } => {
                    let mut nest = Nest::new(shape, style);
                    self.each_block(name, parts, &mut |values| nest.write(values, out))?;
                    nest.finish(out)?;
                }
            }
        }
        out.write_all(b"},\"display\":")?;
        out.write_all(&json::to_text(&self.display, style, false))?;
        out.write_all(b"}")
    }

    /// Calls `f` with each block of a field's values, in order.
    fn each_block(
        &self,
        name: &str,
        parts: &[Part],
        f: &mut dyn FnMut(&[f64]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut next = self.blocks(name, parts);
        loop {
            let block = next()?;
            if block.is_empty() {
                return Ok(());
            }
            f(&block)?;
        }
    }

    /// A field's values a block at a time (empty at the end), each array file opened when reached.
    fn blocks<'a>(&'a self, name: &'a str, parts: &'a [Part]) -> NextBlock<'a> {
        let mut parts = parts.iter();
        let mut open: Option<Blocks> = None;
        Box::new(move || loop {
            if let Some(blocks) = &mut open {
                let block = blocks.next_block(BLOCK)?;
                if !block.is_empty() {
                    return Ok(block);
                }
                open = None;
            }
            match parts.next() {
                None => return Ok(Vec::new()),
                Some(Part::Values(values)) if values.is_empty() => {}
                Some(Part::Values(values)) => return Ok(values.clone()),
                Some(Part::File {
                    rel,
                    shape,
                    skip,
                    count,
                }) => open = Some(self.open_blocks(name, rel, shape, *skip, *count)?),
            }
        })
    }

    /// An array file's values from `skip` on, checked to have the shape it had when the download was planned.
    fn open_blocks(
        &self,
        name: &str,
        rel: &std::path::Path,
        shape: &[usize],
        skip: usize,
        count: usize,
    ) -> std::io::Result<Blocks> {
        let failed = |message: String| {
            std::io::Error::other(format!("{}: field `{name}`: {message}", rel.display()))
        };
        let mut file = self
            .storage
            .open_again(rel)
            .map_err(|e| failed(e.to_string()))?;
        let header = npy::read_header(&mut file).map_err(|e| failed(e.to_string()))?;
        if header.shape != shape {
            return Err(failed(format!(
                "the file changed while it was read (shape {:?}, was {shape:?})",
                header.shape
            )));
        }
        Blocks::new(file, &header, skip, count)
    }

    /// What the CSV of the result would hold: one field (`field`), or its 1-D numeric fields that share the
    /// first one's length side by side; an error saying what to ask for otherwise.
    pub fn csv_columns(&self, field: Option<&str>) -> std::result::Result<Vec<usize>, String> {
        let Some(name) = field else {
            let one_d: Vec<(usize, usize)> = self
                .fields
                .iter()
                .enumerate()
                .filter_map(|(i, (_, f))| match f {
                    Field::Numbers { shape, .. } if shape.len() == 1 => Some((i, shape[0])),
                    _ => None,
                })
                .collect();
            let Some(&(_, len)) = one_d.first() else {
                return Err(
                    "this result has no 1-D numeric field; ask for one field with `field=`".into(),
                );
            };
            return Ok(one_d
                .into_iter()
                .filter(|&(_, n)| n == len)
                .map(|(i, _)| i)
                .collect());
        };
        match self.fields.iter().position(|(n, _)| n == name) {
            Some(i) if matches!(self.fields[i].1, Field::Numbers { .. }) => Ok(vec![i]),
            Some(_) => Err(format!("field `{name}` is not numeric, so has no CSV form")),
            None => Err(format!("result has no field `{name}`")),
        }
    }

    /// The CSV of one field (`field`), or of the 1-D fields side by side ([`Self::csv_columns`]).
    pub fn write_csv(&self, field: Option<&str>, out: &mut dyn Write) -> std::io::Result<()> {
        let columns = self.csv_columns(field).map_err(std::io::Error::other)?;
        let numbers = |i: usize| match &self.fields[i] {
            (name, Field::Numbers { shape, parts, .. }) => Some((name.as_str(), shape, parts)),
            _ => None,
        };
        if field.is_some() {
            let Some((name, shape, parts)) = columns.first().and_then(|&i| numbers(i)) else {
                return Ok(());
            };
            return export::write_field_csv(name, shape, self.blocks(name, parts), out);
        }
        let sources = columns
            .iter()
            .filter_map(|&i| numbers(i))
            .map(|(name, _, parts)| (name, self.blocks(name, parts)))
            .collect();
        export::write_columns_csv(sources, out)
    }
}

/// Writes the values of an array of `shape`, given in row-major order a block at a time, as nested JSON arrays.
struct Nest {
    shape: Vec<usize>,
    /// How many values each level's arrays hold: `blocks[d]` is the product of `shape[d..]`.
    blocks: Vec<usize>,
    total: usize,
    written: usize,
    style: NonFinite,
    buffer: Vec<u8>,
}

impl Nest {
    fn new(shape: &[usize], style: NonFinite) -> Self {
        let blocks: Vec<usize> = (0..shape.len())
            .map(|d| shape[d..].iter().product())
            .collect();
        Self {
            shape: shape.to_vec(),
            total: shape.iter().product(),
            blocks,
            written: 0,
            style,
            buffer: Vec::with_capacity(BLOCK * 24),
        }
    }

    fn write(&mut self, values: &[f64], out: &mut dyn Write) -> std::io::Result<()> {
        let dims = self.shape.len();
        for &v in values {
            let i = self.written;
            if i >= self.total {
                return Err(std::io::Error::other(format!(
                    "more values than the shape {:?} holds",
                    self.shape
                )));
            }
            // The arrays that close before value i and open at it: those whose size divides i.
            let level = self
                .blocks
                .iter()
                .take_while(|&&b| !i.is_multiple_of(b.max(1)))
                .count();
            if i > 0 {
                self.buffer.extend(std::iter::repeat_n(b']', dims - level));
                self.buffer.push(b',');
            }
            self.buffer.extend(std::iter::repeat_n(b'[', dims - level));
            json::write_number(&mut self.buffer, v, self.style);
            self.written += 1;
        }
        out.write_all(&self.buffer)?;
        self.buffer.clear();
        Ok(())
    }

    fn finish(self, out: &mut dyn Write) -> std::io::Result<()> {
        let expected = if self.shape.is_empty() { 1 } else { self.total };
        if self.written == 0 {
            // Nothing to stream: an empty array (or a scalar without a value), as the whole value is written.
            let value = format::nest_values(&self.shape, &[]);
            return out.write_all(&json::to_text(&value, self.style, false));
        }
        if self.written != expected {
            return Err(std::io::Error::other(format!(
                "{} values where the shape {:?} holds {expected}",
                self.written, self.shape
            )));
        }
        out.write_all(&vec![b']'; self.shape.len()])
    }
}

mod erased {
    /// A value of the record written as `serde_json` writes it.
    pub trait Text {
        fn value(&self) -> serde_json::Value;
    }

    impl<T: serde::Serialize> Text for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("ids, types and text serialize")
        }
    }
}
