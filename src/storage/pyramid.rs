//! Pyramids of long 1-D results (`plots::pyramid`), built from their array files and read back through them.
//!
//! [`AsgardStorage::line_pyramid`] builds the pyramid of a `Solution1D`, `DiscreteSequence` or
//! `OptimizationResult` whose plotted fields are `.npy` files of at least [`PYRAMID_FROM`] rows over a sorted,
//! finite x (or none: the row numbers): one pass over the files, a block at a time on every core, never
//! holding the arrays. [`LinePyramid::view`] then makes any view of it from the trees and the few leaves of raw
//! values at its column boundaries, read with `pread` from the same files. Anything else (inline arrays, an
//! unsorted x, a Fortran-ordered matrix, a malformed result) has no pyramid: its views are made from the full
//! data, as before, which is also where a malformed result's error comes from.

use std::fs::File;
use std::path::PathBuf;

use super::format::NpyRef;
use super::npy;
use super::npy_header::NpyHeader;
use super::{AsgardStorage, Error, Result};
use crate::model::{FieldValue, ResultId, ResultPayload, ResultType};
use crate::plots::pyramid::{leaf_for, Axis, Line, Node, Pyramid, Tree, LEAF};
use crate::plots::reduce::LineFields;
use crate::plots::stats::finite_range;
use crate::plots::view::PlotData;

/// From how many rows a result gets a pyramid: below, a reduction of every value takes about a millisecond.
pub const PYRAMID_FROM: usize = 1 << 16;

/// Rows read at a time while building, per field (rounded up to whole leaves).
const BLOCK: usize = 64 * LEAF;

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

/// What a 1-D type plots, by field name: its x axis, and its series (vectors or, `true`, a matrix of columns),
/// the first required; whether the second is subtracted from the first as an error.
struct Plotted {
    axis: &'static str,
    series: [(&'static str, bool); 2],
    error: bool,
}

fn plotted(result_type: &ResultType) -> Option<Plotted> {
    Some(match result_type {
        ResultType::Solution1D => Plotted {
            axis: "x",
            series: [("computed", false), ("expected", false)],
            error: true,
        },
        ResultType::DiscreteSequence => Plotted {
            axis: "index",
            series: [("values", false), ("expected", false)],
            error: false,
        },
        ResultType::OptimizationResult => Plotted {
            axis: "step",
            series: [("loss", false), ("params", true)],
            error: false,
        },
        _ => return None,
    })
}

/// What one part of the rows gave while building besides its leaves: per field its non-finite count, x's
/// first and last value and whether it was sorted and finite there, and the error's (max |e|, Σe², n).
struct Part {
    non_finite: Vec<usize>,
    ends: Option<(f64, f64)>,
    sorted: bool,
    error: (f64, f64, usize),
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
        let files = self
            .files
            .iter()
            .map(|f| {
                storage.open_file(&f.rel)?.ok_or_else(|| Error::Corrupt {
                    path: f.rel.clone(),
                    message: "the array file is gone".into(),
                })
            })
            .collect::<Result<Vec<File>>>()?;
        let mut read = |field: usize, from: usize, count: usize| -> Result<Vec<f64>, String> {
            let width = self.pyramid.widths[field];
            let mut values = vec![0.0; count * width];
            npy::read_at(
                &files[field],
                &self.files[field].header,
                from * width,
                &mut values,
            )
            .map_err(|e| format!("{}: {e}", self.files[field].rel.display()))?;
            Ok(values)
        };
        let damaged = |message: String| Error::Corrupt {
            path: AsgardStorage::rel_result(self.head.id),
            message,
        };
        let (first, last) = self.pyramid.x_range();
        let range = view
            .filter(|(lo, hi)| lo < hi)
            .unwrap_or_else(|| finite_range([&[first, last][..]]));
        let inside = self.pyramid.rows_in(range, &mut read).map_err(damaged)?;
        let out = self.head.clone();
        if inside.len() <= 2 * columns {
            // Every point in view and one neighbour each side, as `reduce_for_view` sends them.
            let keep = if inside.is_empty() {
                0..0
            } else {
                inside.start.saturating_sub(1)..inside.end.min(self.pyramid.rows - 1) + 1
            };
            let mut fields = (0..self.files.len())
                .map(|f| read(f, keep.start, keep.len()))
                .collect::<Result<Vec<_>, String>>()
                .map_err(damaged)?;
            let x = match self.pyramid.axis {
                Axis::Rows => keep.map(|i| i as f64).collect(),
                Axis::Field { .. } => fields.remove(0),
            };
            return Ok(self.fields.rows(out, x, fields, self.non_finite));
        }
        let (centres, bands) = self
            .pyramid
            .columns(range, columns, &mut read)
            .map_err(damaged)?;
        Ok(self
            .fields
            .columns(out, inside.len(), centres, bands, self.non_finite))
    }
}

impl AsgardStorage {
    /// The pyramid of result `id`, built from its array files; `None` when it cannot have one (see the
    /// module's documentation). Reads every value once, a block at a time on every core.
    pub fn line_pyramid(&self, id: ResultId) -> Result<Option<LinePyramid>> {
        let record = self.read_result(id)?;
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
            let Ok(header) = npy::read_header(&mut file) else {
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
        let mut head = ResultPayload {
            id,
            run_id: record.run_id,
            result_type: record.result_type.clone(),
            timestamp: record.timestamp.clone(),
            display_json: record.display.to_string(),
            fields: Vec::new(),
        };
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
        let mut lines = Vec::new();
        for &(_, _, field) in &series {
            lines.extend((0..widths[field]).map(|column| Line::Column { field, column }));
        }
        let error = plotted.error && series.len() == 2;
        if error {
            lines.push(Line::Difference {
                field: series[0].2,
                minus: series[1].2,
            });
        }
        let pyramid = Pyramid {
            rows,
            leaf: leaf_for(rows),
            axis: Axis::Rows,
            widths,
            lines: Vec::new(),
        };
        let Some((pyramid, counts, stats)) = self.build(files.clone(), x, pyramid, lines)? else {
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
            error: error.then_some(stats),
        };
        Ok(Some(LinePyramid {
            head,
            fields,
            files,
            pyramid,
            non_finite: non_finite + counts,
        }))
    }

    /// Reads every row of `files` in parts, one per core, and makes the trees of `lines` and of x (field `x`,
    /// when given); `None` when x is not sorted and finite. Also the non-finite values of all the files and
    /// the error statistics (largest |error|, RMS) of the last line when it is a difference. Each part writes
    /// its leaves into its own stretch of the leaf arrays, so nothing is copied after.
    #[allow(clippy::type_complexity)]
    fn build(
        &self,
        files: Vec<ArrayFile>,
        x: Option<usize>,
        mut pyramid: Pyramid,
        lines: Vec<Line>,
    ) -> Result<Option<(Pyramid, usize, Option<(f64, f64)>)>> {
        let opened = files
            .iter()
            .map(|f| {
                self.open_file(&f.rel)?.ok_or_else(|| Error::Corrupt {
                    path: f.rel.clone(),
                    message: "the array file is gone".into(),
                })
            })
            .collect::<Result<Vec<File>>>()?;
        let (rows, leaf) = (pyramid.rows, pyramid.leaf);
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let leaves = rows.div_ceil(leaf);
        let leaves_per_part = leaves.div_ceil(threads).max(1);
        let mut x_leaves = vec![Node::EMPTY; if x.is_some() { leaves } else { 0 }];
        let mut line_leaves = vec![vec![Node::EMPTY; leaves]; lines.len()];
        let parts: Vec<Result<Part, (usize, std::io::Error)>> = std::thread::scope(|scope| {
            let mut x_stretches = x_leaves.chunks_mut(leaves_per_part);
            let mut line_stretches: Vec<_> = line_leaves
                .iter_mut()
                .map(|l| l.chunks_mut(leaves_per_part))
                .collect();
            let handles: Vec<_> = (0..leaves.div_ceil(leaves_per_part))
                .map(|k| {
                    let from = k * leaves_per_part * leaf;
                    let until = (from + leaves_per_part * leaf).min(rows);
                    let out = Out {
                        x: x_stretches.next().unwrap_or_default(),
                        lines: line_stretches
                            .iter_mut()
                            .map(|l| l.next().expect("a stretch per part"))
                            .collect(),
                    };
                    let build = Build {
                        files: &files,
                        opened: &opened,
                        widths: &pyramid.widths,
                        leaf,
                        x,
                        lines: &lines,
                    };
                    scope.spawn(move || build.part(from..until, out))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a pyramid part panicked"))
                .collect()
        });
        let mut non_finite = 0;
        let mut error = (0.0f64, 0.0, 0);
        let mut last_x = f64::NEG_INFINITY;
        for part in parts {
            let part = part.map_err(|(f, source)| Error::Io {
                path: files[f].rel.clone(),
                source,
            })?;
            if !part.sorted || part.ends.is_some_and(|(first, _)| first < last_x) {
                return Ok(None);
            }
            if let Some((_, last)) = part.ends {
                last_x = last;
            }
            non_finite += part.non_finite.iter().sum::<usize>();
            error = (
                error.0.max(part.error.0),
                error.1 + part.error.1,
                error.2 + part.error.2,
            );
        }
        if let Some(field) = x {
            pyramid.axis = Axis::Field {
                field,
                tree: Tree::from_leaves(x_leaves),
            };
        }
        pyramid.lines = lines
            .into_iter()
            .zip(line_leaves)
            .map(|(line, leaves)| (line, Tree::from_leaves(leaves)))
            .collect();
        let stats = (error.2 > 0).then(|| (error.0, (error.1 / error.2 as f64).sqrt()));
        Ok(Some((pyramid, non_finite, stats)))
    }
}

/// Where a part writes its leaves: its stretch of x's and of each line's.
struct Out<'a> {
    x: &'a mut [Node],
    lines: Vec<&'a mut [Node]>,
}

/// What every part of a build reads from.
#[derive(Clone, Copy)]
struct Build<'a> {
    files: &'a [ArrayFile],
    opened: &'a [File],
    widths: &'a [usize],
    leaf: usize,
    x: Option<usize>,
    lines: &'a [Line],
}

impl Build<'_> {
    /// Makes the leaves of rows `range` (starting on a leaf) of every line and of x into `out`, reading each
    /// field a block at a time.
    fn part(
        self,
        range: std::ops::Range<usize>,
        out: Out<'_>,
    ) -> Result<Part, (usize, std::io::Error)> {
        let Out {
            x: x_out,
            lines: mut line_out,
        } = out;
        let leaf = self.leaf;
        let block = BLOCK.div_ceil(leaf) * leaf;
        let mut part = Part {
            non_finite: vec![0; self.files.len()],
            ends: None,
            sorted: true,
            error: (0.0, 0.0, 0),
        };
        let mut buffers: Vec<Vec<f64>> = self.widths.iter().map(|w| vec![0.0; block * w]).collect();
        let mut previous = f64::NEG_INFINITY;
        let mut from = range.start;
        // The next leaf to write, counted in this part.
        let mut at = 0;
        while from < range.end {
            let count = block.min(range.end - from);
            for (f, buffer) in buffers.iter_mut().enumerate() {
                let values = &mut buffer[..count * self.widths[f]];
                npy::read_at(
                    &self.opened[f],
                    &self.files[f].header,
                    from * self.widths[f],
                    values,
                )
                .map_err(|e| (f, e))?;
                part.non_finite[f] += values.iter().filter(|v| !v.is_finite()).count();
            }
            let made = count.div_ceil(leaf);
            if let Some(field) = self.x {
                let xs = &buffers[field][..count];
                part.sorted &= xs.iter().all(|v| v.is_finite())
                    && previous <= xs[0]
                    && xs.windows(2).all(|w| w[0] <= w[1]);
                if !part.sorted {
                    return Ok(part);
                }
                previous = xs[count - 1];
                let first = part.ends.map_or(xs[0], |(first, _)| first);
                part.ends = Some((first, previous));
                for (node, values) in x_out[at..at + made].iter_mut().zip(xs.chunks(leaf)) {
                    *node = Node::of(values);
                }
            }
            for (line, out) in self.lines.iter().zip(&mut line_out) {
                let out = &mut out[at..at + made];
                match *line {
                    Line::Column { field, column } => {
                        let width = self.widths[field];
                        let values = &buffers[field][..count * width];
                        for (node, rows) in out.iter_mut().zip(values.chunks(leaf * width)) {
                            *node = if width == 1 {
                                Node::of(rows)
                            } else {
                                let mut node = Node::EMPTY;
                                for row in rows.chunks_exact(width) {
                                    node.add(row[column]);
                                }
                                node
                            };
                        }
                    }
                    Line::Difference { field, minus } => {
                        let (a, b) = (&buffers[field][..count], &buffers[minus][..count]);
                        for (node, (a, b)) in out.iter_mut().zip(a.chunks(leaf).zip(b.chunks(leaf)))
                        {
                            let mut sum = Node::EMPTY;
                            for (a, b) in a.iter().zip(b) {
                                let e = a - b;
                                sum.add(e);
                                if e.is_finite() {
                                    part.error.0 = part.error.0.max(e.abs());
                                    part.error.1 += e * e;
                                    part.error.2 += 1;
                                }
                            }
                            *node = sum;
                        }
                    }
                }
            }
            at += made;
            from += count;
        }
        Ok(part)
    }
}

#[cfg(test)]
mod tests;
