//! Reducing a grid larger than the canvas to one cell per block, keeping each block's most extreme value.

use super::{array, matrix_array, REDUCED_GRID, REDUCED_NON_FINITE, REDUCED_SCALE};
use crate::model::ResultPayload;
use crate::plots::solution2d::Solution2D;
use crate::plots::{finite_range, matrix};

/// Reduces a `Solution2D` grid of more than `max_cols` columns or `max_rows` rows to at most that many: each cell of the
/// result stands for a block of the grid and takes the block's value farthest from the block's mean, so a single
/// hot or cold cell still shows. The axes become the blocks' centres; the colour scale is the full grid's range
/// (`reduced_scale`).
pub(super) fn reduce_grid(
    payload: ResultPayload,
    max_cols: usize,
    max_rows: usize,
) -> Result<ResultPayload, String> {
    let Some((rows, cols, _)) = matrix(&payload, "values")? else {
        return Ok(payload);
    };
    let (max_rows, max_cols) = (max_rows.max(1), max_cols.max(1));
    if rows <= max_rows && cols <= max_cols {
        return Ok(payload);
    }
    let data = Solution2D::from_payload(&payload)?;
    let (block_r, block_c) = (rows.div_ceil(max_rows), cols.div_ceil(max_cols));
    let (out_r, out_c) = (rows.div_ceil(block_r), cols.div_ceil(block_c));
    let mut values = Vec::with_capacity(out_r * out_c);
    for br in 0..out_r {
        for bc in 0..out_c {
            let (r0, r1) = (br * block_r, ((br + 1) * block_r).min(rows));
            let (c0, c1) = (bc * block_c, ((bc + 1) * block_c).min(cols));
            let (mut sum, mut n) = (0.0, 0usize);
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for r in r0..r1 {
                for v in &data.values[r * cols + c0..r * cols + c1] {
                    if v.is_finite() {
                        sum += v;
                        n += 1;
                        lo = lo.min(*v);
                        hi = hi.max(*v);
                    }
                }
            }
            values.push(if n == 0 {
                f64::NAN
            } else {
                let mean = sum / n as f64;
                if hi - mean >= mean - lo {
                    hi
                } else {
                    lo
                }
            });
        }
    }
    let non_finite = payload.non_finite_count();
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
        .push(("values".into(), matrix_array(out_r, out_c, values)));
    out.fields.push((
        "x".into(),
        array(centres(data.x.as_deref(), cols, block_c, out_c)),
    ));
    out.fields.push((
        "y".into(),
        array(centres(data.y.as_deref(), rows, block_r, out_r)),
    ));
    out.fields
        .push((REDUCED_GRID.into(), array(vec![rows as f64, cols as f64])));
    out.fields.push((REDUCED_SCALE.into(), array(vec![lo, hi])));
    out.fields
        .push((REDUCED_NON_FINITE.into(), array(vec![non_finite as f64])));
    Ok(out)
}
