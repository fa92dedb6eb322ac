//! The reductions keep every peak, and what they send draws the same picture as the full data.

use super::*;
use crate::plots::chart::ReadOut;
use crate::plots::optimization::Optimization;
use crate::plots::sequence::Sequence;
use crate::plots::solution1d::Solution1D;
use crate::plots::solution2d::Solution2D;
use crate::plots::tests::payload;

#[test]
fn every_column_keeps_its_extremes() {
    let n = 1_000_000;
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let mut y = vec![0.0; n];
    y[123_457] = 9.0;
    y[876_543] = -4.0;
    let (centres, bands) = reduce_columns(&x, &[&y], (0.0, 1.0), 800);
    assert_eq!(centres.len(), 800);
    let band = &bands[0];
    assert_eq!(
        band.max.iter().cloned().fold(f64::MIN, f64::max),
        9.0,
        "the spike survives"
    );
    assert_eq!(
        band.min.iter().cloned().fold(f64::MAX, f64::min),
        -4.0,
        "the dip survives"
    );
    let column = (0.123457f64 * 800.0) as usize;
    assert_eq!(band.max[column], 9.0, "in the right column");
    // 1,250 points per column, one of them 9: the column's mean is 9 / 1250.
    assert!((band.mean[column] - 9.0 / 1250.0).abs() < 1e-15);
}

#[test]
fn columns_by_hand_and_empty_columns_left_out() {
    let x = [0.0, 0.5, 1.0, 3.0, 3.5, 10.0];
    let y = [1.0, 3.0, 2.0, 4.0, f64::NAN, 100.0];
    let (centres, bands) = reduce_columns(&x, &[&y], (0.0, 4.0), 4);
    // Column 2 (x in [2, 3)) holds no point and is left out; 10 is outside the range. Each column's x is
    // where its points are: their mean.
    assert_eq!(centres, vec![0.25, 1.0, 3.25]);
    assert_eq!(bands[0].min, vec![1.0, 2.0, 4.0]);
    assert_eq!(bands[0].max, vec![3.0, 2.0, 4.0]);
    assert_eq!(
        bands[0].mean,
        vec![2.0, 2.0, 4.0],
        "NaN is skipped, not averaged"
    );
    let (_, only_nan) = reduce_columns(&[0.0], &[&[f64::NAN]], (0.0, 1.0), 2);
    assert!(only_nan[0].mean[0].is_nan() && only_nan[0].max[0].is_nan());
}

fn vectors(result_type: &str, fields: Vec<(&str, Vec<f64>)>) -> ResultPayload {
    let fields: Vec<_> = fields
        .into_iter()
        .map(|(name, v)| (name, vec![v.len()], v))
        .collect();
    payload(result_type, &fields, "{}")
}

#[test]
fn solution1d_keeps_spikes_and_exact_error_statistics() {
    let n = 100_000;
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let mut computed: Vec<f64> = x.iter().map(|v| v.sin()).collect();
    let expected = computed.clone();
    computed[54_321] += 7.0;
    computed[99] = f64::NAN;
    let full = vectors(
        "Solution1D",
        vec![("x", x), ("computed", computed), ("expected", expected)],
    );
    let reduced = reduce_for_view(Cow::Borrowed(&full), 800, None, None).unwrap();
    assert_eq!(reduced.non_finite, 1, "counted in the full data");
    let data = Solution1D::from_view(&reduced).unwrap();
    assert_eq!(data.x.len(), 800, "one row per column");
    let bands = &data.reduced.as_ref().unwrap().bands;
    assert_eq!(data.reduced.as_ref().unwrap().points, n);
    let (_, max) = bands.get("computed").unwrap();
    let top = max.iter().cloned().fold(f64::MIN, f64::max);
    assert!(
        (top - (0.54321f64.sin() + 7.0)).abs() < 1e-12,
        "the spike survives the reduction"
    );
    let (max_abs, rms) = data.error_stats().unwrap();
    assert_eq!(max_abs, 7.0);
    assert!(
        (rms - (49.0 / (n - 1) as f64).sqrt()).abs() < 1e-12,
        "RMS over the full data (less the NaN), not the columns"
    );
    let (_, error_max) = bands.get(ERROR).unwrap();
    assert_eq!(error_max.iter().cloned().fold(f64::MIN, f64::max), 7.0);
    let text = data.readout(0.54321).unwrap();
    assert!(
        text.starts_with("x ≈ 0.54") && text.contains("computed ≈ "),
        "{text}"
    );

    // Zoomed far enough in, the raw points come back.
    let zoomed = Solution1D::from_view(
        &reduce_for_view(Cow::Owned(full), 800, Some((0.5, 0.51)), None).unwrap(),
    )
    .unwrap();
    assert!(zoomed.reduced.is_none());
    assert_eq!(
        zoomed.x.len(),
        1001 + 2,
        "the points in the view and one neighbour each side"
    );
}

#[test]
fn sequences_and_optimisations_reduce_every_series() {
    let n = 50_000;
    let mut values: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
    values[31_000] = 1e6;
    let reduced = reduce_for_view(
        Cow::Owned(vectors("DiscreteSequence", vec![("values", values)])),
        500,
        None,
        None,
    )
    .unwrap();
    let data = Sequence::from_view(&reduced).unwrap();
    assert_eq!(data.index.len(), 500);
    let (_, max) = data.bands.as_ref().unwrap().get("values").unwrap();
    assert_eq!(max.iter().cloned().fold(f64::MIN, f64::max), 1e6);

    let loss: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + i as f64)).collect();
    let params: Vec<f64> = (0..n).flat_map(|i| [i as f64, -(i as f64)]).collect();
    let mut p = payload(
        "OptimizationResult",
        &[("loss", vec![n], loss), ("params", vec![n, 2], params)],
        "{}",
    );
    p.fields.push((
        "param_names".into(),
        FieldValue::Json(r#"["a", "b"]"#.into()),
    ));
    let reduced = reduce_for_view(Cow::Owned(p), 400, None, None).unwrap();
    let data = Optimization::from_view(&reduced).unwrap();
    assert_eq!(data.step.len(), 400);
    assert_eq!(data.params[1].0, "b", "the names travel");
    let bands = data.bands.as_ref().unwrap();
    let (lo, hi) = bands.get("params[1]").unwrap();
    assert_eq!(hi[0], 0.0, "b's first column holds 0 … -124");
    assert_eq!(lo[0], -124.0);
    assert_eq!(bands.get("loss").unwrap().1[0], 1.0);
    assert!(data.log_allowed());
    assert!(data.readout(10.0).unwrap().contains("loss ≈ "));

    // A view of 100 steps comes raw, with its neighbours.
    let zoomed = reduce_for_view(
        Cow::Owned(vectors("OptimizationResult", vec![("loss", vec![2.0; n])])),
        400,
        Some((100.0, 199.0)),
        None,
    )
    .unwrap();
    let data = Optimization::from_view(&zoomed).unwrap();
    assert!(data.bands.is_none());
    assert_eq!((data.step[0], data.step.len()), (99.0, 102));
}

#[test]
fn a_large_grid_keeps_its_hottest_and_coldest_cells() {
    let (rows, cols) = (1000, 1500);
    let mut values = vec![0.5; rows * cols];
    values[123 * cols + 456] = 9.0;
    values[900 * cols + 1400] = -3.0;
    values[0] = f64::NAN;
    let grid = payload("Solution2D", &[("values", vec![rows, cols], values)], "{}");
    let reduced = reduce_for_view(Cow::Owned(grid), 400, None, None).unwrap();
    let data = Solution2D::from_view(&reduced).unwrap();
    // At most 300 × 160 cells for 400 columns: blocks of 7 × 5 cells.
    assert_eq!((data.ny, data.nx), (143, 300));
    assert_eq!(data.values[(123 / 7) * 300 + 456 / 5], 9.0);
    assert_eq!(data.values[(900 / 7) * 300 + 1400 / 5], -3.0);
    assert_eq!(data.values[1], 0.5, "a calm block keeps its value");
    assert_eq!(
        data.range(),
        (-3.0, 9.0),
        "the colour scale of the full grid"
    );
    assert_eq!(
        data.x.as_ref().unwrap()[0],
        2.0,
        "block centres on the index axis"
    );
    assert_eq!(data.y.as_ref().unwrap()[0], 3.0);
    assert_eq!(reduced.non_finite, 1);
    assert!(data
        .readout(2.0, 3.0)
        .unwrap()
        .contains("block of 7×5 cells"));

    // A grid that fits comes as it is.
    let small = payload("Solution2D", &[("values", vec![2, 2], vec![1.0; 4])], "{}");
    assert_eq!(
        reduce_for_view(Cow::Borrowed(&small), 400, None, None).unwrap(),
        PlotData::raw(small)
    );
}

#[test]
fn a_zoomed_grid_sends_the_cells_in_its_ranges_on_the_whole_grids_scale() {
    let (rows, cols) = (10, 20);
    let values: Vec<f64> = (0..rows * cols).map(|i| i as f64).collect();
    let grid = payload("Solution2D", &[("values", vec![rows, cols], values)], "{}");
    let zoom = crate::plots::view::Zoom {
        x: Some((4.5, 9.0)),
        y: Some((2.0, 3.5)),
    };
    let zoomed = reduce_for_view(Cow::Borrowed(&grid), 400, zoom, None).unwrap();
    let data = Solution2D::from_view(&zoomed).unwrap();
    assert_eq!((data.ny, data.nx), (2, 5), "rows 2–3, columns 5–9");
    assert_eq!(data.values[0], 45.0);
    assert_eq!(data.values[9], 69.0);
    assert_eq!(data.x.as_deref(), Some(&[5.0, 6.0, 7.0, 8.0, 9.0][..]));
    assert_eq!(data.range(), (0.0, 199.0), "the whole grid's scale");
    assert!(data
        .readout(5.0, 2.0)
        .unwrap()
        .starts_with("x = 5, y = 2, value = 45"));
    // A range between two cells shows the one nearest its middle.
    let between = crate::plots::view::Zoom {
        x: Some((5.2, 5.4)),
        y: None,
    };
    let one =
        Solution2D::from_view(&reduce_for_view(Cow::Borrowed(&grid), 400, between, None).unwrap())
            .unwrap();
    assert_eq!((one.ny, one.nx), (10, 1));
    assert_eq!(one.x.as_deref(), Some(&[5.0][..]));
}

#[test]
fn a_reduced_series_draws_its_band_and_raw_data_none() {
    let n = 20_000;
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let y: Vec<f64> = x.iter().map(|v| (v / 100.0).sin()).collect();
    let full = vectors("Solution1D", vec![("x", x), ("computed", y)]);
    let draw = |view: &PlotData| {
        crate::plots::tests::render_svg(|area| {
            crate::plots::draw_result(area, view, crate::plots::Choices::default()).map(|_| ())
        })
    };
    let reduced = draw(&reduce_for_view(Cow::Borrowed(&full), 400, None, None).unwrap());
    assert!(reduced.contains("<polygon"), "the min–max band");
    assert!(
        !draw(&PlotData::raw(full)).contains("<polygon"),
        "raw data has no band"
    );
}

#[test]
fn a_long_ensemble_keeps_its_statistics_from_every_path() {
    use crate::plots::ensemble::Ensemble;
    let (m, n) = (200, 10_000);
    let t: Vec<f64> = (0..n).map(|k| k as f64).collect();
    // Path i is the constant i, except path 7 which jumps to 1,000 at one time.
    let mut paths: Vec<f64> = (0..m).flat_map(|i| vec![i as f64; n]).collect();
    paths[7 * n + 4321] = 1000.0;
    let full = payload(
        "StochasticEnsemble",
        &[("t", vec![n], t), ("paths", vec![m, n], paths)],
        r#"{"confidence": 0.5}"#,
    );
    let reduced = reduce_for_view(Cow::Borrowed(&full), 1000, None, Some(0)).unwrap();
    let data = Ensemble::from_view(&reduced).unwrap();
    let stats = data.reduced.as_ref().unwrap();
    assert_eq!(data.t.len(), 700, "7/10 of the columns");
    assert_eq!(data.m, 50, "a sample of the paths: every fourth");
    assert_eq!((stats.paths, stats.times), (200, 10_000));
    // The values at each time are 0..200: mean 99.5, quartiles 49.75 and 149.25 (by hand, NumPy's rule).
    assert!((stats.mean[0] - 99.5).abs() < 1e-12);
    assert_eq!((stats.lower[0], stats.upper[0]), (49.75, 149.25));
    // At the jump the mean rises by (1000 − 7) / 200 in that column only.
    let column = data
        .t
        .iter()
        .position(|c| (c - 4321.0).abs() < 7.2)
        .unwrap();
    let top = stats.mean.iter().cloned().fold(f64::MIN, f64::max);
    assert!((top - stats.mean[column]).abs() < 1e-12 && top > 99.5);
    // The histogram's time is the last of the chosen column (column 0 holds t = 0 … 14).
    assert_eq!(stats.histogram_t, 14.0);
    assert_eq!(stats.histogram.len(), 200);
    assert!(reduced.columns().is_none(), "no band per path");

    // A short ensemble comes whole.
    let short = payload(
        "StochasticEnsemble",
        &[
            ("t", vec![3], vec![0.0, 1.0, 2.0]),
            ("paths", vec![1, 3], vec![0.0; 3]),
        ],
        "{}",
    );
    assert_eq!(
        reduce_for_view(Cow::Borrowed(&short), 1000, None, None).unwrap(),
        PlotData::raw(short)
    );
}

#[test]
fn animation_frames_are_reduced_frame_by_frame_on_one_colour_scale() {
    use crate::plots::animation::{Animation, Frames};
    let (f, rows, cols) = (3, 300, 900);
    let mut values = vec![0.0; f * rows * cols];
    // A hot cell that moves: frame k has it at row 100 k + 10.
    for k in 0..f {
        values[k * rows * cols + (100 * k + 10) * cols + 450] = 5.0 + k as f64;
    }
    let frames = payload(
        "PhysicsAnimation",
        &[("frames", vec![f, rows, cols], values)],
        "{}",
    );
    let reduced = reduce_for_view(Cow::Owned(frames), 400, None, None).unwrap();
    let animation = Animation::from_view(&reduced).unwrap();
    let Frames::Fields {
        ny,
        nx,
        values,
        scale,
        reduced_from,
        ..
    } = animation.frames
    else {
        panic!("fields expected");
    };
    // At most 300 × 160 per frame: blocks of 2 × 3 cells, 150 × 300.
    assert_eq!((animation.count, ny, nx), (3, 150, 300));
    assert_eq!(reduced_from, Some((300, 900)));
    assert_eq!(scale, (0.0, 7.0), "the scale of all frames");
    for k in 0..f {
        let frame = &values[k * ny * nx..(k + 1) * ny * nx];
        assert_eq!(frame[((100 * k + 10) / 2) * nx + 150], 5.0 + k as f64);
    }
}

#[test]
fn the_newest_point_is_the_last_finite_x_or_the_last_rows_number() {
    let x = vectors(
        "Solution1D",
        vec![
            ("x", vec![0.0, 1.0, 2.5, f64::NAN]),
            ("computed", vec![0.0; 4]),
        ],
    );
    assert_eq!(last_x(&x), Some(2.5));
    let steps = vectors("OptimizationResult", vec![("loss", vec![3.0, 2.0, 1.0])]);
    assert_eq!(last_x(&steps), Some(2.0));
    let indexed = vectors(
        "DiscreteSequence",
        vec![
            ("values", vec![1.0; 5]),
            ("index", vec![10.0, 20.0, 30.0, 40.0, 50.0]),
        ],
    );
    assert_eq!(last_x(&indexed), Some(50.0));
    assert_eq!(
        last_x(&vectors("OptimizationResult", vec![("loss", vec![])])),
        None
    );
    assert_eq!(
        last_x(&vectors("Solution2D", vec![("values", vec![1.0])])),
        None
    );
}
