//! Writing to the storage: runs, results, status and deletion, each file atomic and each run change locked.

use std::io;
use std::path::PathBuf;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::bucket::{Put, Written};
use super::fs::remove_if_exists;
use super::{
    format, inline_shape, now_rfc3339, stats, AsgardStorage, DataValue, Error, NpyArray, Place,
    Result, ResultRecord, RunRecord,
};
use crate::model::{ResultId, ResultType, RunId, RunPatch, RunStatus};

/// Where a bucket's change announcements are (see [`AsgardStorage::announce`]).
pub const JOURNAL: &str = "journal";

/// How many times a change of a run file in a bucket is tried when other writers keep changing it.
const CAS_ATTEMPTS: u32 = 20;

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
            progress: None,
        };
        self.write_bytes(&Self::rel_run(run.id), Self::json_bytes(&run), Put::Create)?;
        self.announce(run.id)?;
        Ok(run)
    }

    /// Reads, changes and rewrites a run's file.
    pub(super) fn update_run(
        &self,
        id: RunId,
        mut change: impl FnMut(&mut RunRecord),
    ) -> Result<()> {
        self.change_run(id, |run| {
            change(run);
            Ok(true)
        })
        .map(drop)
    }

    /// Reads a run's file, changes it and writes it back if `change` says so (`Ok(true)`), so that no other
    /// writer's change is lost: in a directory under the run's lock; in a bucket by compare-and-swap, reading
    /// and changing again (so `change` may run more than once) when another writer came first. Returns the run
    /// as its file now holds it.
    fn change_run(
        &self,
        id: RunId,
        mut change: impl FnMut(&mut RunRecord) -> Result<bool>,
    ) -> Result<RunRecord> {
        let rel = Self::rel_run(id);
        let Place::Bucket(bucket) = &self.place else {
            let _lock = self.lock_run(id)?;
            let mut run = self.read_run(id)?;
            if change(&mut run)? {
                self.write_json(&rel, &run)?;
            }
            return Ok(run);
        };
        let key = rel.to_string_lossy();
        for attempt in 0..CAS_ATTEMPTS {
            // The file as it is (without the result entries that `read_run` adds): only its own content is
            // written back.
            let (bytes, meta) = bucket
                .get(&key, super::MAX_RECORD_BYTES)?
                .ok_or(Error::RunNotFound(id))?;
            let mut run: RunRecord =
                super::json::from_slice(&bytes).map_err(|e| Error::Corrupt {
                    path: rel.clone(),
                    message: e.to_string(),
                })?;
            if !change(&mut run)? {
                return Ok(run);
            }
            let version = super::bucket::version_of(&meta);
            match bucket.put(&key, Self::json_bytes(&run), Put::Update(version))? {
                Written::Done => {
                    self.announce(id)?;
                    return Ok(run);
                }
                Written::Changed | Written::Exists => {
                    std::thread::sleep(super::bucket::backoff(attempt))
                }
            }
        }
        Err(Error::Io {
            path: rel,
            source: io::Error::other(format!(
                "another writer changed it at the same time, {CAS_ATTEMPTS} times in a row; not changed"
            )),
        })
    }

    /// In a bucket, tells monitors that a run changed: an empty object `journal/{micros}-{run}-{nonce}`,
    /// written after the change it announces, that a monitor finds with one listing from where it last looked
    /// (docs/object-storage.md). A directory's monitors watch its files instead.
    pub(super) fn announce(&self, run: RunId) -> Result<()> {
        self.announce_with(run, "")
    }

    /// [`Self::announce`] of chunk `seq` of the growing result `result` of `run`: the announcement's name ends
    /// in `-chunk-{result}-{seq}`, so that a monitor publishes the append without reading anything (older
    /// monitors read the key's run only, and read the run again).
    pub(super) fn announce_chunk(&self, run: RunId, result: ResultId, seq: u64) -> Result<()> {
        self.announce_with(run, &format!("-chunk-{result}-{seq:08}"))
    }

    fn announce_with(&self, run: RunId, suffix: &str) -> Result<()> {
        if !self.is_bucket() {
            return Ok(());
        }
        let micros = chrono::Utc::now().timestamp_micros().max(0);
        let nonce = Uuid::new_v4().as_u128() as u32;
        let rel = PathBuf::from(format!("{JOURNAL}/{micros:016}-{run}-{nonce:08x}{suffix}"));
        self.write_bytes(&rel, Vec::new(), Put::Create).map(drop)
    }

    /// Sets a run's status.
    pub fn set_status(&self, id: RunId, status: RunStatus) -> Result<()> {
        self.update_run(id, |run| run.status = status)
    }

    /// Says how far along the run is: `fraction` of the work done (0 to 1), and what it is doing. The run list
    /// shows it as a bar with the time left. A fraction outside 0…1 or not a number is refused.
    pub fn set_progress(&self, id: RunId, fraction: f64, message: &str) -> Result<()> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(Error::Invalid(format!(
                "progress: expected a fraction from 0 to 1, found {fraction}"
            )));
        }
        let message: String = message
            .chars()
            .take(crate::model::MAX_PROGRESS_CHARS)
            .collect();
        let at = now_rfc3339();
        self.update_run(id, |run| {
            run.progress = Some(crate::model::Progress {
                fraction,
                message: message.clone(),
                at: at.clone(),
            })
        })
    }

    /// Sets one key of a run's free-form metadata.
    pub fn set_metadata(&self, id: RunId, key: &str, value: Value) -> Result<()> {
        self.update_run(id, |run| {
            run.metadata.insert(key.to_owned(), value.clone());
        })
    }

    /// Changes a run's tags, note or star (see [`RunPatch`]) and returns the run as written.
    pub fn annotate_run(&self, id: RunId, patch: &RunPatch) -> Result<RunRecord> {
        self.change_run(id, |run| {
            patch
                .apply(&mut run.tags, &mut run.note, &mut run.starred)
                .map_err(Error::Invalid)?;
            Ok(true)
        })?;
        self.read_run(id)
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
        self.update_run(id, |run| run.metadata.extend(entries.clone()))
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
        self.store_result(run_id, result_type.into(), data, display, None)
    }

    /// [`Self::add_result`], or the opening of a growing result (`growing`: its fields so far are not checked
    /// against the type, which they need not fit until it is closed, and it has no statistics yet).
    pub(super) fn store_result(
        &self,
        run_id: RunId,
        result_type: ResultType,
        data: impl IntoIterator<Item = (String, DataValue)>,
        display: Value,
        growing: Option<super::growing::Growing>,
    ) -> Result<ResultId> {
        if self.stamp(&Self::rel_run(run_id)).is_none() {
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
        if growing.is_none() {
            format::validate(&result_type, &shape_of).map_err(Error::InvalidData)?;
        }
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
        let statistics = match growing {
            None => stats::compute(&result_type, &numbers, &display),
            Some(_) => Vec::new(),
        };

        let mut fields = Map::new();
        let mut written = Vec::new();
        // A write that fails (disk full, read-only storage) leaves nothing of this result behind: its earlier
        // files are removed, and the temporary file of the failed one is removed by `write_atomic`. Every file
        // is new (its name holds the new id): in a bucket, each is created only if there is none.
        let undo = |written: &[PathBuf]| {
            for rel in written {
                let _ = self.remove(rel);
            }
        };
        for (name, value) in prepared {
            let stored = match value {
                DataValue::Json(v) => v,
                DataValue::Array(a) => {
                    let file = format!("{id}_{name}.npy");
                    let rel = PathBuf::from("files").join(&file);
                    if let Err(e) = self.write_new(&rel, |w| a.write(w).map_err(io::Error::other)) {
                        undo(&written);
                        return Err(e);
                    }
                    written.push(rel);
                    json!({ "$npy": file, "shape": a.shape(), "dtype": a.dtype() })
                }
            };
            fields.insert(name, stored);
        }
        // A growing result has no statistics until it closes (the monitor computes those of its rows so far).
        let entry = growing
            .is_none()
            .then(|| stats::entry_json(&result_type, &statistics));
        let record = ResultRecord {
            id,
            run_id,
            result_type,
            timestamp: now_rfc3339(),
            data: fields,
            display,
            stats: stats::to_json(&statistics),
            growing,
        };
        let bytes = Self::json_bytes(&record);
        if let Err(e) = self.write_new(&Self::rel_result(id), |w| w.write_all(&bytes)) {
            undo(&written);
            return Err(e);
        }
        written.push(Self::rel_result(id));

        let added = if self.is_bucket() {
            // Listed by an entry of the run, never by rewriting the run's file: many writers may add results
            // to one run at once, and a bucket has no lock (docs/storage-format.md).
            let micros = chrono::Utc::now().timestamp_micros().max(0);
            let rel = PathBuf::from(format!("runs/{run_id}/{micros:016}-{id}"));
            self.write_new(&rel, |_| Ok(()))
                .and_then(|()| self.announce(run_id))
        } else {
            self.update_run(run_id, |run| {
                run.results.push(id);
                if let Some(entry) = &entry {
                    run.stats.insert(id.to_string(), entry.clone());
                }
            })
        };
        if let Err(e) = added {
            // The run went away (or is unreadable, or the disk is full) while we wrote: leave nothing behind.
            undo(&written);
            return Err(e);
        }
        Ok(id)
    }

    /// The statistics of a stored result: those its file holds, or else computed from its fields (a result
    /// written before statistics existed; a growing result, with the rows it has so far), as a run file's
    /// `stats` entry holds them.
    pub fn result_stats(&self, id: ResultId) -> Result<Value> {
        let record = self.read_result(id)?;
        if !record.stats.is_empty() {
            let values = stats::values_of(&record.stats);
            return Ok(stats::entry_json(&record.result_type, &values));
        }
        let (result_type, display) = (record.result_type.clone(), record.display.clone());
        let (payload, _) = self.growing_payload(id, record)?;
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

    /// Deletes a run, its results and their array files. The run file goes first, so the run leaves the list
    /// at once; a run whose file is unreadable is still deleted.
    pub fn delete_run(&self, id: RunId) -> Result<()> {
        let _lock = match self.place {
            Place::Dir { .. } => Some(self.lock_run(id)?),
            Place::Bucket(_) => None,
        };
        let result_ids = match self.read_run(id) {
            Ok(run) => run.results,
            Err(Error::RunNotFound(_)) => return Err(Error::RunNotFound(id)),
            Err(_) => self.result_ids_of_run(id),
        };
        self.remove(&Self::rel_run(id))?;
        for rid in result_ids {
            self.delete_result_files(rid)?;
            self.remove(&Self::rel_result(rid))?;
        }
        for entry in self.list_names(&format!("runs/{id}"))? {
            self.remove(&PathBuf::from(format!("runs/{id}/{entry}")))?;
        }
        if let Place::Dir { root, .. } = &self.place {
            let _ = std::fs::remove_dir(root.join(format!("runs/{id}")));
            let _ = remove_if_exists(&root.join(format!(".locks/{id}.lock")));
        }
        self.announce(id)
    }

    /// Results that name `run_id`, found by reading every result file: only for runs whose own file is damaged.
    fn result_ids_of_run(&self, run_id: RunId) -> Vec<ResultId> {
        let Ok(names) = self.list_names("results") else {
            return Vec::new();
        };
        names
            .iter()
            .filter_map(|name| {
                let id = name.strip_suffix(".json")?.parse().ok().map(ResultId)?;
                let record = self.read_result(id).ok()?;
                (record.run_id == run_id).then_some(id)
            })
            .collect()
    }

    fn delete_result_files(&self, id: ResultId) -> Result<()> {
        let prefix = format!("{id}_");
        for name in self.list_names("files")? {
            if name.starts_with(&prefix) {
                self.remove(&PathBuf::from("files").join(name))?;
            }
        }
        Ok(())
    }

    /// Writes a file that no one else writes (its name holds a new id): in a bucket, created only if there is
    /// none, so that nothing is ever overwritten.
    pub(super) fn write_new(
        &self,
        rel: &std::path::Path,
        write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
    ) -> Result<()> {
        match self.write_with(rel, Put::Create, write)? {
            Written::Done => Ok(()),
            Written::Exists | Written::Changed => Err(Error::Io {
                path: rel.into(),
                source: io::Error::new(io::ErrorKind::AlreadyExists, "already exists"),
            }),
        }
    }
}

pub(super) fn check_field_name(name: &str) -> Result<()> {
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
