//! The run query language: one grammar for the dashboard and `GET /api/runs?q=…&sort=…` (docs/query.md).
//!
//! `status = failed AND meta.dt < 1e-3`, `name ~ /heat.*2d/`, `meta.solver IN [rk4, euler]`,
//! `meta.dt in 1e-4..1e-2`, `created > -2h`, `NOT results = 0`, bare words matching the name or equation.
//! [`parse`] turns text into an [`Expr`] (or a [`QueryError`] with the byte span of the offending token),
//! [`Expr::matches`] evaluates it against a run's [`Row`], and an [`Expr`] prints back to a query that parses to
//! the same tree. Parsing is bounded: at most [`MAX_QUERY_BYTES`] of text and [`MAX_DEPTH`] levels of nesting,
//! and regular expressions run in linear time with a bounded size, so no query can crash or hang a request.

mod ast;
mod eval;
mod lex;
mod meta;
mod parse;
mod sort;
#[cfg(test)]
mod tests;

pub use ast::{Expr, Field, Literal, Op, Pattern, FIELDS};
pub use eval::{Cell, Row};
pub use meta::{lookup, Key, Pairs, Scalar, Symbols};
pub use parse::parse;
pub use sort::{compare_cells, parse_fields, parse_sort, sort_cells, SortKey};

/// The longest query accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// The deepest nesting of parentheses and `NOT` accepted.
pub const MAX_DEPTH: usize = 64;

/// The `q` and `sort` of a request (API or dashboard): `None` when both are empty, for the whole list newest
/// first. A mistake in `sort` says so (`in `sort`: …`), its span counted in the `sort` text.
pub fn request(q: &str, sort: &str) -> Result<Option<(Expr, Vec<SortKey>)>, QueryError> {
    if q.trim().is_empty() && sort.trim().is_empty() {
        return Ok(None);
    }
    let query = parse(q)?;
    let keys = parse_sort(sort).map_err(|e| QueryError {
        message: format!("in `sort`: {}", e.message),
        ..e
    })?;
    Ok(Some((query, keys)))
}

/// What the run list shows (`/?q=…&sort=…&cols=…&group=…`): the runs `query` matches in the order of `sort`,
/// with `columns`, grouped by `group`.
#[derive(Clone, Debug)]
pub struct ListRequest {
    pub query: Expr,
    pub sort: Vec<SortKey>,
    pub columns: Vec<Field>,
    pub group: Option<Field>,
}

/// Reads the run list's parameters; `None` when all are empty (every run, newest first, no columns). A mistake
/// in `sort`, `cols` or `group` says which (`in `cols`: …`), its span counted in that parameter's text.
pub fn list_request(
    q: &str,
    sort: &str,
    cols: &str,
    group: &str,
) -> Result<Option<ListRequest>, QueryError> {
    let columns = parse_fields(cols, "cols")?;
    let groups = parse_fields(group, "group")?;
    if groups.len() > 1 {
        return Err(QueryError::new(
            "in `group`: one field, e.g. `meta.solver`",
            (0, group.len()),
        ));
    }
    match request(q, sort)? {
        None if columns.is_empty() && groups.is_empty() => Ok(None),
        found => {
            let (query, sort) =
                found.unwrap_or_else(|| (Expr::All, parse_sort("").expect("the empty sort reads")));
            Ok(Some(ListRequest {
                query,
                sort,
                columns,
                group: groups.into_iter().next(),
            }))
        }
    }
}

/// A query that cannot be read: what is wrong and where (a byte range of the query text).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at {start}..{end})")]
pub struct QueryError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

impl QueryError {
    pub(crate) fn new(message: impl Into<String>, (start, end): (usize, usize)) -> Self {
        Self {
            message: message.into(),
            start,
            end,
        }
    }
}
