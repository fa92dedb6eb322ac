//! The run list as a table: chosen columns (`meta.dt`, `results`…), groups with their counts and statistics,
//! and the fields a storage's runs have, with how many runs have each.

use std::cmp::Ordering;

use super::{Entry, Index, Runs};
use crate::model::summary::STATISTICS;
use crate::model::{CellValue, Column, FieldCount, Group, RunSummary, Stats, ValueCount};
use crate::query::{compare_cells, Cell, Field, ListRequest, SortKey, FIELDS};

/// One page of a table: its runs, how many match in all, its columns, and the groups of all matching runs.
#[derive(Debug, Default)]
pub struct Table {
    pub runs: Vec<RunSummary>,
    pub total: usize,
    pub columns: Vec<Column>,
    pub groups: Vec<Group>,
    /// The group of each run of `runs`.
    pub group_of: Vec<usize>,
}

impl Table {
    /// The table as CSV: each run's id, name, timestamp, status, result count, tags (`;` between them), star and
    /// note, then the chosen columns, one line per run in the table's order.
    pub fn to_csv(&self) -> String {
        let mut out = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> = [
            "id", "name", "created", "status", "results", "tags", "starred", "note",
        ]
        .map(str::to_owned)
        .to_vec();
        header.extend(self.columns.iter().map(|c| c.field.clone()));
        out.write_record(&header).expect("writing to memory");
        for (i, run) in self.runs.iter().enumerate() {
            let mut record = vec![
                run.id.to_string(),
                run.name.clone(),
                run.timestamp.clone(),
                run.status
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                run.result_count.to_string(),
                run.tags.join(";"),
                run.starred.to_string(),
                run.note.clone().unwrap_or_default(),
            ];
            record.extend(self.columns.iter().map(|c| {
                c.values[i]
                    .as_ref()
                    .map(CellValue::to_string)
                    .unwrap_or_default()
            }));
            out.write_record(&record).expect("writing to memory");
        }
        String::from_utf8(out.into_inner().expect("writing to memory"))
            .expect("the fields are text")
    }
}

/// How many metadata keys the list of fields names at most (the most common first).
const MAX_FIELDS: usize = 500;

/// A run's value of `field` as the table shows it (its timestamp as written, for `created`; tags joined).
fn value(e: &Entry, runs: &Runs, field: &Field) -> Option<CellValue> {
    match field {
        Field::Created => Some(CellValue::Text(e.summary.timestamp.clone())),
        Field::Tag if !e.summary.tags.is_empty() => {
            Some(CellValue::Text(e.summary.tags.join(", ")))
        }
        field => runs.row(e).cell(field).map(|cell| match cell {
            Cell::Number(n) => CellValue::number(n),
            Cell::Text(t) => CellValue::Text(t.to_owned()),
            Cell::Bool(b) => CellValue::Bool(b),
            Cell::Time(_) => CellValue::Text(e.summary.timestamp.clone()),
        }),
    }
}

impl Index {
    /// `limit` runs from the `offset`th of what `request` asks for, with their columns and every group.
    /// Grouped runs are sorted by the group's value first, then by `sort`.
    pub fn table(&self, request: &ListRequest, offset: usize, limit: usize, now: i64) -> Table {
        let mut keys = Vec::new();
        if let Some(group) = &request.group {
            keys.push(SortKey {
                field: group.clone(),
                descending: false,
            });
        }
        keys.extend(request.sort.iter().cloned());
        let runs = self.runs.read().expect("index lock poisoned");
        let ids = self.matching_ids(&runs, &request.query, &keys, now);
        let start = offset.min(ids.len());
        let end = start.saturating_add(limit).min(ids.len());
        let page: Vec<&Entry> = ids[start..end]
            .iter()
            .filter_map(|id| runs.get(id))
            .collect();
        let columns = request
            .columns
            .iter()
            .map(|field| Column {
                field: field.to_string(),
                values: page.iter().map(|e| value(e, &runs, field)).collect(),
            })
            .collect();
        let (groups, group_of) = match &request.group {
            None => (Vec::new(), Vec::new()),
            Some(field) => {
                let all: Vec<&Entry> = ids.iter().filter_map(|id| runs.get(id)).collect();
                let (groups, starts) = groups(&all, &runs, field, &request.columns);
                // The group of each run of the page: the last group starting at or before its place.
                let group_of = (start..start + page.len())
                    .map(|at| starts.partition_point(|&s| s <= at).saturating_sub(1))
                    .collect();
                (groups, group_of)
            }
        };
        Table {
            runs: page.iter().map(|e| e.summary.clone()).collect(),
            total: ids.len(),
            columns,
            groups,
            group_of,
        }
    }

    /// Every field the runs can be shown or grouped by, with how many runs have it: the fixed fields, the result
    /// statistics some run has, then each metadata key (as `meta.<key>`), the most common first.
    pub fn fields(&self) -> Vec<FieldCount> {
        let runs = self.runs.read().expect("index lock poisoned");
        let mut counts: std::collections::HashMap<crate::query::Key, usize> = Default::default();
        let mut stat_counts: std::collections::HashMap<crate::query::Key, usize> =
            Default::default();
        for e in runs.entries() {
            for (key, _) in runs.meta(e) {
                *counts.entry(*key).or_default() += 1;
            }
            for (key, _) in runs.stats(e) {
                *stat_counts.entry(*key).or_default() += 1;
            }
        }
        // The statistics some run has, in the order of their documentation.
        let stats = STATISTICS.iter().filter_map(|s| {
            let n = stat_counts.get(&runs.symbols.key(s.name)?)?;
            Some(FieldCount {
                field: s.name.to_owned(),
                runs: *n,
            })
        });
        let mut meta: Vec<FieldCount> = counts
            .into_iter()
            .map(|(key, n)| FieldCount {
                field: format!("meta.{}", runs.symbols.name(key)),
                runs: n,
            })
            .collect();
        meta.sort_by(|a, b| b.runs.cmp(&a.runs).then_with(|| a.field.cmp(&b.field)));
        meta.truncate(MAX_FIELDS);
        let total = runs.len();
        let tagged = runs
            .entries()
            .iter()
            .filter(|e| !e.summary.tags.is_empty())
            .count();
        let noted = runs
            .entries()
            .iter()
            .filter(|e| e.summary.note.is_some())
            .count();
        FIELDS
            .iter()
            .map(|f| FieldCount {
                field: (*f).to_owned(),
                runs: match *f {
                    "tag" => tagged,
                    "note" => noted,
                    _ => total,
                },
            })
            .chain(stats)
            .chain(meta)
            .collect()
    }
}

impl Index {
    /// The `limit` most frequent values of `field` among all runs, each with how many runs have it (most first,
    /// then in the order values sort), for the query bar's suggestions. Times are not suggested.
    pub fn frequent_values(&self, field: &Field, limit: usize) -> Vec<ValueCount> {
        if *field == Field::Created {
            return Vec::new();
        }
        let runs = self.runs.read().expect("index lock poisoned");
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        for e in runs.entries() {
            match field {
                Field::Tag => {
                    for tag in &e.summary.tags {
                        *counts.entry(tag.clone()).or_default() += 1;
                    }
                }
                field => {
                    if let Some(value) = value(e, &runs, field) {
                        *counts.entry(value.to_string()).or_default() += 1;
                    }
                }
            }
        }
        let mut values: Vec<ValueCount> = counts
            .into_iter()
            .map(|(value, runs)| ValueCount { value, runs })
            .collect();
        values.sort_by(|a, b| b.runs.cmp(&a.runs).then_with(|| a.value.cmp(&b.value)));
        values.truncate(limit);
        values
    }
}

/// The groups of `all` (sorted by `field` first) and the place where each starts; each group's count and, per
/// column, the statistics of its finite numbers.
fn groups(
    all: &[&Entry],
    runs: &Runs,
    field: &Field,
    columns: &[Field],
) -> (Vec<Group>, Vec<usize>) {
    let ascending = [SortKey {
        field: field.clone(),
        descending: false,
    }];
    let mut groups: Vec<Group> = Vec::new();
    let mut starts = Vec::new();
    let mut previous: Option<Vec<Option<Cell<'_>>>> = None;
    let mut sums: Vec<(usize, f64, f64, f64)> = Vec::new();
    let finish = |group: &mut Group, sums: &[(usize, f64, f64, f64)]| {
        group.stats = sums
            .iter()
            .map(|&(count, sum, min, max)| {
                (count > 0).then(|| Stats {
                    count,
                    mean: sum / count as f64,
                    min,
                    max,
                })
            })
            .collect();
    };
    for (at, e) in all.iter().enumerate() {
        let cells = vec![runs.row(e).cell(field)];
        let same = previous
            .as_ref()
            .is_some_and(|p| compare_cells(p, &cells, &ascending) == Ordering::Equal);
        if !same {
            if let Some(group) = groups.last_mut() {
                finish(group, &sums);
            }
            groups.push(Group {
                value: value(e, runs, field),
                count: 0,
                stats: Vec::new(),
            });
            starts.push(at);
            sums = vec![(0, 0.0, f64::INFINITY, f64::NEG_INFINITY); columns.len()];
            previous = Some(cells);
        }
        let group = groups.last_mut().expect("a group was just started");
        group.count += 1;
        for (column, sum) in columns.iter().zip(sums.iter_mut()) {
            if let Some(Cell::Number(n)) = runs.row(e).cell(column) {
                if n.is_finite() {
                    *sum = (sum.0 + 1, sum.1 + n, sum.2.min(n), sum.3.max(n));
                }
            }
        }
    }
    if let Some(group) = groups.last_mut() {
        finish(group, &sums);
    }
    (groups, starts)
}
