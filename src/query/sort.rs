//! `sort=created,-meta.dt`: the order of a query's runs.

use std::cmp::Ordering;

use super::ast::Field;
use super::eval::{Cell, Row};
use super::parse::field;
use super::QueryError;

/// One key of a sort: a field, ascending or descending.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub field: Field,
    pub descending: bool,
}

/// Reads `sort`: comma-separated fields, each descending when it starts with `-`. Empty: newest first.
pub fn parse_sort(text: &str) -> Result<Vec<SortKey>, QueryError> {
    let mut keys = Vec::new();
    let mut offset = 0;
    for part in text.split(',') {
        let start = offset + (part.len() - part.trim_start().len());
        offset += part.len() + 1;
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (descending, name) = match part.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, part.strip_prefix('+').unwrap_or(part)),
        };
        let name_start = start + (part.len() - name.len());
        keys.push(SortKey {
            field: field(name, (name_start, name_start + name.len()))?,
            descending,
        });
    }
    if keys.is_empty() {
        keys.push(SortKey {
            field: Field::Created,
            descending: true,
        });
    }
    Ok(keys)
}

/// Reads a comma-separated list of fields (`cols=meta.dt,results`, `group=meta.solver`); `what` names the
/// parameter in a mistake's message (`in `cols`: unknown field …`), whose span is counted in `text`.
pub fn parse_fields(text: &str, what: &str) -> Result<Vec<Field>, QueryError> {
    let mut fields = Vec::new();
    let mut offset = 0;
    for part in text.split(',') {
        let start = offset + (part.len() - part.trim_start().len());
        offset += part.len() + 1;
        let name = part.trim();
        if name.is_empty() {
            continue;
        }
        let f = field(name, (start, start + name.len())).map_err(|e| QueryError {
            message: format!("in `{what}`: {}", e.message),
            ..e
        })?;
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    Ok(fields)
}

/// The values `keys` sort `row` by, for [`compare_cells`]: taken once per run, not once per comparison.
pub fn sort_cells<'a>(row: &Row<'a>, keys: &[SortKey]) -> Vec<Option<Cell<'a>>> {
    keys.iter().map(|key| row.cell(&key.field)).collect()
}

/// How two runs compare under `keys`, given their [`sort_cells`]: numbers as numbers, text as text; a run
/// without the field after every run with it, whichever the direction.
pub fn compare_cells(a: &[Option<Cell<'_>>], b: &[Option<Cell<'_>>], keys: &[SortKey]) -> Ordering {
    for ((key, x), y) in keys.iter().zip(a).zip(b) {
        let ordering = match (x, y) {
            (Some(x), Some(y)) => {
                let o = order(x, y);
                if key.descending {
                    o.reverse()
                } else {
                    o
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Numbers before booleans before text; times by time.
fn order(a: &Cell<'_>, b: &Cell<'_>) -> Ordering {
    let rank = |c: &Cell<'_>| match c {
        Cell::Number(_) | Cell::Time(_) => 0,
        Cell::Bool(_) => 1,
        Cell::Text(_) => 2,
    };
    match (a, b) {
        (Cell::Number(x), Cell::Number(y)) => x.total_cmp(y),
        (Cell::Time(x), Cell::Time(y)) => x.cmp(y),
        (Cell::Bool(x), Cell::Bool(y)) => x.cmp(y),
        (Cell::Text(x), Cell::Text(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}
