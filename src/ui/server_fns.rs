//! Server functions: how the pages read the storage. Result arrays travel postcard-encoded, never as JSON; the
//! run list and a run's layout travel as JSON read as text ([`JsonText`]).

use leptos::prelude::*;
use server_fn::codec::{Json, Post, Postcard};

use crate::error::AppError;
use crate::model::compare::Comparison;
use crate::model::converge::Convergence;
use crate::model::sweep::SweepGrid;
use crate::model::{FieldCount, RunDetail, RunPage, RunPatch, RunSummary, SavedView, ValueCount};
use crate::plots::view::{PlotData, ViewUpdate};

/// JSON, decoded in the browser from text as a resource's hydration data is (`serde_json::from_str`), so that
/// each type's JSON decoder is compiled into the WASM bundle once, not once for text and once for bytes.
pub type JsonText = Post<text::JsonTextEncoding>;

mod text {
    use serde::de::{DeserializeOwned, Error as _};
    use serde::Serialize;
    use server_fn::Bytes;
    use server_fn::{ContentType, Decodes, Encodes, Format, FormatType};

    pub struct JsonTextEncoding;

    impl ContentType for JsonTextEncoding {
        const CONTENT_TYPE: &'static str = "application/json";
    }

    impl FormatType for JsonTextEncoding {
        const FORMAT_TYPE: Format = Format::Text;
    }

    impl<T: Serialize> Encodes<T> for JsonTextEncoding {
        type Error = serde_json::Error;

        fn encode(output: &T) -> Result<Bytes, Self::Error> {
            serde_json::to_vec(output).map(Bytes::from)
        }
    }

    impl<T: DeserializeOwned> Decodes<T> for JsonTextEncoding {
        type Error = serde_json::Error;

        fn decode(bytes: Bytes) -> Result<T, Self::Error> {
            let text = std::str::from_utf8(&bytes).map_err(serde_json::Error::custom)?;
            serde_json::from_str(text)
        }
    }
}

/// `limit` runs (at most 1,000) from the `offset`th, from the index: the runs query `q` matches in the order of
/// `sort` (docs/query.md), or every run newest first when both are empty. A query that cannot be read is the
/// page's `query_problem`, with the place of the mistake: a user's typing, not a failed request.
#[server(prefix = "/_fn", output = JsonText)]
pub async fn list_runs(
    offset: usize,
    limit: usize,
    q: String,
    sort: String,
    cols: String,
    group: String,
) -> Result<RunPage, AppError> {
    let index = ssr::state()?.index;
    let limit = limit.clamp(1, 1_000);
    let mut page = RunPage {
        runs: Vec::new(),
        offset,
        total: 0,
        storage_problem: index.lost(),
        query_problem: None,
        columns: Vec::new(),
        groups: Vec::new(),
        group_of: Vec::new(),
    };
    match crate::query::list_request(&q, &sort, &cols, &group) {
        Ok(None) => (page.runs, page.total) = index.page(offset, limit),
        Ok(Some(request)) => {
            let now = chrono::Utc::now().timestamp_micros();
            let table =
                tokio::task::spawn_blocking(move || index.table(&request, offset, limit, now))
                    .await?;
            page.runs = table.runs;
            page.total = table.total;
            page.columns = table.columns;
            page.groups = table.groups;
            page.group_of = table.group_of;
        }
        Err(e) => {
            page.query_problem = Some(crate::model::QueryProblem {
                message: e.message,
                start: e.start,
                end: e.end,
            });
        }
    }
    Ok(page)
}

/// The run list's saved views, by name.
#[server(prefix = "/_fn", output = JsonText)]
pub async fn list_views() -> Result<Vec<SavedView>, AppError> {
    let index = ssr::state()?.index;
    Ok(tokio::task::spawn_blocking(move || index.storage().list_views()).await??)
}

/// Saves a view of the run list under its name (replacing one of the same name).
#[server(prefix = "/_fn")]
pub async fn save_view(view: SavedView) -> Result<SavedView, AppError> {
    let index = ssr::state()?.index;
    Ok(tokio::task::spawn_blocking(move || index.storage().save_view(view)).await??)
}

/// Deletes a saved view.
#[server(prefix = "/_fn")]
pub async fn delete_view(id: String) -> Result<(), AppError> {
    let index = ssr::state()?.index;
    Ok(tokio::task::spawn_blocking(move || index.storage().delete_view(&id)).await??)
}

/// Every field the runs can be shown or grouped by, with how many runs have it.
#[server(prefix = "/_fn", output = JsonText)]
pub async fn run_fields() -> Result<Vec<FieldCount>, AppError> {
    let index = ssr::state()?.index;
    Ok(tokio::task::spawn_blocking(move || index.fields()).await?)
}

/// The most frequent values of a field (`meta.solver`, `status`, `error.max`), for the query bar's suggestions;
/// none for a field that is not one.
#[server(prefix = "/_fn", output = JsonText)]
pub async fn field_values(field: String) -> Result<Vec<ValueCount>, AppError> {
    let Some(field) = crate::query::Field::named(field.trim()) else {
        return Ok(Vec::new());
    };
    let index = ssr::state()?.index;
    Ok(
        tokio::task::spawn_blocking(move || index.frequent_values(&field, SUGGESTED_VALUES))
            .await?,
    )
}

/// How many values the query bar suggests for a field.
pub const SUGGESTED_VALUES: usize = 8;

/// The comparison of `runs` (`ID,ID,…`) against `baseline` (an id, or empty for the first): `/api/compare`'s answer.
#[server(prefix = "/_fn", output = JsonText)]
pub async fn fetch_comparison(runs: String, baseline: String) -> Result<Comparison, AppError> {
    let index = ssr::state()?.index;
    let q = crate::server::compare::CompareQuery {
        runs: Some(runs),
        baseline: Some(baseline),
    };
    crate::server::compare::comparison(index.storage().clone(), q).await
}

/// The convergence study of `y` against `x` over the runs `q` matches, grouped by `group`: `/api/converge`'s
/// answer (`xis` and `yis` as there: empty to decide from the data).
#[server(prefix = "/_fn", output = JsonText)]
pub async fn fetch_convergence(
    x: String,
    y: String,
    group: String,
    q: String,
    xis: String,
    yis: String,
) -> Result<Convergence, AppError> {
    let index = ssr::state()?.index;
    let query = crate::server::converge::ConvergeQuery {
        x,
        y,
        group,
        q,
        xis,
        yis,
    };
    tokio::task::spawn_blocking(move || query.study(&index)).await?
}

/// The runs `q` matches as a grid over their values of `x` and `y`, each cell with the result `result` (a title
/// or a type) or its value of `value`: `/api/sweep`'s answer.
#[server(prefix = "/_fn", output = JsonText)]
pub async fn fetch_sweep(
    x: String,
    y: String,
    result: String,
    value: String,
    q: String,
) -> Result<SweepGrid, AppError> {
    let index = ssr::state()?.index;
    let query = crate::server::sweep::SweepQuery {
        x,
        y,
        result,
        value,
        q,
    };
    tokio::task::spawn_blocking(move || query.grid(&index)).await?
}

/// The run one step from `id` along the metadata key `key` (`forward`: to the next value up), if there is one.
#[server(prefix = "/_fn", output = JsonText)]
pub async fn step_run(id: String, key: String, forward: bool) -> Result<Option<String>, AppError> {
    let index = ssr::state()?.index;
    let run =
        tokio::task::spawn_blocking(move || crate::server::sweep::step(&index, &id, &key, forward))
            .await??;
    Ok(run.map(|r| r.to_string()))
}

/// A run and the layout of its results.
#[server(prefix = "/_fn", output = JsonText)]
pub async fn fetch_run_detail(id: String) -> Result<RunDetail, AppError> {
    let id = id.parse()?;
    let index = ssr::state()?.index;
    Ok(tokio::task::spawn_blocking(move || index.run_detail(id)).await??)
}

/// One result as a plot `columns` device pixels wide showing `view` (an x range) and `y_view` (a heatmap's y
/// range) needs it: long 1-D series become a mean, min and max per pixel column and large grids one cell per
/// block (`plots::reduce::reduce_for_view`); small data comes raw, cut to the view. `time_index` is the
/// ensemble histogram's time. The reduction runs on the blocking pool: it touches every value. Views already made are
/// answered from `server::views::ViewCache` (zooming back, another client, a redraw).
#[server(prefix = "/_fn", endpoint = "result_view", input = Json, output = Postcard)]
pub async fn result_view(
    id: String,
    columns: u32,
    view: Option<(f64, f64)>,
    y_view: Option<(f64, f64)>,
    time_index: Option<usize>,
) -> Result<PlotData, AppError> {
    let zoom = crate::plots::view::Zoom { x: view, y: y_view };
    ssr::plot_view(id, columns, move |views, storage, id, columns| {
        views.view(storage, id, columns, zoom, time_index)
    })
    .await
}

/// A zoomed plot of a growing result that follows its newest points: the view `width` wide on the x axis that
/// ends at the last point (as [`result_view`] makes it), and that x range.
#[server(prefix = "/_fn", endpoint = "result_follow", input = Json, output = Postcard)]
pub async fn result_follow(
    id: String,
    columns: u32,
    width: f64,
    time_index: Option<usize>,
) -> Result<(PlotData, Option<(f64, f64)>), AppError> {
    ssr::plot_view(id, columns, move |views, storage, id, columns| {
        views.following(storage, id, columns, width, time_index)
    })
    .await
}

/// What a plot of a growing result lacks (docs/storage-format.md, "Growing results"): `held` is how many rows of
/// each numeric field it has. While its whole view is not reduced, only the rows after those; else the whole
/// view, as [`result_view`] gives it.
#[server(prefix = "/_fn", endpoint = "result_rows", input = Json, output = Postcard)]
pub async fn result_rows(
    id: String,
    columns: u32,
    time_index: Option<usize>,
    held: Vec<(String, u64)>,
) -> Result<ViewUpdate, AppError> {
    ssr::plot_view(id, columns, move |views, storage, id, columns| {
        let whole = views.view(storage, id, columns, None, time_index)?;
        Ok(match whole.rows_after(&held) {
            Some(fields) => ViewUpdate::Rows {
                fields,
                non_finite: whole.non_finite,
            },
            None => ViewUpdate::Whole(Box::new(whole)),
        })
    })
    .await
}

/// Deletes a run, its results and their files.
#[server(prefix = "/_fn")]
pub async fn delete_run(id: String) -> Result<(), AppError> {
    let id = id.parse()?;
    let index = ssr::state()?.index;
    Ok(tokio::task::spawn_blocking(move || index.delete_run(id)).await??)
}

/// Changes a run's tags, note or star; answers its list row as it is now.
#[server(prefix = "/_fn")]
pub async fn annotate_run(id: String, patch: RunPatch) -> Result<RunSummary, AppError> {
    let id = id.parse()?;
    let index = ssr::state()?.index;
    Ok(tokio::task::spawn_blocking(move || index.annotate_run(id, &patch)).await??)
}

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::use_context;

    use crate::error::AppError;
    use crate::model::ResultId;
    use crate::server::views::ViewCache;
    use crate::server::AppState;
    use crate::storage::AsgardStorage;

    /// What a plot asks of result `id` at `columns` device pixels (16 to 4,096), made by `make` from the view
    /// cache on the blocking pool (a reduction touches every value), with its error's own status.
    pub async fn plot_view<T: Send + 'static>(
        id: String,
        columns: u32,
        make: impl FnOnce(&ViewCache, &AsgardStorage, ResultId, usize) -> Result<T, AppError>
            + Send
            + 'static,
    ) -> Result<T, AppError> {
        let id = id.parse()?;
        let state = state()?;
        let columns = columns.clamp(16, 4096) as usize;
        with_status(
            tokio::task::spawn_blocking(move || {
                make(&state.views, state.index.storage(), id, columns)
            })
            .await?,
        )
    }

    /// The answer, with the error's own status when it is one (a server function answers 500 otherwise): a
    /// growing result without rows is 409, a missing one 404.
    fn with_status<T>(answer: Result<T, AppError>) -> Result<T, AppError> {
        if let (Err(e), Some(response)) = (&answer, use_context::<leptos_axum::ResponseOptions>()) {
            response.set_status(e.status());
        }
        answer
    }

    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("server function called without the application state in context");
            AppError::Internal
        })
    }
}
