//! What the server sends a plot: a result's fields as the plot needs them (cut to the view, or reduced to the
//! canvas) and, when it reduced them, what the reduction knows that the fields alone cannot say — typed, so the
//! browser reads it as it was made. Types only, built for both targets: the reducers (`plots::reduce`, on the
//! server) make them and the renderers read them.

use serde::{Deserialize, Serialize};

use crate::model::{FieldValue, NumArray, ResultPayload};

/// A result as a plot draws it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlotData {
    /// The result; when reduced, each 1-D series holds one mean per pixel column and a grid one cell per block.
    pub payload: ResultPayload,
    /// How many NaN or infinite values the full data holds: plots skip them and say so.
    pub non_finite: usize,
    /// What the reduction knows, when the server reduced the data.
    pub reduction: Option<Reduction>,
}

/// How often, at most, a plot of a growing result takes its whole view again when its data is reduced: each
/// such view is what the canvas shows (tens of kilobytes), and a few a second follow any rate of writing.
pub const WHOLE_VIEW_EVERY_MS: u64 = 250;

/// What the server answers a plot of a growing result that asks what is new: only the rows it lacks while its
/// data comes whole (not reduced), else the whole view again (which is what the canvas shows, however many rows
/// were written).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ViewUpdate {
    Whole(Box<PlotData>),
    /// Each numeric field's rows after those the plot has (fields without new rows are absent), and the
    /// count of NaN and infinite values in the whole data now.
    Rows {
        fields: Vec<(String, NumArray)>,
        non_finite: usize,
    },
}

/// What a reduction knows beside the reduced fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reduction {
    /// Series over an x axis reduced to pixel columns (`Solution1D`, `DiscreteSequence`, `OptimizationResult`).
    Columns(Columns),
    /// A grid, or every frame of an animation, reduced to one cell per block.
    Grid(Grid),
    /// A long `StochasticEnsemble`: its statistics over every path, and a sample of the paths.
    Ensemble(ReducedEnsemble),
}

/// Series reduced to pixel columns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Columns {
    /// How many points the columns stand for.
    pub points: usize,
    /// Each series' smallest and largest value per column.
    pub bands: Bands,
    /// `Solution1D` with `expected`: the error, computed from the full data.
    pub error: Option<ColumnError>,
}

/// The error `computed − expected` of a reduced `Solution1D`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnError {
    /// The error's mean per column (its band is `bands.get(ERROR)`).
    pub mean: Vec<f64>,
    /// The largest absolute error and the root-mean-square error over the full data.
    pub stats: Option<(f64, f64)>,
}

/// The band name of a reduced `Solution1D`'s error.
pub const ERROR: &str = "error";

/// Per column, the smallest and largest values of each series, by name; the columns of a matrix field `name`
/// are named `name[j]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bands(Vec<(String, Vec<f64>, Vec<f64>)>);

impl Bands {
    pub fn push(&mut self, name: impl Into<String>, min: Vec<f64>, max: Vec<f64>) {
        self.0.push((name.into(), min, max));
    }

    /// The (min, max) of each column of series `name`.
    pub fn get(&self, name: &str) -> Option<(&[f64], &[f64])> {
        self.0
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, min, max)| (min.as_slice(), max.as_slice()))
    }
}

/// What part of a result a plot shows: its x range (every plot over x, and a heatmap's columns) and its y
/// range (a heatmap's rows); `None`: all of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Zoom {
    pub x: Option<(f64, f64)>,
    pub y: Option<(f64, f64)>,
}

impl From<Option<(f64, f64)>> for Zoom {
    /// An x range alone.
    fn from(x: Option<(f64, f64)>) -> Self {
        Self { x, y: None }
    }
}

impl Zoom {
    /// Whether it shows a part only.
    pub fn is_zoomed(&self) -> bool {
        self.x.is_some() || self.y.is_some()
    }
}

/// A grid reduced to one cell per block, or a part of it (a zoom).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// The full grid's (rows, columns).
    pub full: (usize, usize),
    /// How many (rows, columns) of cells each cell sent stands for: (1, 1) for a zoom shown cell by cell.
    pub block: (usize, usize),
    /// The smallest and largest finite value of the full grid (of all frames), for the colour scale.
    pub scale: (f64, f64),
}

/// A reduced ensemble's statistics, per column of the paths' plot, computed over every path at every time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReducedEnsemble {
    pub mean: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// The values of every path at the histogram's time, and that time.
    pub histogram: Vec<f64>,
    pub histogram_t: f64,
    /// How many paths and times the full ensemble has.
    pub paths: usize,
    pub times: usize,
}

impl PlotData {
    /// A result as it is, not reduced.
    pub fn raw(payload: ResultPayload) -> Self {
        Self {
            non_finite: payload.non_finite_count(),
            payload,
            reduction: None,
        }
    }

    /// How many rows (the first axis) each numeric field has: what a plot tells the server it holds.
    pub fn rows_held(&self) -> Vec<(String, u64)> {
        self.payload
            .fields
            .iter()
            .filter_map(|(name, value)| match value {
                FieldValue::Array(a) => {
                    Some((name.clone(), a.shape.first().copied().unwrap_or(0) as u64))
                }
                FieldValue::Json(_) => None,
            })
            .collect()
    }

    /// The rows of this (whole, not reduced) data after those `held` says a plot has, if the plot's fields are
    /// a beginning of these: the same fields, each with at most as many rows and rows of the same shape.
    /// `None` when they are not (the plot must take the whole view).
    pub fn rows_after(&self, held: &[(String, u64)]) -> Option<Vec<(String, NumArray)>> {
        // A field's snapshot is one of its rows, chosen on the server: the plot takes the whole view.
        if self.reduction.is_some()
            || self.payload.result_type == crate::model::ResultType::Solution2D
        {
            return None;
        }
        let arrays: Vec<(&String, &NumArray)> = self
            .payload
            .fields
            .iter()
            .filter_map(|(name, value)| match value {
                FieldValue::Array(a) => Some((name, a)),
                FieldValue::Json(_) => None,
            })
            .collect();
        if arrays.len() != held.len() {
            return None;
        }
        let mut rows = Vec::new();
        for (name, array) in arrays {
            let (_, have) = held.iter().find(|(n, _)| n == name)?;
            let now = *array.shape.first()? as u64;
            if now < *have {
                return None;
            }
            if now > *have {
                rows.push((name.clone(), array.rows_from(*have as usize)));
            }
        }
        Some(rows)
    }

    /// Adds rows that [`Self::rows_after`] gave to this data.
    pub fn append_rows(
        &mut self,
        rows: &[(String, NumArray)],
        non_finite: usize,
    ) -> Result<(), String> {
        for (name, more) in rows {
            match self.payload.fields.iter_mut().find(|(n, _)| n == name) {
                Some((_, FieldValue::Array(have))) => have.append_rows(more)?,
                _ => {
                    return Err(format!(
                        "new rows for a field `{name}` this plot does not have"
                    ))
                }
            }
        }
        self.non_finite = non_finite;
        Ok(())
    }

    /// The columns of reduced series, if that is what the data is.
    pub fn columns(&self) -> Option<&Columns> {
        match &self.reduction {
            Some(Reduction::Columns(c)) => Some(c),
            _ => None,
        }
    }

    /// The reduction of a grid, if that is what the data is.
    pub fn grid(&self) -> Option<&Grid> {
        match &self.reduction {
            Some(Reduction::Grid(g)) => Some(g),
            _ => None,
        }
    }

    /// A reduced ensemble's statistics, if that is what the data is.
    pub fn ensemble(&self) -> Option<&ReducedEnsemble> {
        match &self.reduction {
            Some(Reduction::Ensemble(e)) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ResultId, ResultType, RunId};

    fn data(rows: usize) -> PlotData {
        let loss: Vec<f64> = (0..rows).map(|i| 1.0 / (i + 1) as f64).collect();
        let params: Vec<f64> = (0..rows * 2).map(|i| i as f64).collect();
        PlotData::raw(ResultPayload {
            id: ResultId(uuid::Uuid::nil()),
            run_id: RunId(uuid::Uuid::nil()),
            result_type: ResultType::OptimizationResult,
            timestamp: String::new(),
            display_json: "{}".into(),
            fields: vec![
                (
                    "param_names".into(),
                    FieldValue::Json(r#"["a","b"]"#.into()),
                ),
                (
                    "loss".into(),
                    FieldValue::Array(NumArray {
                        shape: vec![rows],
                        dtype: "<f8".into(),
                        values: loss,
                    }),
                ),
                (
                    "params".into(),
                    FieldValue::Array(NumArray {
                        shape: vec![rows, 2],
                        dtype: "<f8".into(),
                        values: params,
                    }),
                ),
            ],
        })
    }

    #[test]
    fn a_plot_that_holds_the_first_rows_gets_only_the_rest_and_ends_with_the_whole() {
        let (old, new) = (data(3), data(7));
        let held = old.rows_held();
        assert_eq!(held, vec![("loss".to_owned(), 3), ("params".to_owned(), 3)]);
        let rows = new.rows_after(&held).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1.shape, vec![4]);
        assert_eq!(rows[1].1.shape, vec![4, 2]);
        let mut grown = old.clone();
        grown.append_rows(&rows, 0).unwrap();
        assert_eq!(grown, new);
        assert_eq!(
            new.rows_after(&new.rows_held()),
            Some(Vec::new()),
            "nothing new"
        );
    }

    #[test]
    fn a_plot_that_holds_more_or_other_fields_takes_the_whole_view() {
        let (old, new) = (data(5), data(3));
        assert_eq!(
            new.rows_after(&old.rows_held()),
            None,
            "fewer rows than held"
        );
        let mut held = old.rows_held();
        held[0].0 = "other".into();
        assert_eq!(data(6).rows_after(&held), None, "another field");
        let mut reduced = data(6);
        reduced.reduction = Some(Reduction::Columns(Columns::default()));
        assert_eq!(reduced.rows_after(&old.rows_held()), None, "a reduced view");
    }
}
