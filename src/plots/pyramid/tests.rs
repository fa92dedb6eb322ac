//! The pyramid's columns are `reduce_columns`' over every value: checked against it by brute force.

use super::*;
use crate::plots::reduce::reduce_columns;

/// A small deterministic generator (xorshift64*), so failures repeat.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random values with planted spikes, dips, NaN and ±∞.
fn values(random: &mut Random, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| match random.below(100) {
            0 => 1e6 * random.unit(),
            1 => -1e6 * random.unit(),
            2 => f64::NAN,
            3 => f64::INFINITY,
            4 => f64::NEG_INFINITY,
            _ => random.unit() - 0.5,
        })
        .collect()
}

/// Sorted x with ties and uneven gaps.
fn sorted_x(random: &mut Random, n: usize) -> Vec<f64> {
    let mut x = Vec::with_capacity(n);
    let mut at = -3.0;
    for _ in 0..n {
        if random.below(5) != 0 {
            at += random.unit() * random.unit() * 2.0;
        }
        x.push(at);
    }
    x
}

/// Leaf summaries of one line, as the storage builds them.
fn tree_of(values: &[f64], leaf: usize) -> Tree {
    Tree::from_leaves(values.chunks(leaf).map(Node::of).collect())
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) || a == b
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A result of rows × (x, a 2-column matrix, a vector, a second vector) and its pyramid with four lines:
/// both matrix columns, the vector and the difference of the vectors.
struct Case {
    x: Option<Vec<f64>>,
    matrix: Vec<f64>,
    a: Vec<f64>,
    b: Vec<f64>,
    pyramid: Pyramid,
}

impl Case {
    fn new(random: &mut Random, rows: usize, with_x: bool, leaf: usize) -> Self {
        let x = with_x.then(|| sorted_x(random, rows));
        let matrix = values(random, rows * 2);
        let a = values(random, rows);
        let b = values(random, rows);
        let column = |j: usize| -> Vec<f64> { matrix.iter().skip(j).step_by(2).copied().collect() };
        let difference: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a - b).collect();
        let lines = vec![
            (
                Line::Column {
                    field: 1,
                    column: 0,
                },
                tree_of(&column(0), leaf),
            ),
            (
                Line::Column {
                    field: 1,
                    column: 1,
                },
                tree_of(&column(1), leaf),
            ),
            (
                Line::Column {
                    field: 2,
                    column: 0,
                },
                tree_of(&a, leaf),
            ),
            (
                Line::Difference { field: 2, minus: 3 },
                tree_of(&difference, leaf),
            ),
        ];
        let axis = match &x {
            Some(x) => Axis::Field {
                field: 0,
                tree: tree_of(x, leaf),
            },
            None => Axis::Rows,
        };
        let pyramid = Pyramid {
            rows,
            leaf,
            axis,
            widths: vec![1, 2, 1, 1],
            lines,
        };
        Self {
            x,
            matrix,
            a,
            b,
            pyramid,
        }
    }

    fn x(&self) -> Vec<f64> {
        self.x
            .clone()
            .unwrap_or_else(|| (0..self.pyramid.rows).map(|i| i as f64).collect())
    }

    /// Reads rows as the storage would, counting the values read.
    fn reader<'a>(
        &'a self,
        read: &'a mut usize,
    ) -> impl FnMut(usize, usize, usize) -> Result<Vec<f64>, String> + 'a {
        move |field, from, count| {
            let x = self.x();
            let (values, width) = match field {
                0 => (&x, 1),
                1 => (&self.matrix, 2),
                2 => (&self.a, 1),
                _ => (&self.b, 1),
            };
            *read += count * width;
            Ok(values[from * width..(from + count) * width].to_vec())
        }
    }

    /// Checks the pyramid's columns against `reduce_columns` over every value.
    fn check(&self, range: (f64, f64), columns: usize) {
        let x = self.x();
        let column =
            |j: usize| -> Vec<f64> { self.matrix.iter().skip(j).step_by(2).copied().collect() };
        let difference: Vec<f64> = self.a.iter().zip(&self.b).map(|(a, b)| a - b).collect();
        let (c0, c1) = (column(0), column(1));
        let (want_x, want) = reduce_columns(&x, &[&c0, &c1, &self.a, &difference], range, columns);
        let mut read = 0;
        let (got_x, got) = self
            .pyramid
            .columns(range, columns, &mut self.reader(&mut read))
            .unwrap();
        let what = format!(
            "range {range:?}, {columns} columns, {} rows",
            self.pyramid.rows
        );
        assert_eq!(got_x.len(), want_x.len(), "columns holding points: {what}");
        for (g, w) in got_x.iter().zip(&want_x) {
            assert!(close(*g, *w), "x centre {g} against {w}: {what}");
        }
        for (line, (g, w)) in got.iter().zip(&want).enumerate() {
            for c in 0..want_x.len() {
                assert!(
                    same(g.min[c], w.min[c]),
                    "line {line} column {c} min {} against {}: {what}",
                    g.min[c],
                    w.min[c]
                );
                assert!(
                    same(g.max[c], w.max[c]),
                    "line {line} column {c} max {} against {}: {what}",
                    g.max[c],
                    w.max[c]
                );
                assert!(
                    close(g.mean[c], w.mean[c]),
                    "line {line} column {c} mean {} against {}: {what}",
                    g.mean[c],
                    w.mean[c]
                );
            }
        }
        let inside = x
            .iter()
            .filter(|v| **v >= range.0 && **v <= range.1)
            .count();
        let rows = self
            .pyramid
            .rows_in(range, &mut self.reader(&mut 0))
            .unwrap();
        assert_eq!(rows.len(), inside, "rows in range: {what}");
    }
}

#[test]
fn a_fold_of_any_leaves_is_their_summary() {
    let mut random = Random(7);
    for leaves in 1..40 {
        let nodes: Vec<Node> = (0..leaves)
            .map(|_| Node::of(&values(&mut random, 5)))
            .collect();
        let tree = Tree::from_leaves(nodes.clone());
        for from in 0..=leaves {
            for until in from..=leaves {
                let want = nodes[from..until]
                    .iter()
                    .copied()
                    .fold(Node::EMPTY, Node::merge);
                let got = tree.fold(from, until);
                assert!(
                    same(got.min, want.min) && same(got.max, want.max),
                    "{from}..{until} of {leaves}"
                );
                assert_eq!(got.count, want.count, "{from}..{until} of {leaves}");
                assert!(close(got.sum, want.sum), "{from}..{until} of {leaves}");
            }
        }
    }
}

#[test]
fn columns_are_those_of_every_value_for_every_window_and_width() {
    let mut random = Random(42);
    for (rows, leaf) in [
        (1, LEAF),
        (2, LEAF),
        (LEAF - 1, LEAF),
        (LEAF, LEAF),
        (LEAF + 1, LEAF),
        (3 * LEAF + 17, LEAF),
        (5_000, LEAF),
        // Short leaves: more levels for the same rows.
        (5_000, 16),
        (777, 4),
    ] {
        for with_x in [true, false] {
            let case = Case::new(&mut random, rows, with_x, leaf);
            let x = case.x();
            let (first, last) = (x[0], x[rows - 1]);
            // Windows: everything, beyond both ends, and between random points (on them and between them).
            let mut windows = vec![
                (first, last),
                (first - 1.0, last + 1.0),
                (last + 1.0, last + 2.0),
            ];
            for _ in 0..30 {
                let (i, j) = (random.below(rows), random.below(rows));
                let (i, j) = (i.min(j), i.max(j));
                windows.push((x[i], x[j]));
                windows.push((x[i] - 1e-3, x[j] + 0.37 * random.unit()));
            }
            for &window in &windows {
                for columns in [1, 2, 3, 7, 64, 333, 1_000] {
                    case.check(window, columns);
                }
            }
        }
    }
}

#[test]
fn a_view_reads_about_a_leaf_per_field_at_each_column_boundary() {
    let mut random = Random(3);
    let rows = 400_000;
    let case = Case::new(&mut random, rows, true, LEAF);
    let mut read = 0;
    let x = case.x();
    let (centres, bands) = case
        .pyramid
        .columns((x[0], x[rows - 1]), 500, &mut case.reader(&mut read))
        .unwrap();
    assert_eq!(centres.len(), 500);
    assert_eq!(bands.len(), 4);
    // x, the 2-wide matrix and the two vectors: 5 values a row, one leaf each at each of 501 boundaries
    // (and the searches' leaves), against 2,000,000 values in all.
    assert!(read <= 2 * 501 * 5 * LEAF, "read {read} values");
}

#[test]
fn long_series_get_longer_leaves() {
    assert_eq!(leaf_for(0), LEAF);
    assert_eq!(leaf_for(10_000_000), LEAF);
    assert_eq!(leaf_for(100_000_000), 1_024);
    assert!(100_000_000usize.div_ceil(leaf_for(100_000_000)) <= MOST_LEAVES);
}

#[test]
fn planted_spikes_survive_in_their_columns() {
    let rows = 1_000_000;
    let x: Vec<f64> = (0..rows).map(|i| i as f64 / rows as f64).collect();
    let mut y = vec![0.0; rows];
    y[123_457] = 9.0;
    y[876_543] = -4.0;
    let pyramid = Pyramid {
        rows,
        leaf: LEAF,
        axis: Axis::Field {
            field: 0,
            tree: tree_of(&x, LEAF),
        },
        widths: vec![1, 1],
        lines: vec![(
            Line::Column {
                field: 1,
                column: 0,
            },
            tree_of(&y, LEAF),
        )],
    };
    let mut read = |field: usize, from: usize, count: usize| -> Result<Vec<f64>, String> {
        Ok([&x, &y][field][from..from + count].to_vec())
    };
    let (centres, bands) = pyramid.columns((0.0, 1.0), 800, &mut read).unwrap();
    assert_eq!(centres.len(), 800);
    let column = (0.123457f64 * 800.0) as usize;
    assert_eq!(bands[0].max[column], 9.0);
    assert_eq!(bands[0].min[(0.876543f64 * 800.0) as usize], -4.0);
    assert_eq!(bands[0].max.iter().copied().fold(f64::MIN, f64::max), 9.0);
}

#[test]
fn a_tree_extended_leaf_by_leaf_is_the_tree_of_all_its_leaves() {
    let mut random = Random(17);
    let leaves: Vec<Node> = (0..300)
        .map(|_| Node::of(&[random.unit(), random.unit() - 0.5]))
        .collect();
    let mut tree = Tree::from_leaves(leaves[..1].to_vec());
    let mut done = 1;
    for step in [1, 2, 5, 1, 30, 64, 3, 100, 93] {
        // The last leaf made again (as a growing result's partial leaf is), and `step` new ones.
        let until = (done + step).min(leaves.len());
        tree.replace_from(done - 1, leaves[done - 1..until].to_vec());
        done = until;
        assert_eq!(
            tree,
            Tree::from_leaves(leaves[..done].to_vec()),
            "{done} leaves"
        );
    }
    assert_eq!(done, leaves.len());
}

/// Rows of a growing 1-D result in memory: x, a 2-wide matrix, a vector and its expected values.
fn growing_fields(random: &mut Random, rows: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    (
        sorted_x(random, rows),
        values(random, rows * 2),
        values(random, rows),
        values(random, rows),
    )
}

#[test]
fn a_pyramid_extended_as_rows_arrive_is_the_pyramid_of_all_of_them() {
    let mut random = Random(23);
    let rows = 20_000;
    let (x, matrix, a, b) = growing_fields(&mut random, rows);
    let lines = lines_of(&[(1, 2), (2, 1), (3, 1)], false);
    let with_error = {
        let mut l = lines.clone();
        l.push(Line::Difference { field: 2, minus: 3 });
        l
    };
    let widths = vec![1, 2, 1, 1];
    let slices = |n: usize| Slices(vec![&x[..n], &matrix[..2 * n], &a[..n], &b[..n]]);
    let leaf = 64;
    let (mut grown, mut counts) = Pyramid::build(
        &slices(100),
        (100, leaf, 2),
        widths.clone(),
        Some(0),
        with_error.clone(),
    )
    .unwrap()
    .unwrap();
    let mut n = 100;
    for step in [1, 27, 64, 500, 3, 1_000, 4_321, 14_000] {
        n = (n + step).min(rows);
        assert!(grown.extend(&slices(n), n, &mut counts).unwrap());
        let (whole, whole_counts) = Pyramid::build(
            &slices(n),
            (n, leaf, 3),
            widths.clone(),
            Some(0),
            with_error.clone(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(counts.non_finite, whole_counts.non_finite, "{n} rows");
        assert_eq!(counts.error.count, whole_counts.error.count, "{n} rows");
        assert!(
            close(counts.error.squares, whole_counts.error.squares),
            "{n} rows"
        );
        assert_eq!(grown.rows, n);
        let mut read = |field: usize, from: usize, count: usize| -> Result<Vec<f64>, String> {
            let width = widths[field];
            let mut out = vec![0.0; count * width];
            slices(n)
                .read(field, from * width, &mut out)
                .map_err(|e| e.to_string())?;
            Ok(out)
        };
        for columns in [1, 13, 400] {
            let range = (x[0], x[n - 1]);
            let (gx, gb) = grown.columns(range, columns, &mut read).unwrap();
            let (wx, wb) = whole.columns(range, columns, &mut read).unwrap();
            assert_eq!(gx.len(), wx.len(), "{n} rows, {columns} columns");
            for (g, w) in gb.iter().zip(&wb) {
                for c in 0..wx.len() {
                    assert!(
                        same(g.min[c], w.min[c]) && same(g.max[c], w.max[c]),
                        "{n} rows, column {c}"
                    );
                    assert!(close(g.mean[c], w.mean[c]), "{n} rows, column {c}");
                }
            }
        }
    }
    // An x that goes back: the pyramid can no longer serve.
    let mut x = x;
    x.push(x[rows - 1] - 1.0);
    let (matrix, a, b) = (
        [&matrix[..], &[0.0, 0.0]].concat(),
        [&a[..], &[0.0]].concat(),
        [&b[..], &[0.0]].concat(),
    );
    let source = Slices(vec![&x, &matrix, &a, &b]);
    assert!(!grown.extend(&source, rows + 1, &mut counts).unwrap());
}

/// Appends `rows` rows to each named array of a payload (a growing result kept in memory grows so).
fn append(payload: &mut ResultPayload, rows: &[(&str, Vec<f64>)]) {
    for (name, values) in rows {
        let Some((_, crate::model::FieldValue::Array(a))) =
            payload.fields.iter_mut().find(|(n, _)| n == name)
        else {
            panic!("no field {name}");
        };
        let width = a.shape.get(1).copied().unwrap_or(1);
        a.values.extend(values);
        a.shape[0] = a.values.len() / width;
    }
}

#[test]
fn a_growing_result_is_viewed_from_its_pyramid_as_from_every_value() {
    use std::borrow::Cow;

    use crate::plots::reduce::reduce_for_view;
    use crate::storage::pyramid::tests::check;

    let mut random = Random(31);
    let rows = PYRAMID_FROM + 1_000;
    let x = sorted_x(&mut random, rows);
    let mut payload = crate::plots::tests::payload(
        "Solution1D",
        &[
            ("x", vec![rows], x.clone()),
            ("computed", vec![rows], values(&mut random, rows)),
            ("expected", vec![rows], values(&mut random, rows)),
            ("noise", vec![500], values(&mut random, 500)),
        ],
        "{}",
    );
    let short =
        crate::plots::tests::payload("Solution1D", &[("computed", vec![10], vec![0.0; 10])], "{}");
    assert!(
        matches!(GrowingPyramid::of(&short), Err(true)),
        "too short yet"
    );
    let mut pyramid = GrowingPyramid::of(&payload).expect("a pyramid");
    let mut last = x[rows - 1];
    for step in [0, 1, 255, 3_000, 40_000] {
        if step > 0 {
            let new_x: Vec<f64> = (1..=step).map(|i| last + i as f64 * 1e-3).collect();
            last = new_x[step - 1];
            append(
                &mut payload,
                &[
                    ("x", new_x),
                    ("computed", values(&mut random, step)),
                    ("expected", values(&mut random, step)),
                    ("noise", values(&mut random, 7)),
                ],
            );
            assert!(pyramid.update(&payload));
        }
        let n = payload.array("x").unwrap().values.len();
        assert_eq!(pyramid.rows(), n);
        let all = &payload.array("x").unwrap().values;
        for window in [
            None,
            Some((all[n / 3], all[n / 3 + 700])),
            Some((all[10], all[n - 10])),
        ] {
            for columns in [5, 800] {
                let got = pyramid.view(&payload, columns, window).unwrap();
                let want = reduce_for_view(Cow::Borrowed(&payload), columns, window, None).unwrap();
                check(
                    &got,
                    &want,
                    &format!("{n} rows, {columns} columns of {window:?}"),
                );
            }
        }
    }
    // x going back: no longer served.
    append(
        &mut payload,
        &[
            ("x", vec![0.0]),
            ("computed", vec![0.0]),
            ("expected", vec![0.0]),
        ],
    );
    assert!(!pyramid.update(&payload));
}
