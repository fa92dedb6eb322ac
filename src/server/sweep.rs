//! `GET /api/sweep?x=FIELD&y=FIELD[&result=TITLE][&value=FIELD][&q=QUERY]`: the runs `q` matches as a grid over
//! their values of x and y (`model::sweep::SweepGrid`, laid out by `crate::compare::sweep`), each cell with the
//! result titled `result` (or of that type) or its value of `value`; and `GET /api/run/step?id=&key=&dir=`, the
//! run one step along a key from another.

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;

use super::converge::{every_run, one_field};
use super::AppState;
use crate::compare::sweep::{lay_out, Placed};
use crate::error::AppError;
use crate::index::Index;
use crate::model::sweep::SweepGrid;
use crate::model::{CellValue, ResultSummary, RunId};
use crate::query::Field;

/// The fields of a grid and the runs it takes, as `/api/sweep` and the sweep page's address give them.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SweepQuery {
    #[serde(default)]
    pub x: String,
    #[serde(default)]
    pub y: String,
    #[serde(default)]
    pub result: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub q: String,
}

/// The result of a run that a grid's `result` names: the first with that title, else the first of that type.
fn find_result<'a>(results: &'a [ResultSummary], wanted: &str) -> Option<&'a ResultSummary> {
    results
        .iter()
        .find(|r| r.title.as_deref() == Some(wanted))
        .or_else(|| {
            results
                .iter()
                .find(|r| r.result_type.as_str().eq_ignore_ascii_case(wanted))
        })
}

impl SweepQuery {
    /// The grid `self` asks for, over the runs of `index` as they are now; each cell's run is read for its
    /// results when a `result` is asked for.
    pub fn grid(&self, index: &Index) -> Result<SweepGrid, AppError> {
        let x = one_field(&self.x, "x", "meta.a")?;
        let y = one_field(&self.y, "y", "meta.b")?;
        let value = match self.value.trim() {
            "" => None,
            text => Some(one_field(text, "value", "error.max")?),
        };
        let mut columns = vec![x.clone(), y.clone()];
        columns.extend(value.clone());
        // Newest first: the newest run at a point stands for it.
        let table = every_run(index, &self.q, "-created", columns)?;
        let text = |c: &Option<CellValue>| c.as_ref().map(CellValue::to_string);
        let runs = table
            .runs
            .iter()
            .enumerate()
            .map(|(i, run)| Placed {
                run: run.id,
                name: run.name.clone(),
                status: run.status,
                x: text(&table.columns[0].values[i]),
                y: text(&table.columns[1].values[i]),
                value: table
                    .columns
                    .get(2)
                    .and_then(|c| c.values[i].as_ref())
                    .and_then(CellValue::as_number),
            })
            .collect();
        let result = Some(self.result.trim()).filter(|r| !r.is_empty());
        let value = value.as_ref().map(Field::to_string);
        let (x, y) = (x.to_string(), y.to_string());
        let mut grid = lay_out((x.as_str(), y.as_str()), runs, (result, value.as_deref()))
            .map_err(AppError::BadRequest)?;
        if let Some(wanted) = result {
            for cell in grid.cells.iter_mut().flatten() {
                // A run deleted meanwhile, or damaged, shows without its result.
                if let Ok(detail) = index.storage().run_detail(cell.run) {
                    cell.result =
                        find_result(&detail.results, wanted).map(|r| (r.id, r.result_type.clone()));
                }
            }
        }
        Ok(grid)
    }
}

/// The grid the address asks for.
pub async fn get_sweep(
    State(state): State<AppState>,
    Query(q): Query<SweepQuery>,
) -> Result<Json<SweepGrid>, AppError> {
    let index = state.index.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || q.grid(&index)).await??,
    ))
}

/// `id`, `key` (`meta.a`, or `a`) and `dir` (`next` or `prev`).
#[derive(Deserialize)]
pub struct StepQuery {
    pub id: String,
    pub key: String,
    #[serde(default)]
    pub dir: String,
}

/// The run one step from `id` along the metadata key `key`: `forward` to the next value up. `None` at the end.
pub fn step(index: &Index, id: &str, key: &str, forward: bool) -> Result<Option<RunId>, AppError> {
    let id: RunId = id.parse()?;
    let key = key.trim();
    let key = key.strip_prefix("meta.").unwrap_or(key);
    if key.is_empty() {
        return Err(AppError::BadRequest(
            "key: expected a metadata key, e.g. key=meta.dt".into(),
        ));
    }
    if index.get(id).is_none() {
        return Err(AppError::NotFound(format!("no run with id {id}")));
    }
    Ok(index.step(id, key, forward))
}

/// `GET /api/run/step?id=ID&key=meta.a&dir=next|prev`: `{"run": ID}` one step along the key, or `{"run": null}`.
pub async fn get_step(
    State(state): State<AppState>,
    Query(q): Query<StepQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let forward = match q.dir.as_str() {
        "" | "next" => true,
        "prev" => false,
        other => {
            return Err(AppError::BadRequest(format!(
                "dir: expected `next` or `prev`, found `{other}`"
            )))
        }
    };
    let index = state.index.clone();
    let run = tokio::task::spawn_blocking(move || step(&index, &q.id, &q.key, forward)).await??;
    Ok(Json(serde_json::json!({ "run": run })))
}
