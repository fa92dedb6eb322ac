//! A view made from a pyramid is the one made from every value (`reduce_for_view`), for the three 1-D types,
//! for files our writer and other tools write, at every window and width tried.

use std::borrow::Cow;

use ndarray::Array2;
use serde_json::json;

use super::*;
use crate::model::FieldValue;
use crate::plots::reduce::reduce_for_view;
use crate::plots::view::Reduction;
use crate::storage::npy::NpyArray;
use crate::storage::DataValue;

/// xorshift64*, so that failures repeat.
struct Random(u64);

impl Random {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Noise with planted spikes, NaN and ±∞.
    fn values(&mut self, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| match (self.unit() * 400.0) as usize {
                0 => 1e5 + i as f64,
                1 => -1e5,
                2 => f64::NAN,
                3 => f64::INFINITY,
                4 => f64::NEG_INFINITY,
                _ => (i as f64 * 1e-4).sin() + self.unit() * 0.1,
            })
            .collect()
    }

    /// Sorted, with ties and uneven gaps.
    fn sorted(&mut self, n: usize) -> Vec<f64> {
        let mut at = -5.0;
        (0..n)
            .map(|_| {
                if self.unit() > 0.2 {
                    at += self.unit() * 1e-3;
                }
                at
            })
            .collect()
    }
}

const ROWS: usize = PYRAMID_FROM + 4_321;

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
}

/// The view from the pyramid against the one from every value: the same fields and shapes, the same bands
/// (to the bit), means and centres to rounding.
pub(crate) fn check(got: &PlotData, want: &PlotData, what: &str) {
    assert_eq!(got.non_finite, want.non_finite, "non-finite count: {what}");
    assert_eq!(
        got.payload.display_json, want.payload.display_json,
        "{what}"
    );
    let names = |p: &PlotData| {
        p.payload
            .fields
            .iter()
            .map(|(n, _)| n.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(got), names(want), "fields: {what}");
    for ((name, g), (_, w)) in got.payload.fields.iter().zip(&want.payload.fields) {
        match (g, w) {
            (FieldValue::Array(g), FieldValue::Array(w)) => {
                assert_eq!(g.shape, w.shape, "field {name}: {what}");
                for (i, (a, b)) in g.values.iter().zip(&w.values).enumerate() {
                    assert!(close(*a, *b), "field {name}[{i}] {a} against {b}: {what}");
                }
            }
            (g, w) => assert_eq!(g, w, "field {name}: {what}"),
        }
    }
    match (&got.reduction, &want.reduction) {
        (None, None) => {}
        (Some(Reduction::Columns(g)), Some(Reduction::Columns(w))) => {
            assert_eq!(g.points, w.points, "points: {what}");
            for name in [
                "computed",
                "expected",
                "values",
                "loss",
                "params[0]",
                "params[2]",
                "error",
            ] {
                match (g.bands.get(name), w.bands.get(name)) {
                    (None, None) => {}
                    (Some((gmin, gmax)), Some((wmin, wmax))) => {
                        assert!(same(gmin, wmin), "band {name} min: {what}");
                        assert!(same(gmax, wmax), "band {name} max: {what}");
                    }
                    (g, w) => panic!("band {name}: {g:?} against {w:?}: {what}"),
                }
            }
            match (&g.error, &w.error) {
                (None, None) => {}
                (Some(g), Some(w)) => {
                    assert!(
                        g.mean.iter().zip(&w.mean).all(|(a, b)| close(*a, *b)),
                        "{what}"
                    );
                    let (g, w) = (g.stats.unwrap(), w.stats.unwrap());
                    assert!(
                        close(g.0, w.0) && close(g.1, w.1),
                        "error stats {g:?} against {w:?}: {what}"
                    );
                }
                (g, w) => panic!("error: {g:?} against {w:?}: {what}"),
            }
        }
        (g, w) => panic!("reduction {g:?} against {w:?}: {what}"),
    }
}

/// Every view tried of result `id`, from its pyramid and from every value.
fn check_views(storage: &AsgardStorage, id: ResultId, x: &[f64]) {
    let pyramid = storage.line_pyramid(id).unwrap().expect("a pyramid");
    let full = storage.get_result(id).unwrap();
    let (first, last) = (x[0], x[x.len() - 1]);
    let mut windows = vec![None, Some((first, last)), Some((first - 1.0, first - 0.5))];
    for k in 1..12 {
        let (i, j) = (x.len() * k / 13, x.len() * k / 13 + 37 * k * k * k);
        let j = j.min(x.len() - 1);
        windows.push(Some((x[i], x[j])));
        windows.push(Some((x[i] + 1e-7, x[j] - 1e-7)));
    }
    for view in windows {
        for columns in [1, 7, 300, 1_152] {
            let got = pyramid.view(storage, columns, view).unwrap();
            let want = reduce_for_view(Cow::Borrowed(&full), columns, view, None).unwrap();
            check(&got, &want, &format!("{columns} columns of {view:?}"));
        }
    }
}

#[test]
fn a_solution1d_from_its_pyramid_is_the_one_from_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let storage = AsgardStorage::open(dir.path()).unwrap();
    let run = storage.create_run("pyramid", None, None).unwrap();
    let mut random = Random(11);
    let x = random.sorted(ROWS);
    let id = storage
        .add_result(
            run.id,
            ResultType::Solution1D,
            [
                ("x".to_owned(), DataValue::from(x.clone())),
                ("computed".to_owned(), DataValue::from(random.values(ROWS))),
                ("expected".to_owned(), DataValue::from(random.values(ROWS))),
                // Not plotted, but its NaN counts.
                ("noise".to_owned(), DataValue::from(random.values(9_000))),
                (
                    "note".to_owned(),
                    DataValue::from(json!("kept out of the plot")),
                ),
            ],
            json!({"title": "pyramid"}),
        )
        .unwrap();
    check_views(&storage, id, &x);
}

#[test]
fn a_sequence_without_index_and_in_f32_from_its_pyramid() {
    let dir = tempfile::tempdir().unwrap();
    let storage = AsgardStorage::open(dir.path()).unwrap();
    let run = storage.create_run("pyramid", None, None).unwrap();
    let mut random = Random(5);
    let values: Vec<f32> = random.values(ROWS).into_iter().map(|v| v as f32).collect();
    let id = storage
        .add_result(
            run.id,
            ResultType::DiscreteSequence,
            [("values".to_owned(), DataValue::from(values))],
            json!({}),
        )
        .unwrap();
    let rows: Vec<f64> = (0..ROWS).map(|i| i as f64).collect();
    check_views(&storage, id, &rows);
}

#[test]
fn an_optimisation_with_parameters_and_their_names_from_its_pyramid() {
    let dir = tempfile::tempdir().unwrap();
    let storage = AsgardStorage::open(dir.path()).unwrap();
    let run = storage.create_run("pyramid", None, None).unwrap();
    let mut random = Random(9);
    let step: Vec<f64> = (0..ROWS).map(|i| (i * 10) as f64).collect();
    let params = Array2::from_shape_vec((ROWS, 3), random.values(ROWS * 3)).unwrap();
    let id = storage
        .add_result(
            run.id,
            ResultType::OptimizationResult,
            [
                ("step".to_owned(), DataValue::from(step.clone())),
                ("loss".to_owned(), DataValue::from(random.values(ROWS))),
                (
                    "params".to_owned(),
                    DataValue::Array(NpyArray::F64(params.into_dyn())),
                ),
                (
                    "param_names".to_owned(),
                    DataValue::from(json!(["a", "b", "c"])),
                ),
            ],
            json!({}),
        )
        .unwrap();
    check_views(&storage, id, &step);
}

/// A `.npy` file as NumPy writes it: version 1.0, the header padded with spaces to 64 bytes and a newline.
fn numpy_file(path: &std::path::Path, descr: &str, rows: usize, data: &[u8]) {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows},), }}");
    let mut header = dict.into_bytes();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header);
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn files_other_tools_write_big_endian_and_integer_get_a_pyramid() {
    let dir = tempfile::tempdir().unwrap();
    let storage = AsgardStorage::open(dir.path()).unwrap();
    let run = storage.create_run("numpy", None, None).unwrap();
    let id = ResultId(uuid::Uuid::new_v4());
    let mut random = Random(1);
    // x as little-endian int64 (np.arange), computed as big-endian float32.
    let x: Vec<i64> = (0..ROWS as i64).map(|i| i * 3 - 1_000).collect();
    let computed: Vec<f32> = random.values(ROWS).into_iter().map(|v| v as f32).collect();
    let files = dir.path().join("files");
    numpy_file(
        &files.join(format!("{id}_x.npy")),
        "<i8",
        ROWS,
        &x.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>(),
    );
    numpy_file(
        &files.join(format!("{id}_computed.npy")),
        ">f4",
        ROWS,
        &computed
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect::<Vec<_>>(),
    );
    let record = json!({
        "id": id.to_string(), "run_id": run.id.to_string(), "result_type": "Solution1D",
        "timestamp": "2026-12-02T08:00:00Z",
        "data": {
            "x": {"$npy": format!("{id}_x.npy"), "shape": [ROWS], "dtype": "<i8"},
            "computed": {"$npy": format!("{id}_computed.npy"), "shape": [ROWS], "dtype": ">f4"},
        },
    });
    std::fs::write(storage.result_path(id), record.to_string()).unwrap();
    let x: Vec<f64> = x.iter().map(|v| *v as f64).collect();
    check_views(&storage, id, &x);
}

#[test]
fn results_a_pyramid_cannot_serve_have_none() {
    let dir = tempfile::tempdir().unwrap();
    let storage = AsgardStorage::open(dir.path()).unwrap();
    let run = storage.create_run("none", None, None).unwrap();
    let mut random = Random(2);
    let add = |result_type, fields: Vec<(&str, DataValue)>| {
        storage
            .add_result(
                run.id,
                result_type,
                fields.into_iter().map(|(n, v)| (n.to_owned(), v)),
                json!({}),
            )
            .unwrap()
    };
    // x not sorted: the full reduction handles it.
    let mut x = random.sorted(ROWS);
    x.swap(10, 20_000);
    let unsorted = add(
        ResultType::Solution1D,
        vec![("x", x.into()), ("computed", random.values(ROWS).into())],
    );
    // A NaN in x.
    let mut x = random.sorted(ROWS);
    x[30_000] = f64::NAN;
    let nan_x = add(
        ResultType::Solution1D,
        vec![("x", x.into()), ("computed", random.values(ROWS).into())],
    );
    // Too short to need one.
    let short = add(
        ResultType::DiscreteSequence,
        vec![("values", random.values(PYRAMID_FROM - 1).into())],
    );
    // Lengths that disagree (written by another tool): an error the full data's reduction reports.
    let ragged = ResultId(uuid::Uuid::new_v4());
    let files = dir.path().join("files");
    for (name, rows) in [("values", ROWS), ("expected", ROWS - 1)] {
        numpy_file(
            &files.join(format!("{ragged}_{name}.npy")),
            "<f8",
            rows,
            &vec![0u8; rows * 8],
        );
    }
    let record = json!({
        "id": ragged.to_string(), "run_id": run.id.to_string(), "result_type": "DiscreteSequence",
        "timestamp": "2026-12-02T08:00:00Z",
        "data": {
            "values": {"$npy": format!("{ragged}_values.npy"), "shape": [ROWS], "dtype": "<f8"},
            "expected": {"$npy": format!("{ragged}_expected.npy"), "shape": [ROWS - 1], "dtype": "<f8"},
        },
    });
    std::fs::write(storage.result_path(ragged), record.to_string()).unwrap();
    assert!(
        storage.get_result(ragged).is_ok(),
        "readable, but not drawable"
    );
    // Not a 1-D type.
    let grid = add(
        ResultType::Solution2D,
        vec![(
            "values",
            DataValue::Array(NpyArray::F64(
                Array2::from_shape_vec((256, 300), random.values(256 * 300))
                    .unwrap()
                    .into_dyn(),
            )),
        )],
    );
    for id in [unsorted, nan_x, short, ragged, grid] {
        assert!(storage.line_pyramid(id).unwrap().is_none(), "{id}");
    }
}
