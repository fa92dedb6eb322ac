//! The REST API: `/api/runs`, `/api/run`, `/api/result`. Errors are JSON `{"error": "..."}`.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::model::{ResultId, RunId};
use crate::server::AppState;
use crate::storage::payload_to_json;

#[derive(Deserialize)]
pub struct IdQuery {
    id: Option<String>,
    field: Option<String>,
}

impl IdQuery {
    /// The `id` parameter as a typed id; a path is never built from the raw text.
    fn parse<T: std::str::FromStr<Err = crate::model::InvalidId>>(&self) -> Result<T, AppError> {
        let raw = self
            .id
            .as_deref()
            .ok_or_else(|| AppError::BadRequest("missing query parameter `id`".into()))?;
        Ok(raw.parse()?)
    }
}

/// `GET /api/runs`: every run, newest first, from the in-memory index, encoded (and gzipped, for clients that
/// accept it) once per change.
pub async fn list_runs(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let listing = state.index.listing();
    let gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| coding.split(';').next().is_some_and(|c| c.trim() == "gzip"));
    let json = [
        (header::CONTENT_TYPE, "application/json"),
        (header::VARY, "accept-encoding"),
    ];
    if gzip {
        (json, [(header::CONTENT_ENCODING, "gzip")], listing.gzip).into_response()
    } else {
        (json, listing.json).into_response()
    }
}

/// `GET /api/run?id=`: the run with every result resolved.
pub async fn get_run(
    State(state): State<AppState>,
    Query(q): Query<IdQuery>,
) -> Result<Json<Value>, AppError> {
    let id: RunId = q.parse()?;
    let storage = state.index.storage().clone();
    let (run, results) = tokio::task::spawn_blocking(move || storage.get_run(id)).await??;
    let results: Vec<Value> = results
        .into_iter()
        .zip(&run.results)
        .map(|(result, rid)| match result {
            Ok(payload) => payload_to_json(&payload),
            Err(e) => json!({ "id": rid, "error": AppError::from(e).to_string() }),
        })
        .collect();
    let mut body = serde_json::to_value(&run).map_err(|_| AppError::Internal)?;
    body["result_count"] = json!(run.results.len());
    body["results"] = Value::Array(results);
    Ok(Json(body))
}

/// `DELETE /api/run?id=`: deletes the run, its results and their files.
pub async fn delete_run(
    State(state): State<AppState>,
    Query(q): Query<IdQuery>,
) -> Result<Json<Value>, AppError> {
    let id: RunId = q.parse()?;
    let index = state.index.clone();
    tokio::task::spawn_blocking(move || index.delete_run(id)).await??;
    Ok(Json(json!({ "deleted": id })))
}

/// `GET /api/result?id=`: one result with its arrays inline.
pub async fn get_result(
    State(state): State<AppState>,
    Query(q): Query<IdQuery>,
) -> Result<Json<Value>, AppError> {
    let id: ResultId = q.parse()?;
    let storage = state.index.storage().clone();
    let payload = tokio::task::spawn_blocking(move || storage.get_result(id)).await??;
    Ok(Json(payload_to_json(&payload)))
}

/// `GET /api/result/csv?id=[&field=]`: the full data as CSV — one field, or the 1-D fields side by side.
pub async fn result_csv(
    State(state): State<AppState>,
    Query(q): Query<IdQuery>,
) -> Result<Response, AppError> {
    let id: ResultId = q.parse()?;
    let storage = state.index.storage().clone();
    let payload = tokio::task::spawn_blocking(move || storage.get_result(id)).await??;
    let csv = match &q.field {
        Some(field) => crate::export::field_csv(&payload, field),
        None => crate::export::columns_csv(&payload),
    }
    .map_err(AppError::BadRequest)?;
    let name = format!(
        "{id}{}.csv",
        q.field
            .as_deref()
            .map(|f| format!("_{f}"))
            .unwrap_or_default()
    );
    Ok(download(&name, "text/csv; charset=utf-8", csv.into_bytes()))
}

/// `GET /api/result/npy?id=&field=`: the field's original `.npy` file.
pub async fn result_npy(
    State(state): State<AppState>,
    Query(q): Query<IdQuery>,
) -> Result<Response, AppError> {
    let id: ResultId = q.parse()?;
    let field = q
        .field
        .clone()
        .ok_or_else(|| AppError::BadRequest("missing query parameter `field`".into()))?;
    let storage = state.index.storage().clone();
    let (name, bytes) =
        tokio::task::spawn_blocking(move || storage.read_array_file(id, &field)).await??;
    Ok(download(&name, "application/octet-stream", bytes))
}

fn download(file_name: &str, content_type: &str, body: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file_name.replace(['"', '\\'], "_")
    );
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}
