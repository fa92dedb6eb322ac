//! Reducing grids larger than the canvas (a `Solution2D`, the frames of a `PhysicsAnimation`) to one cell per
//! block, keeping each block's most extreme value.

use super::array;
use crate::model::{FieldValue, NumArray, ResultPayload};
use crate::plots::solution2d::Solution2D;
use crate::plots::stats::finite_range;
use crate::plots::view::{Grid, PlotData, Reduction};

/// How a grid of `rows` × `cols` is cut into blocks to fit `max_rows` × `max_cols`: (block rows, block columns,
/// rows out, columns out); `None` when it fits already.
fn blocks(rows: usize, cols: usize, max_rows: usize, max_cols: usize) -> Option<[usize; 4]> {
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

/// Reduces a `Solution2D` grid of more than `max_cols` columns or `max_rows` rows to at most that many, one cell
/// per block ([`block_extremes`]). The axes become the blocks' centres; the colour scale is the full grid's range.
pub(super) fn reduce_grid(
    mut payload: ResultPayload,
    max_cols: usize,
    max_rows: usize,
    non_finite: usize,
) -> Result<PlotData, String> {
    let (rows, cols) = match payload.array("values").map(|a| a.shape.as_slice()) {
        Some(&[rows, cols]) => (rows, cols),
        _ => return Ok(PlotData::raw(payload)),
    };
    let Some(cut) = blocks(rows, cols, max_rows, max_cols) else {
        return Ok(PlotData::raw(payload));
    };
    let [block_r, block_c, out_r, out_c] = cut;
    let data = Solution2D::take_from(&mut payload)?;
    let values = block_extremes(&data.values, cols, cut);
    let (lo, hi) = finite_range([data.values.as_slice()]);
    let centres = |axis: Option<&[f64]>, n: usize, block: usize, out: usize| -> Vec<f64> {
        let at = |i: usize| axis.map_or(i as f64, |a| a[i]);
        (0..out)
            .map(|b| (at(b * block) + at(((b + 1) * block).min(n) - 1)) / 2.0)
            .collect()
    };
    let mut out = ResultPayload {
        fields: Vec::new(),
        ..payload
    };
    out.fields
        .push(("values".into(), grid_array(vec![out_r, out_c], values)));
    out.fields.push((
        "x".into(),
        array(centres(data.x.as_deref(), cols, block_c, out_c)),
    ));
    out.fields.push((
        "y".into(),
        array(centres(data.y.as_deref(), rows, block_r, out_r)),
    ));
    Ok(PlotData {
        payload: out,
        non_finite,
        reduction: Some(Reduction::Grid(Grid {
            full: (rows, cols),
            scale: (lo, hi),
        })),
    })
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
