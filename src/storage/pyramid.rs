//! Pyramids of long 1-D results (`plots::pyramid`), built from their array files and read back through them.
//!
//! [`AsgardStorage::line_pyramid`] builds the pyramid of a `Solution1D`, `DiscreteSequence` or
//! `OptimizationResult` whose plotted fields are `.npy` files of at least [`PYRAMID_FROM`] rows over a sorted,
//! finite x (or none: the row numbers): one pass over the files, a block at a time on every core, never
//! holding the arrays. [`LinePyramid::view`] then makes any view of it from the trees and the few leaves of raw
//! values at its column boundaries, read with `pread` from the same files. Anything else (inline arrays, an
//! unsorted x, a Fortran-ordered matrix, a malformed result) has no pyramid: its views are made from the full
//! data, as before, which is also where a malformed result's error comes from. Large heatmaps have pyramids
//! of their own (`grid`); [`AsgardStorage::pyramid`] builds whichever a result can have.

use std::fs::File;
use std::path::PathBuf;

use super::format::{NpyRef, ResultRecord};
use super::npy;
use super::npy_header::NpyHeader;
use super::{AsgardStorage, Error, Result};
use crate::model::{FieldValue, ResultId, ResultPayload, ResultType};
pub use crate::plots::pyramid::PYRAMID_FROM;
use crate::plots::pyramid::{leaf_for, lines_of, plotted, Pyramid, ReadRows, Source};
use crate::plots::reduce::LineFields;
use crate::plots::view::{PlotData, Zoom};

mod grid;

pub use grid::{HeatmapPyramid, GRID_PYRAMID_FROM};

/// The pyramid of a long 1-D result or of a large heatmap.
#[derive(Clone, Debug)]
pub enum ResultPyramid {
    Line(LinePyramid),
    Heatmap(HeatmapPyramid),
}

impl ResultPyramid {
    /// The memory it holds.
    pub fn bytes(&self) -> usize {
        match self {
            Self::Line(p) => p.bytes(),
            Self::Heatmap(p) => p.bytes(),
        }
    }

    /// The view `plots::reduce::reduce_for_view` makes of the result for a plot `columns` pixels wide showing
    /// `zoom`, made from the pyramid; `None` when the full data makes it (a whole heatmap that fits the plot).
    pub fn view(
        &self,
        storage: &AsgardStorage,
        columns: usize,
        zoom: Zoom,
    ) -> Result<Option<PlotData>> {
        match self {
            Self::Line(p) => p.view(storage, columns, zoom.x).map(Some),
            Self::Heatmap(p) => p.view(storage, columns, zoom),
        }
    }
}

/// An array file a pyramid reads its raw leaves from.
#[derive(Clone, Debug)]
struct ArrayFile {
    rel: PathBuf,
    header: NpyHeader,
}

/// The pyramid of a long 1-D result, and what a view of it holds besides the columns.
#[derive(Clone, Debug)]
pub struct LinePyramid {
    /// The result without its plotted fields (a view adds them), with the fields sent as they are.
    head: ResultPayload,
    fields: LineFields,
    files: Vec<ArrayFile>,
    pyramid: Pyramid,
    /// NaN and infinite values in the whole result.
    non_finite: usize,
}

/// The array files of a pyramid, open.
struct Opened<'a> {
    files: &'a [ArrayFile],
    opened: Vec<File>,
}

impl<'a> Opened<'a> {
    fn new(storage: &AsgardStorage, files: &'a [ArrayFile]) -> Result<Self> {
        let opened = files
            .iter()
            .map(|f| {
                storage.open_file(&f.rel)?.ok_or_else(|| Error::Corrupt {
                    path: f.rel.clone(),
                    message: "the array file is gone".into(),
                })
            })
            .collect::<Result<Vec<File>>>()?;
        Ok(Self { files, opened })
    }
}

impl Source for Opened<'_> {
    fn read(&self, field: usize, skip: usize, out: &mut [f64]) -> std::io::Result<()> {
        npy::read_at(&self.opened[field], &self.files[field].header, skip, out)
    }
}

impl LinePyramid {
    /// The memory it holds.
    pub fn bytes(&self) -> usize {
        self.pyramid.bytes() + std::mem::size_of::<Self>()
    }

    /// How many rows it summarises.
    pub fn rows(&self) -> usize {
        self.pyramid.rows
    }

    /// The view `plots::reduce::reduce_for_view` makes of the result for a plot `columns` pixels wide showing
    /// `view` (default: everything), made from the pyramid and a few leaves of its files.
    pub fn view(
        &self,
        storage: &AsgardStorage,
        columns: usize,
        view: Option<(f64, f64)>,
    ) -> Result<PlotData> {
        let opened = Opened::new(storage, &self.files)?;
        let widths = &self.pyramid.widths;
        let mut read = |field: usize, from: usize, count: usize| -> Result<Vec<f64>, String> {
            let width = widths[field];
            let mut values = vec![0.0; count * width];
            opened
                .read(field, from * width, &mut values)
                .map_err(|e| format!("{}: {e}", self.files[field].rel.display()))?;
            Ok(values)
        };
        let read: &mut ReadRows<'_> = &mut read;
        crate::plots::pyramid::view(
            &self.pyramid,
            &self.fields,
            (self.head.clone(), self.non_finite),
            read,
            columns,
            view,
        )
        .map_err(|message| Error::Corrupt {
            path: AsgardStorage::rel_result(self.head.id),
            message,
        })
    }
}

/// A result without its fields: what a view adds its fields to.
fn head_of(record: &ResultRecord) -> ResultPayload {
    ResultPayload {
        id: record.id,
        run_id: record.run_id,
        result_type: record.result_type.clone(),
        timestamp: record.timestamp.clone(),
        display_json: record.display.to_string(),
        fields: Vec::new(),
    }
}

impl AsgardStorage {
    /// The array file a field's `value` refers to, with its header; `None` unless it is a `.npy` file of result
    /// `id` with a sound header (a view is then made from the full data, which says what is wrong).
    fn array_file(&self, id: ResultId, value: &serde_json::Value) -> Result<Option<ArrayFile>> {
        let Some(Ok(reference)) = NpyRef::from_value(value) else {
            return Ok(None);
        };
        if !reference.belongs_to(id) {
            return Ok(None);
        }
        let rel = PathBuf::from("files").join(&reference.file);
        let Some(mut file) = self.open_file(&rel)? else {
            return Ok(None);
        };
        Ok(npy::read_header(&mut file)
            .ok()
            .map(|header| ArrayFile { rel, header }))
    }

    /// The pyramid of result `id`, built from its array files: a heatmap's (`grid`) or a 1-D result's; `None`
    /// when it cannot have one. Reads every value once, a block at a time on every core.
    pub fn pyramid(&self, id: ResultId) -> Result<Option<ResultPyramid>> {
        let record = self.read_result(id)?;
        Ok(match record.result_type {
            ResultType::Solution2D => self.heatmap_pyramid(&record)?.map(ResultPyramid::Heatmap),
            _ => self.line_pyramid_of(record)?.map(ResultPyramid::Line),
        })
    }

    /// The pyramid of 1-D result `id`, built from its array files; `None` when it cannot have one (see the
    /// module's documentation). Reads every value once, a block at a time on every core.
    pub fn line_pyramid(&self, id: ResultId) -> Result<Option<LinePyramid>> {
        self.line_pyramid_of(self.read_result(id)?)
    }

    fn line_pyramid_of(&self, record: ResultRecord) -> Result<Option<LinePyramid>> {
        let id = record.id;
        let Some(plotted) = plotted(&record.result_type) else {
            return Ok(None);
        };
        if record.growing.is_some() {
            return Ok(None);
        }
        // The plotted fields' files, x first when there is one; each must be a sound array file of this result.
        let mut files = Vec::new();
        let mut widths = Vec::new();
        let mut rows = None;
        let mut open = |name: &str, matrix: bool| -> Result<Option<Option<usize>>> {
            let Some(value) = record.data.get(name) else {
                return Ok(Some(None));
            };
            let Some(ArrayFile { rel, header }) = self.array_file(id, value)? else {
                return Ok(None);
            };
            let width = match (header.shape.as_slice(), matrix) {
                ([_], false) => 1,
                ([_, p], true) if !header.fortran_order || *p == 1 => *p,
                _ => return Ok(None),
            };
            let n = header.shape[0];
            if *rows.get_or_insert(n) != n || width == 0 {
                return Ok(None);
            }
            files.push(ArrayFile { rel, header });
            widths.push(width);
            Ok(Some(Some(files.len() - 1)))
        };
        let Some(x) = open(plotted.axis, false)? else {
            return Ok(None);
        };
        let mut series = Vec::new();
        for (i, &(name, matrix)) in plotted.series.iter().enumerate() {
            match open(name, matrix)? {
                Some(Some(field)) => series.push((name, matrix, field)),
                Some(None) if i > 0 => {}
                _ => return Ok(None),
            }
        }
        let rows = rows.unwrap_or(0);
        if rows < PYRAMID_FROM {
            return Ok(None);
        }
        // An optimisation's parameter names travel as they are; they must match the parameters.
        let mut head = head_of(&record);
        let mut non_finite = 0;
        for (name, value) in &record.data {
            if name == plotted.axis || plotted.series.iter().any(|(s, _)| s == name) {
                continue;
            }
            let field = self.read_field(id, name, value)?;
            match (&field, name.as_str()) {
                (FieldValue::Json(text), "param_names")
                    if record.result_type == ResultType::OptimizationResult =>
                {
                    let Ok(names) = serde_json::from_str::<Vec<String>>(text) else {
                        return Ok(None);
                    };
                    let p = series.iter().find(|s| s.1).map(|s| widths[s.2]);
                    if p.is_some_and(|p| !names.is_empty() && names.len() != p) {
                        return Ok(None);
                    }
                    head.fields.push((name.clone(), field));
                }
                (FieldValue::Array(a), _) => {
                    non_finite += a.values.iter().filter(|v| !v.is_finite()).count();
                    if name == "param_names" {
                        return Ok(None);
                    }
                }
                _ => {}
            }
        }
        let lines = lines_of(
            &series
                .iter()
                .map(|&(_, _, field)| (field, widths[field]))
                .collect::<Vec<_>>(),
            plotted.error,
        );
        let error = plotted.error && series.len() == 2;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let built = Pyramid::build(
            &Opened::new(self, &files)?,
            (rows, leaf_for(rows), threads),
            widths,
            x,
            lines,
        )
        .map_err(|(f, source)| Error::Io {
            path: files[f].rel.clone(),
            source,
        })?;
        let Some((pyramid, counts)) = built else {
            return Ok(None);
        };
        let fields = LineFields {
            axis: plotted.axis,
            series: series
                .iter()
                .map(|&(name, matrix, field)| {
                    let name: &'static str = plotted
                        .series
                        .iter()
                        .find(|(s, _)| *s == name)
                        .map_or("", |(s, _)| s);
                    (name, matrix.then_some(pyramid.widths[field]))
                })
                .collect(),
            error: error.then(|| counts.error.stats()),
        };
        Ok(Some(LinePyramid {
            head,
            fields,
            files,
            pyramid,
            non_finite: non_finite + counts.non_finite.iter().sum::<usize>(),
        }))
    }
}

#[cfg(test)]
pub(crate) mod tests;
