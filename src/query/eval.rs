//! Evaluating a query against a run.

use std::cmp::Ordering;

use super::ast::{Expr, Field, Literal, Op};
use super::meta::{lookup, Pairs, Scalar, Symbols};
use crate::model::RunSummary;

/// What a query sees of a run.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    pub summary: &'a RunSummary,
    pub meta: &'a Pairs,
    /// The run's result statistics and how many results of each type it has ([`Symbols::stat_pairs`]).
    pub stats: &'a Pairs,
    /// What the keys of `meta` are called.
    pub symbols: &'a Symbols,
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

impl<'a> Cell<'a> {
    fn of(value: &'a Scalar) -> Self {
        match value {
            Scalar::Number(n) => Cell::Number(*n),
            Scalar::Bool(b) => Cell::Bool(*b),
            Scalar::Text(t) => Cell::Text(t),
        }
    }
}

impl<'a> Row<'a> {
    /// Whether `holds` for one value of `field`: one of the tags for `tag`, else the one [`Row::cell`] gives.
    fn any(&self, field: &Field, mut holds: impl FnMut(&Cell<'a>) -> bool) -> bool {
        match field {
            Field::Tag => self.summary.tags.iter().any(|t| holds(&Cell::Text(t))),
            field => self.cell(field).is_some_and(|cell| holds(&cell)),
        }
    }

    /// The value of `field` for this run; `None` when the run has none (a missing key, a run without equation).
    pub fn cell(&self, field: &Field) -> Option<Cell<'a>> {
        let s = self.summary;
        match field {
            Field::Name => Some(Cell::Text(&s.name)),
            Field::Status => s.status.map(|st| Cell::Text(st.as_str())),
            Field::Equation => s.equation.as_deref().map(Cell::Text),
            Field::Circuit => s.circuit.as_deref().map(Cell::Text),
            Field::Created => self.created.map(Cell::Time),
            Field::Results => Some(Cell::Number(s.result_count as f64)),
            // One value stands for the run when sorting: its first tag.
            Field::Tag => s.tags.first().map(|t| Cell::Text(t)),
            Field::Starred => Some(Cell::Bool(s.starred)),
            Field::Note => s.note.as_deref().map(Cell::Text),
            Field::Meta(key) => lookup(self.meta, self.symbols.key(key)?).map(Cell::of),
            Field::Stat(name) => lookup(self.stats, self.symbols.key(name)?).map(Cell::of),
        }
    }
}

/// Whether `word` is in `text`, ignoring case; without allocating when `word` is ASCII.
fn contains_folded(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return true;
    }
    if word.is_ascii() {
        let (text, word) = (text.as_bytes(), word.as_bytes());
        return text
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word));
    }
    text.to_lowercase().contains(&word.to_lowercase())
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
            Self::All | Self::Matches(..) | Self::Word(_) | Self::Has(_) => false,
        }
    }

    /// Whether the run matches, `now` being the time relative times count from (microseconds since 1970).
    pub fn matches(&self, row: &Row<'_>, now: i64) -> bool {
        match self {
            Self::All => true,
            Self::And(items) => items.iter().all(|e| e.matches(row, now)),
            Self::Or(items) => items.iter().any(|e| e.matches(row, now)),
            Self::Not(inner) => !inner.matches(row, now),
            // A run with many tags: `tag != x` holds when no tag is x; every other condition when one tag holds.
            Self::Compare(Field::Tag, Op::Ne, value) => !row.any(&Field::Tag, |cell| {
                compare(cell, value, now) == Some(Ordering::Equal)
            }),
            Self::Compare(field, op, value) => row.any(field, |cell| {
                compare(cell, value, now).is_some_and(|ordering| op_holds(*op, ordering))
            }),
            Self::In(field, values) => row.any(field, |cell| {
                values
                    .iter()
                    .any(|v| compare(cell, v, now) == Some(Ordering::Equal))
            }),
            Self::Range(field, lo, hi) => row.any(field, |cell| {
                compare(cell, lo, now).is_some_and(|o| o != Ordering::Less)
                    && compare(cell, hi, now).is_some_and(|o| o != Ordering::Greater)
            }),
            Self::Matches(field, pattern) => row.any(field, |cell| match cell {
                Cell::Text(t) => pattern.regex.is_match(t),
                Cell::Number(n) => pattern.regex.is_match(&n.to_string()),
                Cell::Bool(b) => pattern.regex.is_match(if *b { "true" } else { "false" }),
                Cell::Time(_) => false,
            }),
            Self::Has(result_type) => row
                .symbols
                .key(result_type)
                .is_some_and(|key| lookup(row.stats, key).is_some()),
            Self::Word(word) => {
                let s = row.summary;
                contains_folded(&s.name, word)
                    || s.equation
                        .as_deref()
                        .is_some_and(|e| contains_folded(e, word))
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
