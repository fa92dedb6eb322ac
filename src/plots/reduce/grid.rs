//! Reducing grids larger than the canvas (a `Solution2D`, the frames of a `PhysicsAnimation`) to one cell per
//! block, keeping each block's most extreme value.

use std::ops::Range;

use super::array;
use crate::model::{FieldValue, NumArray, ResultPayload};
use crate::plots::solution2d::Solution2D;
use crate::plots::stats::finite_range;
use crate::plots::view::{Grid, PlotData, Reduction, Zoom};

/// What a heatmap's view shows: the cells it covers (the range asked for; a pyramid's rounded out to whole
/// blocks), the side of its blocks in rows and columns, and one value per block, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Blocks {
    pub rows: Range<usize>,
    pub cols: Range<usize>,
    pub block: (usize, usize),
    pub values: Vec<f64>,
}

impl Blocks {
    /// How many blocks it has along (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        (
            self.rows.len().div_ceil(self.block.0),
            self.cols.len().div_ceil(self.block.1),
        )
    }
}

/// How a grid of `rows` × `cols` is cut into blocks to fit `max_rows` × `max_cols`: (block rows, block columns,
/// rows out, columns out); `None` when it fits already.
pub fn blocks(rows: usize, cols: usize, max_rows: usize, max_cols: usize) -> Option<[usize; 4]> {
    let (max_rows, max_cols) = (max_rows.max(1), max_cols.max(1));
    if rows <= max_rows && cols <= max_cols {
        return None;
    }
    let (block_r, block_c) = (rows.div_ceil(max_rows), cols.div_ceil(max_cols));
    Some([
        block_r,
        block_c,
        rows.div_ceil(block_r),
        cols.div_ceil(block_c),
    ])
}

/// One value per block of a row-major grid: the block's finite value farthest from the block's mean (NaN for a
/// block without one), so that a single hot or cold cell still shows.
pub fn block_extremes(
    values: &[f64],
    cols: usize,
    [block_r, block_c, out_r, out_c]: [usize; 4],
) -> Vec<f64> {
    let rows = values.len() / cols.max(1);
    let mut out = Vec::with_capacity(out_r * out_c);
    for br in 0..out_r {
        for bc in 0..out_c {
            let (r0, r1) = (br * block_r, ((br + 1) * block_r).min(rows));
            let (c0, c1) = (bc * block_c, ((bc + 1) * block_c).min(cols));
            let (mut sum, mut n) = (0.0, 0usize);
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for r in r0..r1 {
                for v in &values[r * cols + c0..r * cols + c1] {
                    if v.is_finite() {
                        sum += v;
                        n += 1;
                        lo = lo.min(*v);
                        hi = hi.max(*v);
                    }
                }
            }
            out.push(match n {
                0 => f64::NAN,
                _ if hi - sum / n as f64 >= sum / n as f64 - lo => hi,
                _ => lo,
            });
        }
    }
    out
}

fn grid_array(shape: Vec<usize>, values: Vec<f64>) -> FieldValue {
    FieldValue::Array(NumArray {
        shape,
        dtype: "<f8".into(),
        values,
    })
}

/// The cells of an axis of `n` cells at `coords` (their indices when none) whose coordinates lie in `range`
/// (all of them for none); when none does, the one nearest the range's middle.
pub fn cells_in(range: Option<(f64, f64)>, coords: Option<&[f64]>, n: usize) -> Range<usize> {
    let Some((lo, hi)) = range.filter(|(lo, hi)| lo < hi) else {
        return 0..n;
    };
    let at = |i: usize| coords.map_or(i as f64, |c| c[i]);
    let inside = |&i: &usize| at(i) >= lo && at(i) <= hi;
    match ((0..n).find(inside), (0..n).rev().find(inside)) {
        (Some(first), Some(last)) => first..last + 1,
        _ => {
            let middle = (lo + hi) / 2.0;
            let nearest =
                (0..n).min_by(|&a, &b| (at(a) - middle).abs().total_cmp(&(at(b) - middle).abs()));
            nearest.map_or(0..0, |i| i..i + 1)
        }
    }
}

/// The cells `rows` × `cols` of a grid (`window`, row-major, `cols.len()` a row) cut into blocks of at most
/// `most` (rows, columns) of them, one value per block ([`block_extremes`]); cell by cell when they fit.
pub fn window_blocks(
    window: Vec<f64>,
    (rows, cols): (Range<usize>, Range<usize>),
    (max_rows, max_cols): (usize, usize),
) -> Blocks {
    let (block, values) = match blocks(rows.len(), cols.len(), max_rows, max_cols) {
        None => ((1, 1), window),
        Some(cut) => ((cut[0], cut[1]), block_extremes(&window, cols.len(), cut)),
    };
    Blocks {
        rows,
        cols,
        block,
        values,
    }
}

/// The heatmap's part of a plot `columns` device pixels wide: at most (rows, columns) of cells, ¾ of the
/// canvas wide and 2/5 of its width high.
pub fn heatmap_cells(columns: usize) -> (usize, usize) {
    (columns * 2 / 5, columns * 3 / 4)
}

/// The grid of a view: its cells cut into `blocks` of a `full` (rows, columns) grid whose axes are `x` and `y`
/// (the indices when none), on the colour scale of the whole grid; the fields besides the grid's from `head`.
pub fn grid_view(
    head: ResultPayload,
    (x, y): (Option<&[f64]>, Option<&[f64]>),
    full: (usize, usize),
    (scale, non_finite): ((f64, f64), usize),
    blocks: Blocks,
) -> PlotData {
    let (out_r, out_c) = blocks.shape();
    let centres = |axis: Option<&[f64]>, cells: &Range<usize>, block: usize| -> Vec<f64> {
        let at = |i: usize| axis.map_or(i as f64, |a| a[i]);
        cells
            .clone()
            .step_by(block)
            .map(|from| (at(from) + at((from + block).min(cells.end) - 1)) / 2.0)
            .collect()
    };
    let mut out = head.with_fields(Vec::new());
    let (x, y) = (
        centres(x, &blocks.cols, blocks.block.1),
        centres(y, &blocks.rows, blocks.block.0),
    );
    out.fields.push((
        "values".into(),
        grid_array(vec![out_r, out_c], blocks.values),
    ));
    out.fields.push(("x".into(), array(x)));
    out.fields.push(("y".into(), array(y)));
    PlotData {
        payload: out,
        non_finite,
        reduction: Some(Reduction::Grid(Grid {
            full,
            block: blocks.block,
            scale,
        })),
    }
}

/// Reduces a `Solution2D` grid to what a plot `columns` wide shows of `zoom`: the cells in its ranges, cut
/// into blocks of one cell each ([`block_extremes`]) when there are more than [`heatmap_cells`]. The axes
/// become the blocks' centres; the colour scale is the full grid's range. A whole grid that fits comes as it
/// is.
pub(super) fn reduce_grid(
    mut payload: ResultPayload,
    columns: usize,
    zoom: Zoom,
    non_finite: usize,
) -> Result<PlotData, String> {
    let (rows, cols) = match payload.array("values").map(|a| a.shape.as_slice()) {
        Some(&[rows, cols]) => (rows, cols),
        _ => return Ok(PlotData::raw(payload)),
    };
    let (max_rows, max_cols) = heatmap_cells(columns);
    if !zoom.is_zoomed() && blocks(rows, cols, max_rows, max_cols).is_none() {
        return Ok(PlotData::raw(payload));
    }
    let data = Solution2D::take_from(&mut payload)?;
    let (x, y) = (data.x.as_deref(), data.y.as_deref());
    let cells = (cells_in(zoom.y, y, rows), cells_in(zoom.x, x, cols));
    let scale = finite_range([data.values.as_slice()]);
    let window = if cells == (0..rows, 0..cols) {
        data.values
    } else {
        cut(&data.values, cols, &cells)
    };
    let blocks = window_blocks(window, cells, (max_rows, max_cols));
    Ok(grid_view(
        payload,
        (x, y),
        (rows, cols),
        (scale, non_finite),
        blocks,
    ))
}

/// The cells `rows` × `cols` of a row-major grid `cols_in_all` wide, as a grid of their own.
fn cut(
    values: &[f64],
    cols_in_all: usize,
    (rows, cols): &(Range<usize>, Range<usize>),
) -> Vec<f64> {
    let mut out = Vec::with_capacity(rows.len() * cols.len());
    for r in rows.clone() {
        out.extend_from_slice(&values[r * cols_in_all + cols.start..r * cols_in_all + cols.end]);
    }
    out
}

/// Reduces each frame of a `PhysicsAnimation`'s `frames` [f, ny, nx] like a `Solution2D` grid, keeping the colour
/// scale of all frames at full resolution. Bodies (`positions`) come as they are.
pub(super) fn reduce_frames(
    mut payload: ResultPayload,
    max_cols: usize,
    max_rows: usize,
) -> Result<PlotData, String> {
    let Some(FieldValue::Array(frames)) = payload.field("frames") else {
        return Ok(PlotData::raw(payload));
    };
    let &[count, rows, cols] = frames.shape.as_slice() else {
        return Ok(PlotData::raw(payload));
    };
    let Some(cut) = blocks(rows, cols, max_rows, max_cols) else {
        return Ok(PlotData::raw(payload));
    };
    let size = rows * cols;
    if frames.values.len() != count * size {
        return Err(format!(
            "field `frames`: shape {:?} needs {} values, found {}",
            frames.shape,
            count * size,
            frames.values.len()
        ));
    }
    let mut reduced: Option<Vec<f64>> = Some(
        (0..count)
            .flat_map(|f| block_extremes(&frames.values[f * size..(f + 1) * size], cols, cut))
            .collect(),
    );
    let (lo, hi) = finite_range([frames.values.as_slice()]);
    let non_finite = payload.non_finite_count();
    let [_, _, out_r, out_c] = cut;
    for (name, value) in &mut payload.fields {
        if let ("frames", Some(values)) = (name.as_str(), reduced.take()) {
            *value = grid_array(vec![count, out_r, out_c], values);
        }
    }
    Ok(PlotData {
        payload,
        non_finite,
        reduction: Some(Reduction::Grid(Grid {
            full: (rows, cols),
            block: (cut[0], cut[1]),
            scale: (lo, hi),
        })),
    })
}

/// A `Solution2D` with snapshots (`values[s][ny][nx]`, `t[s]`: a growing field, docs/storage-format.md) as the
/// plot shows it: snapshot `index` (the last unless chosen) as its `values`, every time kept in `t` for the
/// slider. A single grid is left as it is.
pub fn pick_snapshot(payload: &mut ResultPayload, index: Option<usize>) -> Result<(), String> {
    let Some((_, FieldValue::Array(values))) =
        payload.fields.iter_mut().find(|(n, _)| n == "values")
    else {
        return Ok(());
    };
    let [s, ny, nx] = values.shape[..] else {
        return Ok(());
    };
    if s == 0 {
        return Err("no snapshot yet".into());
    }
    let k = index.unwrap_or(s - 1).min(s - 1);
    let cells = ny * nx;
    *values = NumArray {
        shape: vec![ny, nx],
        dtype: values.dtype.clone(),
        values: values.values[k * cells..(k + 1) * cells].to_vec(),
    };
    Ok(())
}
