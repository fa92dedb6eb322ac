//! `GET /api/compare?runs=ID,ID,…[&baseline=ID]`: several runs side by side, with what makes them differ
//! (`model::compare::Comparison`, computed by `crate::compare`), and `GET /api/compare/csv`, one result of
//! every compared run as one table.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Deserialize;

use super::AppState;
use crate::compare::{compare, Compared};
use crate::error::AppError;
use crate::model::compare::Comparison;
use crate::model::{FieldInfo, ResultId, ResultType, RunId};
use crate::storage::AsgardStorage;

/// The most runs one comparison takes (each is read from disk on every request).
pub const MAX_COMPARED: usize = 1_000;

/// `runs=ID,ID,…` and `baseline=ID`, as the address of `/api/compare` and of the compare page give them.
#[derive(Deserialize)]
pub struct CompareQuery {
    pub runs: Option<String>,
    pub baseline: Option<String>,
}

impl CompareQuery {
    /// The runs asked for, each once, in order, and the baseline's place among them (the first by default).
    fn parse(&self) -> Result<(Vec<RunId>, usize), AppError> {
        let mut ids: Vec<RunId> = Vec::new();
        for part in self.runs.as_deref().unwrap_or("").split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let id: RunId = part
                .parse()
                .map_err(|e| AppError::BadRequest(format!("runs: {e}")))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.len() < 2 {
            return Err(AppError::BadRequest(format!(
                "expected at least two different run ids, as runs=ID,ID,…; found {}",
                ids.len()
            )));
        }
        if ids.len() > MAX_COMPARED {
            return Err(AppError::BadRequest(format!(
                "expected at most {MAX_COMPARED} runs in one comparison; found {}",
                ids.len()
            )));
        }
        let baseline = match self.baseline.as_deref().map(str::trim) {
            None | Some("") => 0,
            Some(text) => {
                let id: RunId = text
                    .parse()
                    .map_err(|e| AppError::BadRequest(format!("baseline: {e}")))?;
                ids.iter().position(|&r| r == id).ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "baseline: expected one of the runs compared, found {id}"
                    ))
                })?
            }
        };
        Ok((ids, baseline))
    }
}

/// The comparison of the runs asked for; 404 when one of them does not exist.
pub async fn get_compare(
    State(state): State<AppState>,
    Query(q): Query<CompareQuery>,
) -> Result<Json<Comparison>, AppError> {
    Ok(Json(comparison(state.index.storage().clone(), q).await?))
}

/// The comparison `q` asks for (`/api/compare` and the compare page's server function), read off the async
/// workers.
pub async fn comparison(storage: AsgardStorage, q: CompareQuery) -> Result<Comparison, AppError> {
    let (ids, baseline) = q.parse()?;
    tokio::task::spawn_blocking(move || -> Result<Comparison, AppError> {
        let mut runs = Vec::with_capacity(ids.len());
        for id in ids {
            // The record's own metadata: the detail's `metadata_json` is text for people, with bare `NaN`s.
            let run = storage.read_run(id)?;
            runs.push((storage.detail_of(&run), run.metadata));
        }
        let compared: Vec<Compared> = runs
            .iter()
            .map(|(detail, metadata)| Compared { detail, metadata })
            .collect();
        Ok(compare(&compared, baseline))
    })
    .await
    .map_err(|_| AppError::Internal)?
}

/// `/api/compare/csv?runs=…&type=…&title=…`: which of the compared runs' results to export.
#[derive(Deserialize)]
pub struct CsvQuery {
    runs: Option<String>,
    #[serde(rename = "type")]
    result_type: Option<String>,
    title: Option<String>,
}

/// How much CSV text is handed to the connection at a time.
const CSV_CHUNK: usize = 1 << 20;

/// `GET /api/compare/csv?runs=ID,ID,…&type=Solution1D[&title=…]`: every compared run's result of that type
/// and title, full data, in one table — `run,label,` then the result's columns (their union across the runs; a
/// run's missing column is empty; an ensemble's per-time mean and confidence band over every path). Streamed run by run as the arrays are read, so memory holds about one
/// result's text whatever the runs' sizes; a client that goes away stops the reading.
pub async fn compare_csv(
    State(state): State<AppState>,
    Query(q): Query<CsvQuery>,
) -> Result<Response, AppError> {
    let Some(result_type) = q.result_type.filter(|t| !t.is_empty()) else {
        return Err(AppError::BadRequest(
            "expected type=, the type of the results to export (e.g. type=Solution1D)".into(),
        ));
    };
    let title = q.title.filter(|t| !t.is_empty());
    let storage = state.index.storage().clone();
    let c = comparison(
        storage.clone(),
        CompareQuery {
            runs: q.runs,
            baseline: None,
        },
    )
    .await?;
    let Some(matched) = c
        .results
        .iter()
        .find(|m| m.result_type.as_str() == result_type && m.title == title)
    else {
        let shared: Vec<String> = c
            .results
            .iter()
            .map(|m| {
                format!(
                    "{} {}",
                    m.result_type.as_str(),
                    m.title.as_deref().unwrap_or("")
                )
            })
            .collect();
        return Err(AppError::NotFound(format!(
            "none of these runs has a {result_type} titled {:?}; they have: {}",
            title.unwrap_or_default(),
            shared.join("; ")
        )));
    };
    let results: Vec<(String, ResultId)> = c
        .runs
        .iter()
        .zip(&matched.results)
        .filter_map(|(run, r)| {
            Some((
                format!("{},{},", run.id, crate::export::cell(&run.label)),
                (*r)?,
            ))
        })
        .collect();
    // An ensemble's paths are a matrix: its table is what the overlay draws, the per-time statistics over every
    // path (`export::ensemble_statistics`).
    let ensemble = result_type == ResultType::StochasticEnsemble.as_str();
    // The header first: the columns of every run's result, from the records alone.
    let names = if ensemble {
        crate::export::ENSEMBLE_COLUMNS.map(String::from).to_vec()
    } else {
        let storage = storage.clone();
        let ids: Vec<ResultId> = results.iter().map(|(_, id)| *id).collect();
        tokio::task::spawn_blocking(move || -> Result<Vec<String>, AppError> {
            let mut names: Vec<String> = Vec::new();
            for id in ids {
                let record = storage.read_result(id)?;
                let fields: Vec<FieldInfo> = record
                    .data
                    .iter()
                    .map(|(name, value)| crate::storage::field_info(name, value))
                    .collect();
                for name in crate::export::column_names(&fields) {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
            }
            Ok(names)
        })
        .await
        .map_err(|_| AppError::Internal)??
    };
    if names.is_empty() {
        return Err(AppError::BadRequest(format!(
            "these {result_type} results have no 1-D numeric fields to put side by side; each run's fields \
             download from its run page"
        )));
    }
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    tokio::task::spawn_blocking(move || {
        let mut text = format!("run,label,{}\n", names.join(","));
        for (lead, id) in results {
            let payload = storage.get_result(id).map_err(|e| e.to_string());
            let payload = match payload.and_then(|p| {
                if ensemble {
                    crate::export::ensemble_statistics(&p)
                } else {
                    Ok(p)
                }
            }) {
                Ok(p) => p,
                Err(e) => {
                    // The table would be incomplete: end the download as failed rather than short.
                    tracing::warn!("compare CSV: {e}");
                    let _ = sender.blocking_send(Err(std::io::Error::other(e.to_string())));
                    return;
                }
            };
            crate::export::rows_under(&payload, &names, &lead, &mut text);
            for chunk in text.as_bytes().chunks(CSV_CHUNK) {
                if sender
                    .blocking_send(Ok(Bytes::copy_from_slice(chunk)))
                    .is_err()
                {
                    return; // the client went away
                }
            }
            text.clear();
        }
    });
    let file_name = format!("compare-{}.csv", result_type.replace(['"', '\\', '/'], "_"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver)),
    )
        .into_response())
}
