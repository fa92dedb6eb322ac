//! The pyramid of a growing result kept whole in memory (`server::views`): made on its first view once it has
//! [`PYRAMID_FROM`] rows, and extended with the rows each append brings (the last leaf made again, new leaves and
//! the nodes above them), so that a view of a growing 10⁷-point series costs what a view of a finished one does.

use super::{leaf_for, lines_of, plotted, view, Counts, Pyramid, ReadRows, Slices, PYRAMID_FROM};
use crate::model::{FieldValue, NumArray, ResultPayload, ResultType};
use crate::plots::reduce::LineFields;
use crate::plots::view::PlotData;

/// A growing 1-D result's pyramid, and what its views hold besides.
pub struct GrowingPyramid {
    pyramid: Pyramid,
    fields: LineFields,
    /// The payload's fields the pyramid's fields are, in its order (x first when there is one).
    names: Vec<&'static str>,
    counts: Counts,
    /// Every other numeric field: its name, how many of its values were counted, and how many of those are
    /// NaN or infinite.
    others: Vec<(String, usize, usize)>,
}

/// A numeric field's shape and values, when it has `dims` dimensions.
fn numeric<'a>(
    payload: &'a ResultPayload,
    name: &str,
    dims: usize,
) -> Option<Option<&'a NumArray>> {
    match payload.field(name) {
        None => Some(None),
        Some(FieldValue::Array(a)) if a.shape.len() == dims => Some(Some(a)),
        Some(_) => None,
    }
}

/// The pyramid's fields of a payload, as they are now: (name, rows, width, values) of each, x first; `None`
/// when they are not what the plot draws (another type, missing, of other shapes or lengths).
#[allow(clippy::type_complexity)]
fn plotted_fields(payload: &ResultPayload) -> Option<(Vec<(&'static str, usize, &[f64])>, bool)> {
    let plotted = plotted(&payload.result_type)?;
    let mut fields = Vec::new();
    if let Some(x) = numeric(payload, plotted.axis, 1)? {
        fields.push((plotted.axis, x.shape[0], 1, x.values.as_slice()));
    }
    for (i, &(name, matrix)) in plotted.series.iter().enumerate() {
        match numeric(payload, name, if matrix { 2 } else { 1 })? {
            Some(a) => {
                let width = if matrix { a.shape[1] } else { 1 };
                fields.push((name, a.shape[0], width, a.values.as_slice()));
            }
            None if i > 0 => {}
            None => return None,
        }
    }
    let rows = fields.first()?.1;
    if fields
        .iter()
        .any(|&(_, n, width, values)| n != rows || width == 0 || values.len() != n * width)
    {
        return None;
    }
    let with_x = payload.field(plotted.axis).is_some();
    Some((
        fields
            .into_iter()
            .map(|(name, _, width, values)| (name, width, values))
            .collect(),
        with_x,
    ))
}

impl GrowingPyramid {
    /// The pyramid of a 1-D result in memory: `Err(true)` while it has fewer than [`PYRAMID_FROM`] rows (it may
    /// have one later), `Err(false)` when it cannot have one: another type, fields that are not what its plot
    /// draws (whose error the full reduction reports), or an x not sorted and finite.
    pub fn of(payload: &ResultPayload) -> Result<Self, bool> {
        let rows = plotted_fields(payload).map(|(fields, _)| fields[0].2.len() / fields[0].1);
        match rows {
            Some(rows) if rows < PYRAMID_FROM => Err(true),
            Some(_) => Self::made(payload).ok_or(false),
            None => Err(false),
        }
    }

    fn made(payload: &ResultPayload) -> Option<Self> {
        let plotted = plotted(&payload.result_type)?;
        let (fields, with_x) = plotted_fields(payload)?;
        let rows = fields[0].2.len() / fields[0].1;
        // An optimisation's parameter names must be a list of strings, one per parameter.
        let params = fields.iter().find(|f| f.0 == "params").map(|f| f.1);
        match payload.field("param_names") {
            Some(FieldValue::Json(text))
                if payload.result_type == ResultType::OptimizationResult =>
            {
                let names: Vec<String> = serde_json::from_str(text).ok()?;
                if params.is_some_and(|p| !names.is_empty() && names.len() != p) {
                    return None;
                }
            }
            Some(FieldValue::Array(_)) if payload.result_type == ResultType::OptimizationResult => {
                return None;
            }
            _ => {}
        }
        let first_series = usize::from(with_x);
        let series: Vec<(usize, usize)> = (first_series..fields.len())
            .map(|f| (f, fields[f].1))
            .collect();
        let lines = lines_of(&series, plotted.error);
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let source = Slices(fields.iter().map(|f| f.2).collect());
        let (pyramid, counts) = Pyramid::build(
            &source,
            (rows, leaf_for(rows), threads),
            fields.iter().map(|f| f.1).collect(),
            with_x.then_some(0),
            lines,
        )
        .ok()??;
        let error = plotted.error && series.len() == 2;
        let line_fields = LineFields {
            axis: plotted.axis,
            series: fields[first_series..]
                .iter()
                .map(|&(name, width, _)| (name, (name == "params").then_some(width)))
                .collect(),
            error: error.then(|| counts.error.stats()),
        };
        let names: Vec<&'static str> = fields.iter().map(|f| f.0).collect();
        let others = payload
            .fields
            .iter()
            .filter(|(name, _)| !names.contains(&name.as_str()))
            .filter_map(|(name, value)| match value {
                FieldValue::Array(a) => Some((
                    name.clone(),
                    a.values.len(),
                    a.values.iter().filter(|v| !v.is_finite()).count(),
                )),
                FieldValue::Json(_) => None,
            })
            .collect();
        Some(Self {
            pyramid,
            fields: line_fields,
            names,
            counts,
            others,
        })
    }

    /// How many rows it summarises.
    pub fn rows(&self) -> usize {
        self.pyramid.rows
    }

    /// Takes in the rows `payload` gained since; `false` when it can no longer serve it (its fields changed
    /// shape, or x is no longer sorted and finite).
    pub fn update(&mut self, payload: &ResultPayload) -> bool {
        let Some((fields, _)) = plotted_fields(payload) else {
            return false;
        };
        let names: Vec<&'static str> = fields.iter().map(|f| f.0).collect();
        let widths: Vec<usize> = fields.iter().map(|f| f.1).collect();
        if names != self.names || widths != self.pyramid.widths {
            return false;
        }
        let rows = fields[0].2.len() / fields[0].1;
        if rows < self.pyramid.rows {
            return false;
        }
        let source = Slices(fields.iter().map(|f| f.2).collect());
        let extended = self.pyramid.extend(&source, rows, &mut self.counts);
        if !matches!(extended, Ok(true)) {
            return false;
        }
        if let Some(stats) = self.fields.error.as_mut() {
            *stats = self.counts.error.stats();
        }
        for (name, counted, non_finite) in &mut self.others {
            let Some(FieldValue::Array(a)) = payload.field(name) else {
                continue;
            };
            if a.values.len() < *counted {
                (*counted, *non_finite) = (0, 0);
            }
            *non_finite += a.values[*counted..]
                .iter()
                .filter(|v| !v.is_finite())
                .count();
            *counted = a.values.len();
        }
        true
    }

    /// The view of `payload` (the one it was made or last updated from) for a plot `columns` pixels wide
    /// showing `view`, as `reduce_for_view` makes it.
    pub fn view(
        &self,
        payload: &ResultPayload,
        columns: usize,
        window: Option<(f64, f64)>,
    ) -> Result<PlotData, String> {
        let (fields, _) = plotted_fields(payload).ok_or("the result's fields changed")?;
        let widths = &self.pyramid.widths;
        let mut read = |field: usize, from: usize, count: usize| -> Result<Vec<f64>, String> {
            let width = widths[field];
            fields[field]
                .2
                .get(from * width..(from + count) * width)
                .map(<[f64]>::to_vec)
                .ok_or_else(|| "rows beyond the result's end".to_owned())
        };
        let out = payload.with_fields(payload.param_names_field());
        let non_finite = self.counts.non_finite.iter().sum::<usize>()
            + self.others.iter().map(|o| o.2).sum::<usize>();
        let read: &mut ReadRows<'_> = &mut read;
        view(
            &self.pyramid,
            &self.fields,
            (out, non_finite),
            read,
            columns,
            window,
        )
    }
}
