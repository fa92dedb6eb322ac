//! Reading the storage: runs, their list rows and details, and results with their arrays resolved. An
//! unreadable file becomes a `problem` on its own row, never an error for the whole listing.

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::npy;
use super::npy_header::{NpyError, NpyHeader};
use super::write::JOURNAL;
use super::{
    format, inline_shape, json as storage_json, AsgardStorage, Error, NpyRef, Place, Result,
    ResultRecord, RunRecord, Stamp,
};
use crate::model::summary::{ResultStats, STATISTICS};
use crate::model::{
    FieldValue, GrowthState, NumArray, ResultId, ResultPayload, ResultSummary, ResultType,
    RunDetail, RunId, RunSummary, MAX_NOTE_CHARS, MAX_TAGS, MAX_TAG_CHARS,
};

impl AsgardStorage {
    /// Reads `runs/{id}.json`.
    pub fn read_run(&self, id: RunId) -> Result<RunRecord> {
        self.read_run_stamped(id).map(|(run, _)| run)
    }

    /// [`Self::read_run`], with the version read: the run file's, and its result entries' when it has some.
    ///
    /// A run's results are those its file lists, then those with an entry `runs/{id}/{time}-{result}` that the
    /// file does not list, in the entries' order: a directory's writers list each result in the run file, a
    /// bucket's writers (which never rewrite a file another writer may be changing) add an entry instead.
    pub fn read_run_stamped(&self, id: RunId) -> Result<(RunRecord, Option<Stamp>)> {
        self.read_run_listed(id, None)
    }

    /// [`Self::read_run_stamped`], with the run's result entries as a listing just gave them (see
    /// [`Self::list_runs_stamped`]), so that they are not listed again.
    pub fn read_run_listed(
        &self,
        id: RunId,
        entries: Option<&[String]>,
    ) -> Result<(RunRecord, Option<Stamp>)> {
        let rel = Self::rel_run(id);
        let (mut run, stamp): (RunRecord, _) = self
            .read_json_stamped(&rel)?
            .ok_or(Error::RunNotFound(id))?;
        if run.id != id {
            return Err(Error::Corrupt {
                path: rel,
                message: format!("expected id {id} (the file name), found {}", run.id),
            });
        }
        let entries = match entries {
            Some(entries) => entries.to_vec(),
            None => {
                let mut entries = self.list_names(&format!("runs/{id}"))?;
                entries.sort();
                entries
            }
        };
        let stamp = stamp.map(|s| s.with_entries(&entries));
        for result in entries.iter().filter_map(|e| result_of_entry(e)) {
            if !run.results.contains(&result) {
                run.results.push(result);
            }
        }
        Ok((run, stamp))
    }

    /// The ids of every `runs/*.json`, in no particular order.
    pub fn list_run_ids(&self) -> Result<Vec<RunId>> {
        Ok(self
            .list_runs_stamped()?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    /// The runs announced in a bucket's journal at or after `since` (by their writers' clocks), with the key of
    /// each announcement, in key order (which is time order); none for a directory, which has no journal. An
    /// announcement of a chunk says which ([`chunk_of_announcement`]).
    pub fn journal_since(&self, since: std::time::SystemTime) -> Result<Vec<(String, RunId)>> {
        let Place::Bucket(bucket) = &self.place else {
            return Ok(Vec::new());
        };
        // Listed from just before the first key of that microsecond (`start-after` is exclusive).
        let offset = journal_key(
            since
                .checked_sub(std::time::Duration::from_micros(1))
                .unwrap_or(since),
        );
        Ok(bucket
            .list(&format!("{JOURNAL}/"), Some(&offset))?
            .into_iter()
            .filter_map(|(rel, _)| {
                let name = rel.strip_prefix(JOURNAL)?.strip_prefix('/')?;
                let run = name.get(17..53)?.parse().ok()?;
                Some((rel, run))
            })
            .collect())
    }

    /// Every run's id, with what one listing says of it where one listing says it all (a bucket's: its run
    /// files and result entries in one pass); `None` where it does not (a directory's).
    pub fn list_runs_stamped(&self) -> Result<Vec<(RunId, Option<Listed>)>> {
        let Place::Bucket(bucket) = &self.place else {
            return Ok(self
                .list_names("runs")?
                .iter()
                .filter_map(|name| run_id_from_file_name(name))
                .map(|id| (id, None))
                .collect());
        };
        // In key order, each run's file comes right before its entries: `runs/{id}.json` < `runs/{id}/…`.
        let mut runs: Vec<(RunId, Option<Listed>)> = Vec::new();
        let mut entries: Vec<String> = Vec::new();
        let mut current: Option<(RunId, Stamp)> = None;
        let mut finish = |current: Option<(RunId, Stamp)>, entries: &mut Vec<String>| {
            if let Some((id, stamp)) = current {
                let entries = std::mem::take(entries);
                let stamp = stamp.with_entries(&entries);
                runs.push((id, Some(Listed { stamp, entries })));
            }
            entries.clear();
        };
        for (rel, meta) in bucket.list("runs/", None)? {
            let name = &rel["runs/".len()..];
            if let Some((dir, entry)) = name.split_once('/') {
                if current.is_some_and(|(id, _)| id.to_string() == dir) && !entry.contains('/') {
                    entries.push(entry.to_owned());
                }
            } else if let Some(id) = run_id_from_file_name(name) {
                finish(current.take(), &mut entries);
                current = Some((id, super::bucket::stamp_of(&meta)));
            }
        }
        finish(current, &mut entries);
        Ok(runs)
    }

    /// The list row of a run; `None` when its file does not exist. An unreadable file gives a row that says
    /// what is wrong, so that one bad file never hides the others.
    pub fn run_summary(&self, id: RunId) -> Option<RunSummary> {
        match self.read_run(id) {
            Ok(run) => Some(summarize(&run)),
            Err(Error::RunNotFound(_)) => None,
            Err(e) => Some(RunSummary {
                problem: Some(e.to_string()).inspect(|p| {
                    super::report_problem(p);
                }),
                id,
                name: id.to_string(),
                timestamp: self
                    .stamp(&Self::rel_run(id))
                    .and_then(|s| s.modified)
                    .map(rfc3339)
                    .unwrap_or_default(),
                equation: None,
                circuit: None,
                status: None,
                result_count: 0,
                tags: Vec::new(),
                note: None,
                starred: false,
                progress: None,
            }),
        }
    }

    /// Every run's list row, newest first.
    pub fn list_runs(&self) -> Result<Vec<RunSummary>> {
        let mut runs: Vec<RunSummary> = self
            .list_run_ids()?
            .into_iter()
            .filter_map(|id| self.run_summary(id))
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(timestamp_key(&r.timestamp)));
        Ok(runs)
    }

    /// Reads `results/{id}.json` without loading its arrays.
    pub fn read_result(&self, id: ResultId) -> Result<ResultRecord> {
        self.read_json(&Self::rel_result(id))?
            .ok_or(Error::ResultNotFound(id))
    }

    /// A run with the layout of each of its results (shapes, types), but no array data.
    pub fn run_detail(&self, id: RunId) -> Result<RunDetail> {
        Ok(self.detail_of(&self.read_run(id)?))
    }

    /// [`Self::run_detail`] of a run file already read (its results' files are read here).
    pub fn detail_of(&self, run: &RunRecord) -> RunDetail {
        let results = run
            .results
            .iter()
            .map(|&rid| {
                let entry = run.stats_of(rid).and_then(super::stats::from_entry);
                let mut summary = self.result_summary(rid, entry);
                // Left open by a writer whose run has ended: it grows no more.
                if let Some(growing) = &mut summary.growing {
                    growing.open &= run.status == crate::model::RunStatus::Running;
                }
                summary
            })
            .collect();
        let mut summary = summarize(run);
        summary.circuit.clone_from(&run.circuit);
        RunDetail {
            summary,
            // For people to read: non-finite numbers as the words Python writes.
            metadata_json: String::from_utf8(storage_json::to_text(
                &run.metadata,
                storage_json::NonFinite::Literal,
                false,
            ))
            .expect("JSON text is UTF-8"),
            results,
        }
    }

    /// What the run page lays a result out with: its fields with their shapes and types (from the `.npy`
    /// headers, not only from what the result file claims), and the one problem that keeps it from being drawn
    /// — a damaged, missing or unreadable array, or shapes that do not fit its type — found here, on the
    /// server, so that the page shows it the same way wherever it is rendered.
    /// `stats` are the result's statistics from its run file, if it has them there (else its own file's).
    fn result_summary(&self, id: ResultId, stats: Option<ResultStats>) -> ResultSummary {
        let record = match self.read_result(id) {
            Ok(record) => record,
            Err(e) => {
                return ResultSummary {
                    id,
                    result_type: ResultType::Other(String::new()),
                    timestamp: String::new(),
                    title: None,
                    fields: Vec::new(),
                    problem: Some(e.to_string()).inspect(|p| {
                        super::report_problem(p);
                    }),
                    stats: Vec::new(),
                    growing: None,
                }
            }
        };
        let mut problem = None;
        let mut fields = Vec::with_capacity(record.data.len());
        // A growing result's chunks: their fields' shapes come after those of the file.
        let growth = record.growing.as_ref().map(|growing| {
            let rows = self.row_shapes(id);
            let state = GrowthState {
                open: growing.open,
                chunks: rows.as_ref().map_or(0, |r| r.next),
                rows: rows.as_ref().map_or(0, |r| r.rows()),
            };
            (state, rows)
        });
        for (name, value) in &record.data {
            let mut info = format::field_info(name, value);
            if let Some(reference) = NpyRef::from_value(value) {
                match self
                    .open_npy_ref(id, name, reference)
                    .and_then(|(rel, file)| read_npy_header(rel, name, file))
                {
                    Ok(header) => {
                        info.shape = format::wire_shape(&header.shape);
                        info.dtype = header.descr;
                    }
                    Err(e) => {
                        problem.get_or_insert(e.to_string());
                    }
                }
            }
            fields.push(info);
        }
        match &growth {
            Some((_, Ok(rows))) => {
                for (name, shape) in &rows.fields {
                    match fields.iter_mut().find(|f| f.name == *name) {
                        Some(info) => match info.shape.first_mut() {
                            Some(first) => *first += shape.first().copied().unwrap_or(0) as u64,
                            None => info.shape = format::wire_shape(shape),
                        },
                        None => fields.push(crate::model::FieldInfo {
                            name: name.clone(),
                            shape: format::wire_shape(shape),
                            dtype: "<f8".to_owned(),
                            storage: crate::model::FieldStorage::Inline,
                        }),
                    }
                }
            }
            Some((_, Err(e))) => {
                problem.get_or_insert(e.to_string());
            }
            None => {}
        }
        // An open result needs to fit its type only once it has rows.
        let waiting = growth.as_ref().is_some_and(|(state, _)| state.rows == 0);
        if problem.is_none() && !waiting {
            let shape_of = |name: &str| {
                fields
                    .iter()
                    .find(|f| f.name == name)
                    .map(|f| f.shape.iter().map(|&d| d as usize).collect())
            };
            problem = format::validate(&record.result_type, &shape_of)
                .err()
                .map(|m| format!("results/{id}.json does not fit its type: {m}"));
        }
        if let Some(p) = &problem {
            super::report_problem(p);
        }
        let mut stats = stats.map_or_else(|| super::stats::values_of(&record.stats), |s| s.values);
        stats.sort_by_key(|(name, _)| STATISTICS.iter().position(|s| s.name == *name));
        ResultSummary {
            stats: stats
                .into_iter()
                .map(|(name, v)| (name.to_owned(), v))
                .collect(),
            id,
            title: record
                .display
                .get("title")
                .and_then(Value::as_str)
                .map(str::to_owned),
            result_type: record.result_type,
            timestamp: record.timestamp,
            fields,
            problem,
            growing: growth.map(|(state, _)| state),
        }
    }

    /// A result with every array field read, whether inline or in a `.npy` file.
    pub fn get_result(&self, id: ResultId) -> Result<ResultPayload> {
        self.resolve(id, self.read_result(id)?)
    }

    /// `results/{id}.json`, already read, with every array field read. `id` is the file's name: the array
    /// files it may name are those of that id, whatever the file claims inside.
    pub(super) fn resolve(&self, id: ResultId, record: ResultRecord) -> Result<ResultPayload> {
        let mut fields = Vec::with_capacity(record.data.len());
        for (name, value) in &record.data {
            fields.push((name.clone(), self.read_field(id, name, value)?));
        }
        let mut payload = ResultPayload {
            id,
            run_id: record.run_id,
            result_type: record.result_type,
            timestamp: record.timestamp,
            display_json: record.display.to_string(),
            fields,
        };
        if record.growing.is_some() {
            let rows = self.read_rows(id, 0)?;
            self.grow(&mut payload, rows)?;
        }
        Ok(payload)
    }

    /// A growing result with every chunk's rows, and how many chunks it has.
    pub fn growing_payload(
        &self,
        id: ResultId,
        record: ResultRecord,
    ) -> Result<(ResultPayload, u64)> {
        let growing = record.growing.is_some();
        let mut payload = self.resolve(
            id,
            ResultRecord {
                growing: None,
                ..record
            },
        )?;
        if !growing {
            return Ok((payload, 0));
        }
        let rows = self.read_rows(id, 0)?;
        let chunks = rows.next;
        self.grow(&mut payload, rows)?;
        Ok((payload, chunks))
    }

    /// One data field of result `id` (of a result file or of a chunk): numbers, inline or in an array file of
    /// the result, as an array; anything else as JSON text.
    pub(super) fn read_field(&self, id: ResultId, name: &str, value: &Value) -> Result<FieldValue> {
        Ok(match NpyRef::from_value(value) {
            Some(reference) => FieldValue::Array(self.read_npy_ref(id, name, reference)?),
            None => match inline_shape(value) {
                Some((shape, true)) => {
                    let mut values = Vec::new();
                    format::flatten_numbers(value, &mut values);
                    FieldValue::Array(NumArray {
                        shape,
                        dtype: "<f8".to_owned(),
                        values,
                    })
                }
                _ => FieldValue::Json(value.to_string()),
            },
        })
    }

    fn read_npy_ref(
        &self,
        id: ResultId,
        field: &str,
        reference: std::result::Result<NpyRef, String>,
    ) -> Result<NumArray> {
        let (rel, file) = self.open_npy_ref(id, field, reference)?;
        npy::read_as_f64(file).map_err(|e| npy_error(rel, field, e))
    }

    /// Opens the array file a field refers to, if the reference is sound and names a file of this result.
    pub(super) fn open_npy_ref(
        &self,
        id: ResultId,
        field: &str,
        reference: std::result::Result<NpyRef, String>,
    ) -> Result<(PathBuf, std::fs::File)> {
        let corrupt = |message: String| Error::Corrupt {
            path: Self::rel_result(id),
            message,
        };
        let reference = reference.map_err(|e| corrupt(format!("field `{field}`: {e}")))?;
        if !reference.belongs_to(id) {
            return Err(corrupt(format!(
                "field `{field}`: expected a file of this result in files/ ({id}_….npy), found {:?}",
                reference.file
            )));
        }
        let rel = PathBuf::from("files").join(&reference.file);
        let file = self.open_file(&rel)?.ok_or_else(|| {
            corrupt(format!(
                "field `{field}`: files/{} is missing",
                reference.file
            ))
        })?;
        Ok((rel, file))
    }

    /// The original `.npy` file of one field: its file name and bytes.
    pub fn read_array_file(&self, id: ResultId, field: &str) -> Result<(String, Vec<u8>)> {
        let record = self.read_result(id)?;
        let missing = || Error::NoArrayFile {
            result: id,
            field: field.to_owned(),
        };
        let reference = record
            .data
            .get(field)
            .and_then(NpyRef::from_value)
            .ok_or_else(missing)?;
        let reference = reference.map_err(|message| Error::Corrupt {
            path: Self::rel_result(id),
            message,
        })?;
        if !reference.belongs_to(id) {
            return Err(missing());
        }
        let rel = PathBuf::from("files").join(&reference.file);
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut self.open_file(&rel)?.ok_or_else(missing)?, &mut bytes)
            .map_err(|source| Error::Io { path: rel, source })?;
        Ok((reference.file, bytes))
    }

    /// A run with all its results, arrays resolved.
    pub fn get_run(&self, id: RunId) -> Result<(RunRecord, Vec<Result<ResultPayload>>)> {
        let run = self.read_run(id)?;
        let results = run
            .results
            .iter()
            .map(|&rid| self.get_result(rid))
            .collect();
        Ok((run, results))
    }
}

/// The checked header of an array file that a plot can draw: a dimension beyond [`MAX_DIMENSION`] is refused.
fn read_npy_header(rel: PathBuf, field: &str, mut file: std::fs::File) -> Result<NpyHeader> {
    let header = npy::read_header(&mut file).map_err(|e| npy_error(rel.clone(), field, e))?;
    match header.shape.iter().find(|&&d| d > MAX_DIMENSION) {
        Some(d) => Err(npy_error(
            rel,
            field,
            NpyError::Unsupported(format!(
                "a dimension of {d} (shape {:?}) is more than a plot can address ({MAX_DIMENSION})",
                header.shape
            )),
        )),
        None => Ok(header),
    }
}

pub(super) fn npy_error(path: PathBuf, field: &str, e: NpyError) -> Error {
    match e {
        NpyError::Damaged(message) => Error::Corrupt { path, message },
        NpyError::Unsupported(message) => Error::Unsupported {
            path,
            field: field.to_owned(),
            message,
        },
    }
}

/// `runs/{uuid}.json` → the run id; anything else (temporary files, stray names) → `None`.
pub fn run_id_from_file_name(name: &str) -> Option<RunId> {
    let stem = name.strip_suffix(".json")?;
    let id: RunId = stem.parse().ok()?;
    (id.to_string() == stem).then_some(id)
}

/// A run as one listing of a bucket shows it: the version of its file and entries together (what
/// [`AsgardStorage::read_run_stamped`] would find), and its result entries, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub stamp: Stamp,
    pub entries: Vec<String>,
}

/// The list row of a readable run.
pub fn summarize(run: &RunRecord) -> RunSummary {
    let mut problems = Vec::new();
    let mut clip = |what: &str, text: &str, max: usize, report: bool| -> String {
        match text.char_indices().nth(max) {
            None => text.to_owned(),
            Some((end, _)) => {
                if report {
                    problems.push(format!(
                        "the {what} is {} characters long; shown cut to {max}",
                        text.chars().count()
                    ));
                }
                format!("{}…", &text[..end])
            }
        }
    };
    let name = clip("name", &run.name, MAX_NAME_CHARS, true);
    let equation = run
        .equation
        .as_deref()
        .map(|e| clip("equation", e, MAX_EQUATION_CHARS, true));
    // The list shows the circuit's beginning; the run page gets all of it (`run_detail`).
    let circuit = run
        .circuit
        .as_deref()
        .map(|c| clip("circuit", c, LIST_CIRCUIT_CHARS, false));
    // Another writer may have written more or longer tags than ours allow: the list shows what fits.
    let tags = run
        .tags
        .iter()
        .take(MAX_TAGS)
        .map(|t| clip("tag", t, MAX_TAG_CHARS, true))
        .collect();
    let note = (!run.note.is_empty()).then(|| clip("note", &run.note, MAX_NOTE_CHARS, true));
    RunSummary {
        id: run.id,
        name,
        timestamp: run.timestamp.clone(),
        equation,
        circuit,
        status: Some(run.status),
        result_count: run.results.len(),
        tags,
        note,
        starred: run.starred,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
        progress: run.progress.clone(),
    }
}

/// The largest dimension of an array that is drawn: the browser's indices have 32 bits. (Only an array with
/// no elements, such as a forged `(0, 10¹²)`, or a file over 4 GB can have a larger one.)
pub const MAX_DIMENSION: usize = u32::MAX as usize;

/// Longer names and equations are cut (with a `problem` saying so): a run file with a 10 MB name must not make
/// every run list 10 MB.
pub const MAX_NAME_CHARS: usize = 500;
pub const MAX_EQUATION_CHARS: usize = 10_000;
/// How much of a compiled circuit a list row carries.
pub const LIST_CIRCUIT_CHARS: usize = 2_000;

/// A sort key for RFC 3339 timestamps written by any writer (`Z` or offsets, any precision); unparseable
/// timestamps sort last.
pub fn timestamp_key(timestamp: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(timestamp)
        .map(|t| t.timestamp_micros())
        .unwrap_or(i64::MIN)
}

fn rfc3339(time: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The growing result and chunk an announcement (a journal key) tells of, if it tells of one:
/// `…-{nonce}-chunk-{result}-{seq}`.
pub fn chunk_of_announcement(key: &str) -> Option<(ResultId, u64)> {
    let (_, rest) = key.rsplit_once("-chunk-")?;
    let (result, seq) = rest.rsplit_once('-')?;
    if seq.len() < 8 || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((result.parse().ok()?, seq.parse().ok()?))
}

/// The key of the journal's announcements made at `time` sort right after this one.
pub fn journal_key(time: std::time::SystemTime) -> String {
    let micros = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    format!("{JOURNAL}/{micros:016}")
}

/// The result a run's result entry names (`{micros}-{result id}`, see [`AsgardStorage::read_run_stamped`]).
pub(super) fn result_of_entry(entry: &str) -> Option<ResultId> {
    let (_, id) = entry.split_once('-')?;
    let result: ResultId = id.parse().ok()?;
    (result.to_string() == id).then_some(result)
}

/// A resolved result as the REST API returns it: the stored record with every array inline. Non-finite
/// numbers are markers: write it with [`storage_json::to_text`].
pub fn payload_to_json(payload: &ResultPayload) -> Value {
    let data: Map<String, Value> = payload
        .fields
        .iter()
        .map(|(name, field)| {
            let value = match field {
                FieldValue::Array(a) => format::nest_values(&a.shape, &a.values),
                FieldValue::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            };
            (name.clone(), value)
        })
        .collect();
    json!({
        "id": payload.id,
        "run_id": payload.run_id,
        "result_type": payload.result_type,
        "timestamp": payload.timestamp,
        "data": data,
        "display": serde_json::from_str::<Value>(&payload.display_json).unwrap_or(Value::Null),
    })
}
