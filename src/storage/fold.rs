//! Folds: a growing result's chunks gathered, as the writer goes, into fewer and larger files, so that reading a
//! long growing result costs a few files rather than one per append (docs/storage-format.md, "Folds").
//!
//! Each time chunk `64·k − 1` is written, the writer also writes a level-1 fold of chunks `64·(k−1) … 64·k − 1`
//! (`files/{result}_fold1-{start}.json`, with its arrays), and each time the 64th level-1 fold of a block is
//! written, a level-2 fold of those 4,096 chunks. A fold is written once and never changed, like a chunk. A
//! reader at chunk `p` takes the largest fold that starts at `p`, else chunk `p`, else — when chunk `p` was
//! already removed — the fold that holds it, from `p` on. The pieces a fold replaces are removed one fold later
//! (when the next fold of the same level is written), so a reader that has just looked past a fold still finds
//! what it is about to read; close removes everything that is left.

use std::path::PathBuf;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::bucket::Put;
use super::download::Field;
use super::growing::{chunk_file, ChunkRecord, Rows};
use super::{format, now_rfc3339, AsgardStorage, Error, Result};
use crate::model::{NumArray, ResultId};

/// How many pieces of one level a fold of the next level holds.
pub const FOLD_WIDTH: u64 = 64;
/// The highest level of fold: 64 chunks at level 1, 4,096 at level 2.
pub const FOLD_LEVELS: u32 = 2;

/// How many chunks a fold of `level` holds (1 for level 0, a chunk).
pub fn fold_span(level: u32) -> u64 {
    FOLD_WIDTH.pow(level)
}

/// The file name of the fold of `level` that starts at chunk `start`, in `files/`.
pub fn fold_file(id: ResultId, level: u32, start: u64) -> String {
    format!("{id}_fold{level}-{start:08}.json")
}

/// `files/{result}_fold{level}-{start}.json`: the rows of chunks `start … end − 1`, field by field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FoldRecord {
    pub result_id: ResultId,
    pub level: u32,
    /// The first chunk it holds.
    pub start: u64,
    /// The chunk after the last one it holds (`start + 64^level`).
    pub end: u64,
    /// How many rows each chunk it holds had, in order: where each chunk's rows begin.
    pub chunk_rows: Vec<usize>,
    pub timestamp: String,
    /// Each field's rows, inline or in an array file of the result (`{result}_fold{level}-{start}_{field}.npy`).
    pub data: Map<String, Value>,
}

/// A run of chunks read as one: a chunk, or a fold from one of its chunks on.
pub(super) struct Piece {
    pub rel: PathBuf,
    /// The chunk after the last one it holds.
    pub next: u64,
    /// The rows each field holds in the file.
    pub rows: usize,
    /// The rows at its start that belong to chunks before the one asked for.
    pub skip: usize,
    /// The rows of each chunk taken, in order.
    pub chunk_rows: Vec<usize>,
    pub data: Map<String, Value>,
}

impl AsgardStorage {
    /// The piece that holds the rows from chunk `p` on, ending by chunk `until`: the largest fold that starts
    /// at `p`, else chunk `p`, else the fold that holds chunk `p` (when the chunk was removed after it was
    /// folded). `None` when there is no chunk `p` yet.
    pub(super) fn piece_at(&self, id: ResultId, p: u64, until: u64) -> Result<Option<Piece>> {
        for level in (1..=FOLD_LEVELS).rev() {
            let span = fold_span(level);
            if p.is_multiple_of(span) && p.saturating_add(span) <= until {
                if let Some(fold) = self.read_fold(id, level, p)? {
                    return Ok(Some(fold));
                }
            }
        }
        if let Some(chunk) = self.read_chunk_record(id, p)? {
            return Ok(Some(chunk));
        }
        for level in 1..=FOLD_LEVELS {
            let span = fold_span(level);
            let start = p - p % span;
            if start < p && start.saturating_add(span) <= until {
                if let Some(mut fold) = self.read_fold(id, level, start)? {
                    let taken = (p - start) as usize;
                    fold.skip = fold.chunk_rows[..taken].iter().sum();
                    fold.chunk_rows.drain(..taken);
                    return Ok(Some(fold));
                }
            }
        }
        Ok(None)
    }

    fn read_chunk_record(&self, id: ResultId, seq: u64) -> Result<Option<Piece>> {
        let rel = PathBuf::from("files").join(chunk_file(id, seq));
        let Some(chunk) = self.read_json::<ChunkRecord>(&rel)? else {
            return Ok(None);
        };
        if chunk.result_id != id || chunk.seq != seq {
            return Err(Error::Corrupt {
                path: rel,
                message: format!(
                    "expected chunk {seq} of result {id}, found chunk {} of {}",
                    chunk.seq, chunk.result_id
                ),
            });
        }
        Ok(Some(Piece {
            rel,
            next: seq + 1,
            rows: chunk.rows,
            skip: 0,
            chunk_rows: vec![chunk.rows],
            data: chunk.data,
        }))
    }

    fn read_fold(&self, id: ResultId, level: u32, start: u64) -> Result<Option<Piece>> {
        let rel = PathBuf::from("files").join(fold_file(id, level, start));
        let Some(fold) = self.read_json::<FoldRecord>(&rel)? else {
            return Ok(None);
        };
        let end = start + fold_span(level);
        if fold.result_id != id || fold.level != level || fold.start != start || fold.end != end {
            return Err(Error::Corrupt {
                path: rel,
                message: format!(
                    "expected the level-{level} fold of chunks {start}…{} of result {id}, found level {} of chunks {}…{} of {}",
                    end - 1,
                    fold.level,
                    fold.start,
                    fold.end.saturating_sub(1),
                    fold.result_id
                ),
            });
        }
        if fold.chunk_rows.len() as u64 != end - start {
            return Err(Error::Corrupt {
                path: rel,
                message: format!(
                    "expected the rows of {} chunks, found {}",
                    end - start,
                    fold.chunk_rows.len()
                ),
            });
        }
        Ok(Some(Piece {
            rel,
            next: end,
            rows: fold.chunk_rows.iter().sum(),
            skip: 0,
            chunk_rows: fold.chunk_rows,
            data: fold.data,
        }))
    }

    /// The rows of chunks `from … until − 1` (fewer when a chunk is missing: `next` says where they end), with
    /// the rows of each chunk: the pieces planned first (`download::plan_rows`: records and array headers), then
    /// each field read into one buffer of its exact size.
    pub(super) fn read_range(
        &self,
        id: ResultId,
        from: u64,
        until: u64,
    ) -> Result<(Rows, Vec<usize>)> {
        let mut tries = 0;
        loop {
            let mut seen = Vec::new();
            let read = self.read_range_once(id, (from, until), &mut seen);
            match read {
                // A piece removed while it was read (a fold holds its rows now, and the writer went on): read
                // again, from the folds.
                Err(_) if tries < 8 && self.any_removed(&seen)? => tries += 1,
                read => return read,
            }
        }
    }

    fn read_range_once(
        &self,
        id: ResultId,
        range: (u64, u64),
        seen: &mut Vec<PathBuf>,
    ) -> Result<(Rows, Vec<usize>)> {
        let mut planned = Vec::new();
        let (next, chunk_rows) = self.plan_rows(id, range, &mut planned, seen)?;
        let mut fields = Vec::with_capacity(planned.len());
        for (name, field) in planned {
            // `plan_rows` plans numbers only.
            let Field::Numbers {
                shape,
                dtype,
                parts,
            } = field
            else {
                continue;
            };
            let values = self.read_parts(id, &name, &shape, &parts)?;
            fields.push((
                name,
                NumArray {
                    shape,
                    dtype,
                    values,
                },
            ));
        }
        Ok((Rows { next, fields }, chunk_rows))
    }

    /// Whether any of these pieces' records is gone.
    fn any_removed(&self, pieces: &[PathBuf]) -> Result<bool> {
        for rel in pieces {
            if self.read_json::<IgnoredAny>(rel)?.is_none() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// After chunk `seq` is written: the folds it completes, and the removal of what the folds before them
    /// replaced. A fold that cannot be made (a field missing from some chunk) is left out: the chunks stay and
    /// read as before.
    /// Whether writing chunk `seq` completes a fold.
    pub(super) fn completes_fold(seq: u64) -> bool {
        (seq + 1).is_multiple_of(FOLD_WIDTH)
    }

    pub(super) fn fold_after(&self, id: ResultId, seq: u64) -> Result<()> {
        let end = seq + 1;
        for level in 1..=FOLD_LEVELS {
            let span = fold_span(level);
            if !end.is_multiple_of(span) {
                break;
            }
            let start = end - span;
            if !self.write_fold(id, level, start)? {
                break;
            }
            if let Some(before) = start.checked_sub(span) {
                self.remove_folded(id, level, before)?;
            }
        }
        Ok(())
    }

    /// Writes the fold of `level` from chunk `start`, if it is not there yet; false when it cannot be made.
    fn write_fold(&self, id: ResultId, level: u32, start: u64) -> Result<bool> {
        if self.read_fold(id, level, start)?.is_some() {
            return Ok(true);
        }
        let end = start + fold_span(level);
        let (rows, chunk_rows) = self.read_range(id, start, end)?;
        let total: usize = chunk_rows.iter().sum();
        if rows.next != end
            || rows
                .fields
                .iter()
                .any(|(_, a)| a.shape.first() != Some(&total))
        {
            return Ok(false);
        }
        let stem = format!("{id}_fold{level}-{start:08}");
        let rel = PathBuf::from("files").join(fold_file(id, level, start));
        self.write_piece(
            &rel,
            rows.fields,
            |name| format!("{stem}_{name}.npy"),
            |data| {
                Self::json_bytes(&FoldRecord {
                    result_id: id,
                    level,
                    start,
                    end,
                    chunk_rows,
                    timestamp: now_rfc3339(),
                    data,
                })
            },
        )?;
        Ok(true)
    }

    /// Writes a chunk or a fold: each field's array file (named by `file`, when the field is over the inline
    /// threshold), then the record `rel` made by `record` from the fields' values, each created once. When a
    /// write fails, the array files written before it are removed: nothing names them.
    pub(super) fn write_piece(
        &self,
        rel: &std::path::Path,
        fields: Vec<(String, NumArray)>,
        file: impl Fn(&str) -> String,
        record: impl FnOnce(Map<String, Value>) -> Vec<u8>,
    ) -> Result<()> {
        let mut data = Map::new();
        let mut written = Vec::new();
        let undo = |written: &[PathBuf]| written.iter().for_each(|rel| drop(self.remove(rel)));
        for (name, array) in fields {
            match self.stored_rows(&name, array, file(&name), Put::Create) {
                Ok((value, file)) => {
                    written.extend(file);
                    data.insert(name, value);
                }
                Err(e) => {
                    undo(&written);
                    return Err(e);
                }
            }
        }
        let bytes = record(data);
        if let Err(e) = self.write_new(rel, |w| w.write_all(&bytes)) {
            undo(&written);
            return Err(e);
        }
        Ok(())
    }

    /// Removes the pieces one level down that the fold of `level` at `start` holds, if that fold exists.
    fn remove_folded(&self, id: ResultId, level: u32, start: u64) -> Result<()> {
        if self.read_fold(id, level, start)?.is_none() {
            return Ok(());
        }
        let below = fold_span(level - 1);
        for k in (0..FOLD_WIDTH).rev() {
            let p = start + k * below;
            let rel = match level - 1 {
                0 => chunk_file(id, p),
                lower => fold_file(id, lower, p),
            };
            self.remove_piece(id, &PathBuf::from("files").join(rel))?;
        }
        Ok(())
    }

    /// Removes a chunk or fold file, then the array files it names; nothing when it is gone already.
    pub(super) fn remove_piece(&self, id: ResultId, rel: &std::path::Path) -> Result<()> {
        #[derive(Deserialize)]
        struct Data {
            #[serde(default)]
            data: Map<String, Value>,
        }
        let Some(piece) = self.read_json::<Data>(rel).ok().flatten() else {
            return self.remove(rel);
        };
        self.remove(rel)?;
        for value in piece.data.values() {
            if let Some(Ok(reference)) = format::NpyRef::from_value(value) {
                if reference.belongs_to(id) {
                    self.remove(&PathBuf::from("files").join(&reference.file))?;
                }
            }
        }
        Ok(())
    }

    /// Removes every chunk and fold of a result that had `chunks` chunks: the chunks first, the last first, then
    /// the folds level by level, so that a reader meanwhile still finds a prefix. In a bucket only the objects
    /// listed are removed (a request per object that is gone would cost more than one listing).
    pub(super) fn remove_pieces(&self, id: ResultId, chunks: u64) -> Result<()> {
        let mut names: Vec<String> = (0..chunks).rev().map(|seq| chunk_file(id, seq)).collect();
        for level in 1..=FOLD_LEVELS {
            let span = fold_span(level);
            let folds = chunks / span;
            names.extend((0..folds).rev().map(|k| fold_file(id, level, k * span)));
        }
        if let super::Place::Bucket(bucket) = &self.place {
            let listed: std::collections::HashSet<String> = bucket
                .list(&format!("files/{id}_"), None)?
                .into_iter()
                .filter_map(|(rel, _)| rel.strip_prefix("files/").map(str::to_owned))
                .collect();
            names.retain(|name| listed.contains(name));
        }
        for name in names {
            self.remove_piece(id, &PathBuf::from("files").join(name))?;
        }
        Ok(())
    }

    /// A field's rows as a chunk, fold or result file holds them: inline when small, else in the array file
    /// `file` of `files/` (written with `put`, which is then returned to be removed if what names it fails).
    pub(super) fn stored_rows(
        &self,
        name: &str,
        array: NumArray,
        file: String,
        put: Put,
    ) -> Result<(Value, Option<PathBuf>)> {
        if array.len() <= self.inline_threshold {
            return Ok((format::nest_values(&array.shape, &array.values), None));
        }
        let rel = PathBuf::from("files").join(&file);
        let shape = array.shape.clone();
        let npy = super::NpyArray::F64(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), array.values)
                .map_err(|e| Error::InvalidData(format!("field `{name}`: {e}")))?,
        );
        let write = |w: &mut dyn std::io::Write| npy.write(w).map_err(std::io::Error::other);
        match put {
            Put::Create => self.write_new(&rel, write)?,
            _ => {
                self.write_with(&rel, put, write)?;
            }
        }
        Ok((
            serde_json::json!({ "$npy": file, "shape": shape, "dtype": "<f8" }),
            Some(rel),
        ))
    }
}
