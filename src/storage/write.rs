//! Writing to the storage: runs, results, status and deletion, each file atomic and each run change locked.

use std::io;
use std::path::PathBuf;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::fs::{remove_if_exists, write_atomic};
use super::{
    format, inline_shape, now_rfc3339, stats, AsgardStorage, DataValue, Error, NpyArray, Result,
    ResultRecord, RunRecord,
};
use crate::model::{ResultId, ResultType, RunId, RunPatch, RunStatus};

impl AsgardStorage {
    /// Creates a run with status `running` and no results.
    pub fn create_run(
        &self,
        name: &str,
        equation: Option<&str>,
        circuit: Option<&str>,
    ) -> Result<RunRecord> {
        let run = RunRecord {
            id: RunId(Uuid::new_v4()),
            name: name.to_owned(),
            timestamp: now_rfc3339(),
            equation: equation.map(str::to_owned),
            circuit: circuit.map(str::to_owned),
            status: RunStatus::Running,
            metadata: Map::new(),
            results: Vec::new(),
            tags: Vec::new(),
            note: String::new(),
            starred: false,
            stats: Map::new(),
        };
        self.write_json(&Self::rel_run(run.id), &run)?;
        Ok(run)
    }

    /// Reads, changes and rewrites a run's file under its lock.
    fn update_run(&self, id: RunId, change: impl FnOnce(&mut RunRecord)) -> Result<()> {
        let _lock = self.lock_run(id)?;
        let mut run = self.read_run(id)?;
        change(&mut run);
        self.write_json(&Self::rel_run(id), &run)
    }

    /// Sets a run's status.
    pub fn set_status(&self, id: RunId, status: RunStatus) -> Result<()> {
        self.update_run(id, |run| run.status = status)
    }

    /// Sets one key of a run's free-form metadata.
    pub fn set_metadata(&self, id: RunId, key: &str, value: Value) -> Result<()> {
        self.update_run(id, |run| {
            run.metadata.insert(key.to_owned(), value);
        })
    }

    /// Changes a run's tags, note or star (see [`RunPatch`]) under its lock, and returns the run as written.
    pub fn annotate_run(&self, id: RunId, patch: &RunPatch) -> Result<RunRecord> {
        let _lock = self.lock_run(id)?;
        let mut run = self.read_run(id)?;
        patch
            .apply(&mut run.tags, &mut run.note, &mut run.starred)
            .map_err(Error::Invalid)?;
        self.write_json(&Self::rel_run(id), &run)?;
        Ok(run)
    }

    /// Sets every tag of a run (trimmed, each once).
    pub fn set_tags<S: AsRef<str>>(&self, id: RunId, tags: &[S]) -> Result<()> {
        let tags = tags.iter().map(|t| t.as_ref().to_owned()).collect();
        self.annotate_run(
            id,
            &RunPatch {
                tags: Some(tags),
                ..RunPatch::default()
            },
        )
        .map(drop)
    }

    /// Adds tags to a run, keeping those it has.
    pub fn add_tags<S: AsRef<str>>(&self, id: RunId, tags: &[S]) -> Result<()> {
        let add_tags = tags.iter().map(|t| t.as_ref().to_owned()).collect();
        self.annotate_run(
            id,
            &RunPatch {
                add_tags,
                ..RunPatch::default()
            },
        )
        .map(drop)
    }

    /// Sets a run's note (empty: none).
    pub fn set_note(&self, id: RunId, note: &str) -> Result<()> {
        self.annotate_run(
            id,
            &RunPatch {
                note: Some(note.to_owned()),
                ..RunPatch::default()
            },
        )
        .map(drop)
    }

    /// Stars or unstars a run.
    pub fn set_starred(&self, id: RunId, starred: bool) -> Result<()> {
        self.annotate_run(
            id,
            &RunPatch {
                starred: Some(starred),
                ..RunPatch::default()
            },
        )
        .map(drop)
    }

    /// Sets several keys of a run's metadata in one rewrite of its file.
    pub fn set_metadata_map(&self, id: RunId, entries: Map<String, Value>) -> Result<()> {
        self.update_run(id, |run| run.metadata.extend(entries))
    }

    /// Stores a result and appends it to its run. Arrays larger than the inline threshold go to `.npy` files.
    /// Fields are checked against the schema of a known `result_type`; an unknown type is stored as it is.
    pub fn add_result(
        &self,
        run_id: RunId,
        result_type: impl Into<ResultType>,
        data: impl IntoIterator<Item = (String, DataValue)>,
        display: Value,
    ) -> Result<ResultId> {
        let result_type = result_type.into();
        if !self.run_path(run_id).exists() {
            return Err(Error::RunNotFound(run_id));
        }
        if !display.is_object() {
            return Err(Error::InvalidData(format!(
                "`display` must be a JSON object, found {display}"
            )));
        }
        let id = ResultId(Uuid::new_v4());
        let mut prepared: Vec<(String, DataValue)> = Vec::new();
        for (name, value) in data {
            check_field_name(&name)?;
            let value = match value {
                DataValue::Json(v) => match inline_shape(&v) {
                    Some((shape, true))
                        if shape.iter().product::<usize>() > self.inline_threshold =>
                    {
                        DataValue::Array(NpyArray::from_json(&shape, &v))
                    }
                    _ => DataValue::Json(v),
                },
                DataValue::Array(a) if a.len() <= self.inline_threshold => {
                    DataValue::Json(a.to_json())
                }
                array => array,
            };
            prepared.push((name, value));
        }
        let shape_of = |field: &str| {
            prepared
                .iter()
                .find(|(n, _)| n == field)
                .and_then(|(_, v)| match v {
                    DataValue::Json(v) => inline_shape(v).map(|(s, _)| s),
                    DataValue::Array(a) => Some(a.shape()),
                })
        };
        format::validate(&result_type, &shape_of).map_err(Error::InvalidData)?;
        let numbers = |field: &str| -> Option<stats::Numbers<'_>> {
            match &prepared.iter().find(|(n, _)| n == field)?.1 {
                DataValue::Json(v) => {
                    let (shape, true) = inline_shape(v)? else {
                        return None;
                    };
                    let mut values = Vec::new();
                    format::flatten_numbers(v, &mut values);
                    Some((shape, values.into()))
                }
                DataValue::Array(a) => Some((a.shape(), a.to_f64())),
            }
        };
        let statistics = stats::compute(&result_type, &numbers, &display);

        let mut fields = Map::new();
        let mut written = Vec::new();
        // A write that fails (disk full, read-only storage) leaves nothing of this result behind: its earlier
        // files are removed, and the temporary file of the failed one is removed by `write_atomic`.
        let undo = |written: &[PathBuf]| {
            for rel in written {
                let _ = remove_if_exists(&self.root.join(rel));
            }
        };
        for (name, value) in prepared {
            let stored = match value {
                DataValue::Json(v) => v,
                DataValue::Array(a) => {
                    let file = format!("{id}_{name}.npy");
                    let rel = PathBuf::from("files").join(&file);
                    if let Err(source) = write_atomic(&self.root.join(&rel), |f| {
                        a.write(f).map_err(io::Error::other)
                    }) {
                        undo(&written);
                        return Err(Error::Io { path: rel, source });
                    }
                    written.push(rel);
                    json!({ "$npy": file, "shape": a.shape(), "dtype": a.dtype() })
                }
            };
            fields.insert(name, stored);
        }
        let entry = stats::entry_json(&result_type, &statistics);
        let record = ResultRecord {
            id,
            run_id,
            result_type,
            timestamp: now_rfc3339(),
            data: fields,
            display,
            stats: stats::to_json(&statistics),
        };
        if let Err(e) = self.write_json(&Self::rel_result(id), &record) {
            undo(&written);
            return Err(e);
        }
        written.push(Self::rel_result(id));

        let added = self.update_run(run_id, |run| {
            run.results.push(id);
            run.stats.insert(id.to_string(), entry);
        });
        if let Err(e) = added {
            // The run went away (or is unreadable, or the disk is full) while we wrote: leave nothing behind.
            undo(&written);
            return Err(e);
        }
        Ok(id)
    }

    /// The statistics of a stored result: those its file holds, or else computed from its fields (a result
    /// written before statistics existed). For the run file entry of [`Self::record_stats`].
    pub fn result_stats(&self, id: ResultId) -> Result<Value> {
        let record = self.read_result(id)?;
        if !record.stats.is_empty() {
            let values = stats::values_of(&record.stats);
            return Ok(stats::entry_json(&record.result_type, &values));
        }
        let (result_type, display) = (record.result_type.clone(), record.display.clone());
        let payload = self.resolve(id, record)?;
        let numbers = |field: &str| -> Option<stats::Numbers<'_>> {
            match payload.field(field)? {
                crate::model::FieldValue::Array(a) => {
                    Some((a.shape.clone(), a.values.as_slice().into()))
                }
                crate::model::FieldValue::Json(_) => None,
            }
        };
        let values = stats::compute(&result_type, &numbers, &display);
        Ok(stats::entry_json(&result_type, &values))
    }

    /// Adds the entries (from [`Self::result_stats`]) of results that are the run's and have none in its file
    /// yet, under the run's lock; the file is not rewritten when there is nothing to add.
    pub fn record_stats(&self, id: RunId, entries: Vec<(ResultId, Value)>) -> Result<()> {
        let _lock = self.lock_run(id)?;
        let mut run = self.read_run(id)?;
        let mut added = false;
        for (result, entry) in entries {
            if run.results.contains(&result) && run.stats_of(result).is_none() {
                run.stats.insert(result.to_string(), entry);
                added = true;
            }
        }
        if added {
            self.write_json(&Self::rel_run(id), &run)?;
        }
        Ok(())
    }

    /// Deletes a run, its results and their array files. The run file goes first, so the run leaves the list
    /// at once; a run whose file is unreadable is still deleted.
    pub fn delete_run(&self, id: RunId) -> Result<()> {
        let _lock = self.lock_run(id)?;
        let result_ids = match self.read_run(id) {
            Ok(run) => run.results,
            Err(Error::RunNotFound(_)) => return Err(Error::RunNotFound(id)),
            Err(_) => self.result_ids_of_run(id),
        };
        let io = |path: PathBuf| move |source| Error::Io { path, source };
        remove_if_exists(&self.run_path(id)).map_err(io(Self::rel_run(id)))?;
        for rid in result_ids {
            self.delete_result_files(rid)?;
            remove_if_exists(&self.result_path(rid)).map_err(io(Self::rel_result(rid)))?;
        }
        let _ = remove_if_exists(&self.root.join(format!(".locks/{id}.lock")));
        Ok(())
    }

    /// Results that name `run_id`, found by reading every result file: only for runs whose own file is damaged.
    fn result_ids_of_run(&self, run_id: RunId) -> Vec<ResultId> {
        let Ok(entries) = std::fs::read_dir(self.root.join("results")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let id = name.strip_suffix(".json")?.parse().ok().map(ResultId)?;
                let record = self.read_result(id).ok()?;
                (record.run_id == run_id).then_some(id)
            })
            .collect()
    }

    fn delete_result_files(&self, id: ResultId) -> Result<()> {
        let prefix = format!("{id}_");
        let dir = self.root.join("files");
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            path: "files".into(),
            source,
        })?;
        for entry in entries.filter_map(|e| e.ok()) {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                remove_if_exists(&entry.path()).map_err(|source| Error::Io {
                    path: PathBuf::from("files").join(entry.file_name()),
                    source,
                })?;
            }
        }
        Ok(())
    }
}

fn check_field_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidData(format!(
            "field name {name:?}: expected 1 to 128 letters, digits, '_', '-' or '.', not starting with '.'"
        )))
    }
}
