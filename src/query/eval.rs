//! Evaluating a query against a run.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::ast::{Expr, Field, Literal, Op};
use crate::model::RunSummary;

/// What a query sees of a run.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    pub summary: &'a RunSummary,
    pub metadata: &'a Map<String, Value>,
    /// The run's timestamp in microseconds since 1970 (`None` when it is not RFC 3339).
    pub created: Option<i64>,
}

/// A value of a run's field, as a query compares it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    Number(f64),
    Text(&'a str),
    Bool(bool),
    /// Microseconds since 1970.
    Time(i64),
}

impl Row<'_> {
    /// The value of `field` for this run; `None` when the run has none (a missing key, a run without equation).
    pub fn cell(&self, field: &Field) -> Option<Cell<'_>> {
        let s = self.summary;
        match field {
            Field::Name => Some(Cell::Text(&s.name)),
            Field::Status => s.status.map(|st| Cell::Text(st.as_str())),
            Field::Equation => s.equation.as_deref().map(Cell::Text),
            Field::Circuit => s.circuit.as_deref().map(Cell::Text),
            Field::Created => self.created.map(Cell::Time),
            Field::Results => Some(Cell::Number(s.result_count as f64)),
            // Numbers (and the NaN and Infinity markers of `storage::json`) as numbers.
            Field::Meta(key) => meta(self.metadata, key).and_then(|v| match v {
                Value::Bool(b) => Some(Cell::Bool(*b)),
                Value::String(t) if !crate::storage::json::is_marker(v) => Some(Cell::Text(t)),
                v => crate::storage::json::number(v).map(Cell::Number),
            }),
        }
    }
}

/// A metadata key: the key as written (`"solver.dt"`), else the path through nested objects.
fn meta<'a>(metadata: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if let Some(v) = metadata.get(key) {
        return Some(v);
    }
    let mut parts = key.split('.');
    let mut value = metadata.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

impl Expr {
    /// Whether the query names a time relative to now (`created > -2h`): its answer changes with the clock.
    pub fn is_relative(&self) -> bool {
        let relative = |v: &Literal| matches!(v, Literal::Ago(_));
        match self {
            Self::And(items) | Self::Or(items) => items.iter().any(Expr::is_relative),
            Self::Not(inner) => inner.is_relative(),
            Self::Compare(_, _, v) => relative(v),
            Self::In(_, values) => values.iter().any(relative),
            Self::Range(_, lo, hi) => relative(lo) || relative(hi),
            Self::All | Self::Matches(..) | Self::Word(_) => false,
        }
    }

    /// Whether the run matches, `now` being the time relative times count from (microseconds since 1970).
    pub fn matches(&self, row: &Row<'_>, now: i64) -> bool {
        match self {
            Self::All => true,
            Self::And(items) => items.iter().all(|e| e.matches(row, now)),
            Self::Or(items) => items.iter().any(|e| e.matches(row, now)),
            Self::Not(inner) => !inner.matches(row, now),
            Self::Compare(field, op, value) => row
                .cell(field)
                .and_then(|cell| compare(&cell, value, now))
                .is_some_and(|ordering| op_holds(*op, ordering)),
            Self::In(field, values) => row.cell(field).is_some_and(|cell| {
                values
                    .iter()
                    .any(|v| compare(&cell, v, now) == Some(Ordering::Equal))
            }),
            Self::Range(field, lo, hi) => row.cell(field).is_some_and(|cell| {
                compare(&cell, lo, now).is_some_and(|o| o != Ordering::Less)
                    && compare(&cell, hi, now).is_some_and(|o| o != Ordering::Greater)
            }),
            Self::Matches(field, pattern) => match row.cell(field) {
                Some(Cell::Text(t)) => pattern.regex.is_match(t),
                Some(Cell::Number(n)) => pattern.regex.is_match(&n.to_string()),
                Some(Cell::Bool(b)) => pattern.regex.is_match(if b { "true" } else { "false" }),
                _ => false,
            },
            Self::Word(word) => {
                let word = word.to_lowercase();
                let s = row.summary;
                s.name.to_lowercase().contains(&word)
                    || s.equation
                        .as_deref()
                        .is_some_and(|e| e.to_lowercase().contains(&word))
            }
        }
    }
}

fn op_holds(op: Op, ordering: Ordering) -> bool {
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
    }
}

/// How a run's value compares with a query's: numbers as numbers (text that reads as a number too), text as
/// text, times as times; `None` when they cannot be compared (then no comparison holds).
fn compare(cell: &Cell<'_>, value: &Literal, now: i64) -> Option<Ordering> {
    match (cell, value) {
        (Cell::Number(a), Literal::Number(b)) => a.partial_cmp(b),
        (Cell::Text(a), Literal::Number(b)) => a.trim().parse::<f64>().ok()?.partial_cmp(b),
        (Cell::Number(a), Literal::Text(b)) => a.partial_cmp(&b.trim().parse::<f64>().ok()?),
        (Cell::Text(a), Literal::Text(b)) => Some((*a).cmp(b.as_str())),
        (Cell::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        (Cell::Bool(a), Literal::Text(b)) => Some(a.to_string().as_str().cmp(b.as_str())),
        (Cell::Time(a), Literal::Time(b, _)) => Some(a.cmp(b)),
        (Cell::Time(a), Literal::Ago(seconds)) => {
            let then = now.saturating_add((seconds * 1e6) as i64);
            Some(a.cmp(&then))
        }
        _ => None,
    }
}
