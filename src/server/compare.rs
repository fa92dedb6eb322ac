//! `GET /api/compare?runs=ID,ID,…[&baseline=ID]`: several runs side by side, with what makes them differ
//! (`model::compare::Comparison`, computed by `crate::compare`).

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;

use super::AppState;
use crate::compare::{compare, Compared};
use crate::error::AppError;
use crate::model::compare::Comparison;
use crate::model::RunId;
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
