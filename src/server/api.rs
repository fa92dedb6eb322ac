//! The REST API: `/api/runs`, `/api/run`, `/api/result`. Errors are JSON `{"error": "..."}`.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::model::{ResultId, RunId, RunPatch, RunSummary, SavedView};
use crate::server::AppState;
use crate::storage::json::{to_text, NonFinite};
use crate::storage::payload_to_json;

#[derive(Deserialize)]
pub struct IdQuery {
    id: Option<String>,
    field: Option<String>,
    /// How NaN and infinities are written: `literal` (default), `string` or `null`.
    nonfinite: Option<String>,
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

    fn non_finite(&self) -> Result<NonFinite, AppError> {
        self.nonfinite
            .as_deref()
            .map_or(Ok(NonFinite::default()), NonFinite::parse)
            .map_err(AppError::BadRequest)
    }
}

/// A JSON body whose non-finite numbers are written as the client asked (`?nonfinite=`).
fn json_response(value: &Value, style: NonFinite) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        to_text(value, style, false),
    )
        .into_response()
}

/// The most runs one page of `GET /api/runs` holds.
pub const MAX_PAGE: usize = 10_000;

/// `?limit=&offset=&q=&sort=` of `GET /api/runs`, all optional.
#[derive(Deserialize)]
pub struct PageQuery {
    limit: Option<String>,
    offset: Option<String>,
    /// A query (docs/query.md).
    q: Option<String>,
    /// Sort keys: `created,-meta.dt`.
    sort: Option<String>,
}

/// A parsed `?q=&sort=`, and the same as URL parameters for the page links.
struct Filter {
    query: crate::query::Expr,
    sort: Vec<crate::query::SortKey>,
    params: String,
}

impl PageQuery {
    /// The query and sort, when either is given; a 400 naming the offending token when one cannot be read.
    fn filter(&self) -> Result<Option<Filter>, AppError> {
        let (q, sort) = (
            self.q.as_deref().unwrap_or(""),
            self.sort.as_deref().unwrap_or(""),
        );
        let Some((query, sort_keys)) = crate::query::request(q, sort)? else {
            return Ok(None);
        };
        let params = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .append_pair("sort", sort)
            .finish();
        Ok(Some(Filter {
            query,
            sort: sort_keys,
            params,
        }))
    }

    /// `(offset, limit)`, `limit` `None` for every run; a clear message for anything but whole numbers in range.
    fn parse(&self) -> Result<(usize, Option<usize>), AppError> {
        let limit = self
            .limit
            .as_deref()
            .map(|raw| {
                raw.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "`limit` must be a whole number from 1 to {MAX_PAGE}, got `{raw}`"
                        ))
                    })
            })
            .transpose()?;
        let offset = self
            .offset
            .as_deref()
            .map(|raw| {
                raw.parse::<usize>().map_err(|_| {
                    AppError::BadRequest(format!(
                        "`offset` must be a whole number, 0 or more, got `{raw}`"
                    ))
                })
            })
            .transpose()?
            .unwrap_or(0);
        Ok((offset, limit))
    }
}

/// A response body held whole: one buffer, or pieces sent one after the other (the whole run listing, whose
/// groups are kept between listings and never joined).
enum Whole {
    One(Bytes),
    Pieces(crate::index::ListingBody),
}

impl Whole {
    fn len(&self) -> usize {
        match self {
            Self::One(bytes) => bytes.len(),
            Self::Pieces(body) => body.len(),
        }
    }

    fn body(self) -> axum::body::Body {
        match self {
            Self::One(bytes) => axum::body::Body::from(bytes),
            Self::Pieces(body) => {
                let pieces: Vec<Result<Bytes, std::convert::Infallible>> =
                    body.0.iter().cloned().map(Ok).collect();
                axum::body::Body::from_stream(futures::stream::iter(pieces))
            }
        }
    }
}

/// `GET /api/runs[?limit=&offset=&q=&sort=]`: runs newest first from the in-memory index, every run by default or
/// one page; `X-Total-Count` says how many there are, and a page links to its neighbours (`Link: rel="next"`,
/// `rel="prev"`). The whole listing is made once per change from what changed (`index::encoded`) and shared by
/// every request;
/// a page is cut from the same sorted list. With `q` (a query, docs/query.md) or `sort`, only the matching runs,
/// in that order; a query that cannot be read answers 400 with `{"error", "at": [start, end]}`.
pub async fn list_runs(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (offset, limit) = q.parse()?;
    let filter = q.filter()?;
    let gzip = crate::server::encoding::accepts(&headers, "gzip");
    let (body, total, link) = match (offset, limit, filter) {
        (offset, limit, Some(filter)) => {
            let limit = limit.unwrap_or(MAX_PAGE);
            let now = chrono::Utc::now().timestamp_micros();
            let (runs, total) = state
                .index
                .clone()
                .query_blocking(filter.query, filter.sort, (offset, limit), now)
                .await
                .map_err(|_| AppError::Internal)?;
            let json = serde_json::to_vec(&runs).map_err(|_| AppError::Internal)?;
            let body = if gzip {
                crate::index::gzip(&json)
            } else {
                json
            };
            let links = page_links(offset, limit, total, &format!("&{}", filter.params));
            (Whole::One(Bytes::from(body)), total, Some(links))
        }
        (0, None, None) => {
            // Encoding the whole list takes milliseconds of CPU at 100,000 runs: off the async workers.
            let index = state.index.clone();
            let (body, total) = tokio::task::spawn_blocking(move || index.listing_body(gzip))
                .await
                .map_err(|_| AppError::Internal)?;
            (Whole::Pieces(body), total, None)
        }
        (offset, limit, None) => {
            let limit = limit.unwrap_or(MAX_PAGE);
            let (runs, total) = state.index.page(offset, limit);
            let json = serde_json::to_vec(&runs).map_err(|_| AppError::Internal)?;
            let body = if gzip {
                crate::index::gzip(&json)
            } else {
                json
            };
            (
                Whole::One(Bytes::from(body)),
                total,
                Some(page_links(offset, limit, total, "")),
            )
        }
    };
    // Pieces sent one after the other would go chunked: the length is known.
    let length = body.len();
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::VARY, "accept-encoding"),
        ],
        body.body(),
    )
        .into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert("x-total-count", HeaderValue::from(total));
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Some(link) = link.filter(|l| !l.is_empty()) {
        h.insert(
            header::LINK,
            HeaderValue::from_str(&link).map_err(|_| AppError::Internal)?,
        );
    }
    Ok(response)
}

/// `Link` to the next and previous pages, relative to the API (RFC 8288); empty for a single page.
fn page_links(offset: usize, limit: usize, total: usize, params: &str) -> String {
    let mut links = Vec::new();
    if offset + limit < total {
        links.push(format!(
            "</api/runs?limit={limit}&offset={}{params}>; rel=\"next\"",
            offset + limit
        ));
    }
    if offset > 0 {
        links.push(format!(
            "</api/runs?limit={limit}&offset={}{params}>; rel=\"prev\"",
            offset.saturating_sub(limit)
        ));
    }
    links.join(", ")
}

/// `GET /api/run?id=[&nonfinite=]`: the run with every result resolved.
pub async fn get_run(
    State(state): State<AppState>,
    Query(q): Query<IdQuery>,
) -> Result<Response, AppError> {
    let id: RunId = q.parse()?;
    let style = q.non_finite()?;
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
    Ok(json_response(&body, style))
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

/// `GET /api/views`: the run list's saved views, by name (each with the `q`, `sort`, `cols`, `group` and
/// `varying` of its address).
pub async fn list_views(State(state): State<AppState>) -> Result<Json<Vec<SavedView>>, AppError> {
    let storage = state.index.storage().clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || storage.list_views()).await??,
    ))
}

/// The parameters of `/api/runs/csv`.
#[derive(Debug, Deserialize)]
pub struct TableQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cols: String,
}

/// `GET /api/runs/csv?q=&sort=&cols=`: every run the query matches (all of them, not a page), in its order, as
/// CSV with the chosen columns: what the run list's "Export CSV" downloads.
pub async fn runs_csv(
    State(state): State<AppState>,
    Query(p): Query<TableQuery>,
) -> Result<Response, AppError> {
    let request = match crate::query::list_request(&p.q, &p.sort, &p.cols, "")? {
        Some(request) => request,
        None => crate::query::list_request("", "-created", "", "")?.ok_or(AppError::Internal)?,
    };
    let index = state.index.clone();
    let now = chrono::Utc::now().timestamp_micros();
    let csv =
        tokio::task::spawn_blocking(move || index.table(&request, 0, usize::MAX, now).to_csv())
            .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"runs.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// `PATCH /api/run?id=` with a JSON `RunPatch` (`{"add_tags": ["baseline"], "note": "…", "starred": true}`):
/// changes the run's tags, note or star under its lock and answers the run's list row as it is now.
pub async fn patch_run(
    State(state): State<AppState>,
    Query(q): Query<IdQuery>,
    body: Bytes,
) -> Result<Json<RunSummary>, AppError> {
    let id: RunId = q.parse()?;
    let patch: RunPatch = serde_json::from_slice(&body).map_err(|e| {
        AppError::BadRequest(format!(
            "expected a JSON object with any of `tags`, `add_tags`, `remove_tags` (lists of text), `note` \
             (text) and `starred` (true or false): {e}"
        ))
    })?;
    let index = state.index.clone();
    let run = tokio::task::spawn_blocking(move || index.annotate_run(id, &patch)).await??;
    Ok(Json(run))
}

/// `GET /api/result?id=[&nonfinite=]`: one result with its arrays inline, written as its arrays are read
/// (`storage::download`, `server::streamed`): memory stays flat whatever the result's size.
pub async fn get_result(
    State(state): State<AppState>,
    Query(q): Query<IdQuery>,
) -> Result<Response, AppError> {
    let id: ResultId = q.parse()?;
    let style = q.non_finite()?;
    let storage = state.index.storage().clone();
    let download = tokio::task::spawn_blocking(move || storage.download(id)).await??;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        super::streamed::body(move |out| download.write_json(style, out)),
    )
        .into_response())
}

/// `GET /api/result/csv?id=[&field=]`: the full data as CSV — one field, or the 1-D fields side by side —
/// written as it is read.
pub async fn result_csv(
    State(state): State<AppState>,
    Query(q): Query<IdQuery>,
) -> Result<Response, AppError> {
    let id: ResultId = q.parse()?;
    let storage = state.index.storage().clone();
    let download = tokio::task::spawn_blocking(move || storage.download(id)).await??;
    download
        .csv_columns(q.field.as_deref())
        .map_err(AppError::BadRequest)?;
    let name = format!(
        "{id}{}.csv",
        q.field
            .as_deref()
            .map(|f| format!("_{f}"))
            .unwrap_or_default()
    );
    let field = q.field.clone();
    Ok(attachment(
        &name,
        "text/csv; charset=utf-8",
        super::streamed::body(move |out| download.write_csv(field.as_deref(), out)),
    ))
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
    Ok(attachment(&name, "application/octet-stream", bytes))
}

/// A download named `file_name`.
fn attachment(file_name: &str, content_type: &str, body: impl IntoResponse) -> Response {
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
