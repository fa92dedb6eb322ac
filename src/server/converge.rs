//! `GET /api/converge?x=FIELD&y=FIELD[&group=FIELD,…][&q=QUERY][&xis=…][&yis=…]`: a convergence study over the
//! runs `q` matches (all runs without it) — their `y` against their `x`, one series per value of `group` (or per
//! combination of values of several group fields), with the observed order of each
//! (`model::converge::Convergence`, computed by `crate::compare::study`).

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;

use super::AppState;
use crate::compare::study::{study, Reading, Sample};
use crate::error::AppError;
use crate::index::{Index, Table};
use crate::model::converge::Convergence;
use crate::model::CellValue;
use crate::query::{parse_fields, parse_sort, Expr, Field, ListRequest};

/// The fields of a study and the runs it takes, as `/api/converge` and the convergence page's address give them.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ConvergeQuery {
    #[serde(default)]
    pub x: String,
    #[serde(default)]
    pub y: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub q: String,
    /// `resolution` (x is a grid size N, h ∝ 1/N) or `step` (x is h); decided from the values when empty.
    #[serde(default)]
    pub xis: String,
    /// `error` (y is an error norm) or `value` (a solution value: extrapolated); decided from y's name when empty.
    #[serde(default)]
    pub yis: String,
}

/// The one field `text` names (`what` is the parameter, named in the error, with `example`).
pub(super) fn one_field(text: &str, what: &str, example: &str) -> Result<Field, AppError> {
    let mut fields = parse_fields(text, what)?;
    match fields.len() {
        1 => Ok(fields.remove(0)),
        n => Err(AppError::BadRequest(format!(
            "{what}: expected one field, e.g. {what}={example}; found {n}"
        ))),
    }
}

/// `Some(true)` for `yes`, `Some(false)` for `no`, `None` for empty; anything else is a mistake in `what`.
fn choice(text: &str, what: &str, (yes, no): (&str, &str)) -> Result<Option<bool>, AppError> {
    match text.trim() {
        "" => Ok(None),
        t if t == yes => Ok(Some(true)),
        t if t == no => Ok(Some(false)),
        other => Err(AppError::BadRequest(format!(
            "{what}: expected `{yes}` or `{no}`, found `{other}`"
        ))),
    }
}

/// Every run `q` matches (all of them when it is empty), in the order of `sort`, with its values of `columns`.
pub(super) fn every_run(
    index: &Index,
    q: &str,
    sort: &str,
    columns: Vec<Field>,
) -> Result<Table, AppError> {
    let query = match q.trim() {
        "" => Expr::All,
        q => crate::query::parse(q)?,
    };
    let request = ListRequest {
        query,
        sort: parse_sort(sort)?,
        columns,
        group: None,
    };
    let now = chrono::Utc::now().timestamp_micros();
    Ok(index.table(&request, 0, usize::MAX, now))
}

/// A cell as a number: numbers, and text that reads as one (`"64"` in a hand-written file).
fn number(cell: &Option<CellValue>) -> Option<f64> {
    match cell.as_ref()? {
        CellValue::Number(v) => Some(*v),
        CellValue::Text(t) => t.trim().parse().ok(),
        CellValue::Bool(_) => None,
    }
}

/// A run's group: its values of the group fields joined by ` · ` (`—` for one it lacks); `None` when it has
/// none of them (or there are no group fields).
fn group_value<'a>(cells: impl Iterator<Item = &'a Option<CellValue>>) -> Option<String> {
    let values: Vec<Option<String>> = cells
        .map(|c| c.as_ref().map(CellValue::to_string))
        .collect();
    values.iter().any(Option::is_some).then(|| {
        values
            .iter()
            .map(|v| v.as_deref().unwrap_or("—"))
            .collect::<Vec<_>>()
            .join(" · ")
    })
}

impl ConvergeQuery {
    /// The study `self` asks for, over the runs of `index` as they are now.
    pub fn study(&self, index: &Index) -> Result<Convergence, AppError> {
        let x = one_field(&self.x, "x", "meta.N")?;
        let y = one_field(&self.y, "y", "error.max")?;
        let group = parse_fields(&self.group, "group")?;
        let reading = Reading {
            x_is_resolution: choice(&self.xis, "xis", ("resolution", "step"))?,
            y_is_error: choice(&self.yis, "yis", ("error", "value"))?,
        };
        let mut columns = vec![x.clone(), y.clone()];
        columns.extend(group.iter().cloned());
        let table = every_run(index, &self.q, "", columns)?;
        let samples = table
            .runs
            .iter()
            .enumerate()
            .map(|(i, run)| Sample {
                run: run.id,
                name: run.name.clone(),
                status: run.status,
                x: number(&table.columns[0].values[i]),
                y: number(&table.columns[1].values[i]),
                group: group_value(table.columns[2..].iter().map(|c| &c.values[i])),
            })
            .collect();
        let group = (!group.is_empty()).then(|| {
            group
                .iter()
                .map(Field::to_string)
                .collect::<Vec<_>>()
                .join(",")
        });
        let (x, y) = (x.to_string(), y.to_string());
        Ok(study(
            (x.as_str(), y.as_str(), group.as_deref()),
            samples,
            reading,
        ))
    }
}

/// The study the address asks for.
pub async fn get_converge(
    State(state): State<AppState>,
    Query(q): Query<ConvergeQuery>,
) -> Result<Json<Convergence>, AppError> {
    let index = state.index.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || q.study(&index)).await??,
    ))
}
