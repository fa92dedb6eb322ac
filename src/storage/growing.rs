//! Results that grow while a computation runs (docs/storage-format.md, "Growing results"). A writer opens a
//! result (its file says `"growing": {"open": true}`), appends rows to its fields in chunks — each chunk one new
//! file `files/{result}_chunk-{seq}.json`, written once, never changed — and closes it, which folds the chunks
//! into ordinary fields and removes them. A reader takes the result's fields, then the rows of chunks 0, 1, 2 …
//! up to the first one missing: a chunk is complete when it exists (atomic rename in a directory, create-once
//! put in a bucket), so a reader never sees half an append, and a writer that dies leaves a result that reads
//! as far as it got, still marked open.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::bucket::Put;
use super::{format, inline_shape, now_rfc3339, stats, AsgardStorage, DataValue, Error, Result};
pub use crate::model::GrowthState;
use crate::model::{FieldValue, NumArray, ResultId, ResultPayload, ResultType, RunId};

/// The `growing` object of an open result's file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Growing {
    /// True until the writer closes the result; a closed result has no `growing` at all.
    #[serde(default)]
    pub open: bool,
    /// When the writer opened it (RFC 3339).
    #[serde(default)]
    pub opened: String,
}

/// `files/{result}_chunk-{seq}.json`: rows appended to some fields of a growing result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChunkRecord {
    pub result_id: ResultId,
    /// The chunk's number, equal to the one in its name: 0, 1, 2 … without gaps.
    pub seq: u64,
    pub timestamp: String,
    /// How many rows each field of the chunk holds (the length of its first axis).
    pub rows: usize,
    /// Each field's rows, inline or in an array file of the result (`{result}_{field}-{seq}.npy`).
    pub data: Map<String, Value>,
}

/// The file name of chunk `seq` of result `id`, in `files/`.
pub fn chunk_file(id: ResultId, seq: u64) -> String {
    format!("{id}_chunk-{seq:08}.json")
}

/// `{result}_chunk-{seq}.json` → (result, seq); anything else → `None`.
pub fn chunk_of_file_name(name: &str) -> Option<(ResultId, u64)> {
    let (id, rest) = name.split_once("_chunk-")?;
    let seq = rest.strip_suffix(".json")?;
    if seq.len() < 8 || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parsed: ResultId = id.parse().ok()?;
    // The name holds the id as every writer spells it: lowercase, hyphenated.
    (parsed.to_string() == id).then_some(())?;
    Some((parsed, seq.parse().ok()?))
}

/// What the run page shows of a growing result's chunks without reading their arrays: how many chunks, and each
/// field's shape with the rows of every chunk (as the chunks' records say).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowShapes {
    pub next: u64,
    pub fields: Vec<(String, Vec<usize>)>,
}

impl RowShapes {
    /// How many rows the longest field has.
    pub fn rows(&self) -> usize {
        self.fields
            .iter()
            .map(|(_, s)| s.first().copied().unwrap_or(0))
            .max()
            .unwrap_or(0)
    }
}

/// The shapes read so far of each growing result, by the version of its file: the run page asks again at every
/// change of its run, and then reads only the chunks that are new.
static SHAPES: std::sync::LazyLock<std::sync::Mutex<ShapesKept>> =
    std::sync::LazyLock::new(Default::default);

/// Each result's shapes, with the version of its file they were read for.
type ShapesKept = std::collections::HashMap<ResultId, (Option<super::Stamp>, RowShapes)>;

/// Rows read from the chunks of a result, from chunk `from` on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rows {
    /// The chunk after the last one read (the first not found).
    pub next: u64,
    /// Each field's rows, in the order the fields first appeared.
    pub fields: Vec<(String, NumArray)>,
}

impl Rows {
    /// How many rows the longest field has.
    pub fn len(&self) -> usize {
        self.fields
            .iter()
            .map(|(_, a)| a.shape.first().copied().unwrap_or(0))
            .max()
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl AsgardStorage {
    /// Opens a result that grows: its file is written now with the fields given (those that do not grow: an
    /// ensemble's `t`, an optimisation's `param_names`), marked open, and listed in its run at once, so that a
    /// page shows it from its first rows. Rows are then added with [`Self::append_chunk`] (or the buffered
    /// [`super::series::Series`]), and [`Self::close_result`] ends it.
    pub fn open_growing(
        &self,
        run_id: RunId,
        result_type: impl Into<ResultType>,
        data: impl IntoIterator<Item = (String, DataValue)>,
        display: Value,
    ) -> Result<ResultId> {
        let growing = Growing {
            open: true,
            opened: now_rfc3339(),
        };
        self.store_result(run_id, result_type.into(), data, display, Some(growing))
    }

    /// Writes chunk `seq` of an open result: the rows of each field (every array's first axis is the rows, the
    /// same count in all of them). Arrays over the inline threshold go to their own files first; the chunk's
    /// file, written last and created once, makes them part of the result. Chunks are numbered 0, 1, 2 …; a
    /// reader stops at the first missing one, so they must be written in order. Then the folds the chunk
    /// completes ([`super::fold`]).
    pub fn append_chunk(
        &self,
        id: ResultId,
        seq: u64,
        fields: Vec<(String, NumArray)>,
    ) -> Result<()> {
        self.write_chunk(id, seq, fields)?;
        self.fold_chunks(id, seq);
        Ok(())
    }

    /// The folds chunk `seq` completes, if any; a fold that fails is logged and leaves the chunks to be read one
    /// by one. [`super::series::Series`] calls it from its thread, so that an append never waits for a fold.
    pub(super) fn fold_chunks(&self, id: ResultId, seq: u64) {
        if let Err(e) = self.fold_after(id, seq) {
            tracing::warn!(result = %id, error = %e, "chunks of a growing result were not folded");
        }
    }

    /// [`Self::append_chunk`] without its folds.
    pub(super) fn write_chunk(
        &self,
        id: ResultId,
        seq: u64,
        fields: Vec<(String, NumArray)>,
    ) -> Result<()> {
        let rows = fields
            .first()
            .and_then(|(_, a)| a.shape.first().copied())
            .unwrap_or(0);
        if let Some((name, a)) = fields
            .iter()
            .find(|(_, a)| a.shape.first().copied() != Some(rows))
        {
            return Err(Error::InvalidData(format!(
                "appended field `{name}` has shape {:?}; every field of one append needs the same number of rows ({rows})",
                a.shape
            )));
        }
        for (name, _) in &fields {
            super::write::check_field_name(name)?;
        }
        let rel = PathBuf::from("files").join(chunk_file(id, seq));
        self.write_piece(
            &rel,
            fields,
            |name| format!("{id}_{name}-{seq:08}.npy"),
            |data| {
                Self::json_bytes(&ChunkRecord {
                    result_id: id,
                    seq,
                    timestamp: now_rfc3339(),
                    rows,
                    data,
                })
            },
        )?;
        // A bucket's monitors learn of it from the journal; a directory's from the new file.
        if self.is_bucket() {
            if let Ok(record) = self.read_result(id) {
                self.announce_chunk(record.run_id, id, seq)?;
            }
        }
        Ok(())
    }

    /// The rows of a result's chunks from chunk `from` up to the first missing one (read from its folds where
    /// there are some: [`super::fold`]).
    pub fn read_rows(&self, id: ResultId, from: u64) -> Result<Rows> {
        self.read_range(id, from, u64::MAX).map(|(rows, _)| rows)
    }

    /// The chunks of a growing result and the shapes of their fields, from their records (not their arrays),
    /// reading only the chunks written since the last call for the same version of the result.
    pub fn row_shapes(&self, id: ResultId) -> Result<RowShapes> {
        let stamp = self.result_stamp(id);
        let lock = || SHAPES.lock().unwrap_or_else(|e| e.into_inner());
        let mut shapes = lock()
            .get(&id)
            .filter(|(s, _)| *s == stamp)
            .map(|(_, shapes)| shapes.clone())
            .unwrap_or_default();
        while let Some(piece) = self.piece_at(id, shapes.next, u64::MAX)? {
            for (name, value) in &piece.data {
                let mut shape = match format::NpyRef::from_value(value) {
                    Some(Ok(reference)) => reference.shape,
                    Some(Err(e)) => {
                        return Err(Error::Corrupt {
                            path: piece.rel,
                            message: format!("field `{name}`: {e}"),
                        })
                    }
                    None => inline_shape(value).map(|(s, _)| s).unwrap_or_default(),
                };
                if let Some(rows) = shape.first_mut() {
                    *rows = rows.saturating_sub(piece.skip);
                }
                match shapes.fields.iter_mut().find(|(n, _)| n == name) {
                    Some((_, have)) => {
                        if let (Some(rows), Some(more)) = (have.first_mut(), shape.first()) {
                            *rows += more;
                        }
                    }
                    None => shapes.fields.push((name.clone(), shape)),
                }
            }
            shapes.next = piece.next;
        }
        let mut kept = lock();
        if kept.len() >= 1024 {
            kept.clear();
        }
        kept.insert(id, (stamp, shapes.clone()));
        Ok(shapes)
    }

    /// Adds the rows of a growing result's chunks to its fields (a field with rows in its file too gets the
    /// chunks' rows after its own).
    pub fn grow(&self, payload: &mut ResultPayload, rows: Rows) -> Result<()> {
        for (name, array) in rows.fields {
            match payload.fields.iter_mut().find(|(n, _)| *n == name) {
                Some((_, FieldValue::Array(have))) => {
                    have.append_rows(&array).map_err(|e| Error::Corrupt {
                        path: Self::rel_result(payload.id),
                        message: format!("field `{name}`: {e}"),
                    })?
                }
                Some((_, FieldValue::Json(_))) => {
                    return Err(Error::Corrupt {
                        path: Self::rel_result(payload.id),
                        message: format!("field `{name}` grows but is not numeric"),
                    })
                }
                None => payload.fields.push((name, FieldValue::Array(array))),
            }
        }
        Ok(())
    }

    /// Closes a growing result: its fields with every chunk's rows become ordinary fields (checked against its
    /// type, with its statistics computed, in the run's `stats` too), its file is written again without
    /// `growing`, and the chunks are removed, the last first, so that a reader meanwhile still sees them in
    /// order. A result already closed is left as it is.
    pub fn close_result(&self, id: ResultId) -> Result<()> {
        let record = self.read_result(id)?;
        if record.growing.is_none() {
            return Ok(());
        }
        let payload = self.get_result(id)?;
        let (run_id, result_type, display) = (
            record.run_id,
            record.result_type.clone(),
            record.display.clone(),
        );
        let shape_of = |name: &str| payload.array(name).map(|a| a.shape.clone());
        let numbers = |name: &str| -> Option<stats::Numbers<'_>> {
            payload
                .array(name)
                .map(|a| (a.shape.clone(), a.values.as_slice().into()))
        };
        let problem = format::validate(&result_type, &|name| {
            shape_of(name).or_else(|| record.data.get(name).and_then(inline_shape).map(|(s, _)| s))
        })
        .err();
        let statistics = if problem.is_none() {
            stats::compute(&result_type, &numbers, &display)
        } else {
            Vec::new()
        };
        let rows = self.read_rows(id, 0)?;
        let mut data = record.data.clone();
        for (name, _) in &rows.fields {
            let Some(array) = payload.array(name) else {
                continue;
            };
            let file = format!("{id}_{name}.npy");
            let (value, _) = self.stored_rows(name, array.clone(), file, Put::Replace)?;
            data.insert(name.clone(), value);
        }
        let closed = super::ResultRecord {
            data,
            growing: None,
            stats: stats::to_json(&statistics),
            ..record
        };
        self.write_bytes(
            &Self::rel_result(id),
            Self::json_bytes(&closed),
            Put::Replace,
        )?;
        if !self.is_bucket() {
            let entry = stats::entry_json(&result_type, &statistics);
            self.update_run(run_id, |run| {
                run.stats.insert(id.to_string(), entry.clone());
            })?;
        } else {
            self.announce(run_id)?;
        }
        self.remove_pieces(id, rows.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_announcements_name_their_result_and_chunk_and_others_do_not() {
        use super::super::chunk_of_announcement;
        let (id, run) = (ResultId(uuid::Uuid::new_v4()), uuid::Uuid::new_v4());
        let key = format!("journal/0001733000000000-{run}-0a1b2c3d-chunk-{id}-00000007");
        assert_eq!(chunk_of_announcement(&key), Some((id, 7)));
        for other in [
            format!("journal/0001733000000000-{run}-0a1b2c3d"),
            format!("journal/0001733000000000-{run}-0a1b2c3d-chunk-{id}-7"),
            format!("journal/0001733000000000-{run}-0a1b2c3d-chunk-nothing-00000007"),
        ] {
            assert_eq!(chunk_of_announcement(&other), None, "{other}");
        }
    }

    #[test]
    fn chunk_names_are_read_back_and_nothing_else_is_a_chunk() {
        let id = ResultId(uuid::Uuid::new_v4());
        assert_eq!(chunk_of_file_name(&chunk_file(id, 0)), Some((id, 0)));
        assert_eq!(
            chunk_of_file_name(&chunk_file(id, 123_456_789)),
            Some((id, 123_456_789))
        );
        for name in [
            format!("{id}_loss.npy"),
            format!("{id}_chunk-1.json"),
            format!("{id}_chunk-0000000x.json"),
            format!(".tmp-{id}_chunk-00000001.json"),
            "nothing_chunk-00000001.json".to_owned(),
            format!("{}_chunk-00000001.json", id.to_string().to_uppercase()),
        ] {
            assert_eq!(chunk_of_file_name(&name), None, "{name}");
        }
    }
}
