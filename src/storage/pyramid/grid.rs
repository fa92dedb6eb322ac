//! The pyramids of large heatmaps (`plots::pyramid::GridPyramid`): a `Solution2D` whose `values` is a
//! row-major `.npy` file of at least [`GRID_PYRAMID_FROM`] cells gets one, built from the file in one pass.
//! A view then reads the pyramid's tiles when it shows more cells than that, and the cells themselves (with
//! `pread`, row by row) when it shows fewer, or when one of its axes is shown cell by cell (a long, narrow
//! grid: tiles would make that axis four times coarser). A grid of snapshots, inline
//! values or a Fortran-ordered file has no pyramid: its views are made from the full data, as before.

use super::{head_of, ArrayFile, Opened};
use crate::model::{FieldValue, ResultPayload, ResultType};
use crate::plots::pyramid::{GridPyramid, Source};
use crate::plots::reduce::grid::{blocks, cells_in, grid_view, heatmap_cells, window_blocks};
use crate::plots::stats::finite_range;
use crate::plots::view::{PlotData, Zoom};
use crate::storage::format::ResultRecord;
use crate::storage::{AsgardStorage, Error, Result};

/// From how many cells a heatmap gets a pyramid: below, a view reads every cell in a few milliseconds.
pub const GRID_PYRAMID_FROM: usize = 1 << 21;

/// The pyramid of a large `Solution2D`, and what a view of it holds besides the cells.
#[derive(Clone, Debug)]
pub struct HeatmapPyramid {
    /// The result without its fields.
    head: ResultPayload,
    x: Option<Vec<f64>>,
    y: Option<Vec<f64>>,
    file: ArrayFile,
    pyramid: GridPyramid,
    /// The finite range of the whole grid, and how many NaN and infinite values the result holds.
    scale: (f64, f64),
    non_finite: usize,
}

impl HeatmapPyramid {
    /// The memory it holds.
    pub fn bytes(&self) -> usize {
        self.pyramid.bytes()
            + (self.x.as_ref().map_or(0, Vec::len) + self.y.as_ref().map_or(0, Vec::len)) * 8
            + std::mem::size_of::<Self>()
    }

    /// The grid's (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        (self.pyramid.rows, self.pyramid.cols)
    }

    /// The view `plots::reduce::reduce_for_view` makes of the result for a plot `columns` pixels wide showing
    /// `zoom`, except that blocks made from the pyramid have sides of whole tiles (`GridPyramid::blocks`);
    /// `None` for the whole grid when it fits the plot cell by cell (the full data is then what it shows).
    pub fn view(
        &self,
        storage: &AsgardStorage,
        columns: usize,
        zoom: Zoom,
    ) -> Result<Option<PlotData>> {
        let (rows, cols) = self.shape();
        let (max_rows, max_cols) = heatmap_cells(columns);
        if !zoom.is_zoomed() && blocks(rows, cols, max_rows, max_cols).is_none() {
            return Ok(None);
        }
        let (x, y) = (self.x.as_deref(), self.y.as_deref());
        let cells = (cells_in(zoom.y, y, rows), cells_in(zoom.x, x, cols));
        let (shown_rows, shown_cols) = (cells.0.len(), cells.1.len());
        let wanted = blocks(shown_rows, shown_cols, max_rows, max_cols)
            .map(|[block_rows, block_cols, ..]| (block_rows, block_cols))
            .filter(|&(r, c)| shown_rows * shown_cols > GRID_PYRAMID_FROM && r.min(c) > 1);
        // Few cells, or an axis shown cell by cell (tiles would make it four times coarser): the cells.
        let blocks = if let Some(wanted) = wanted {
            self.pyramid.blocks(cells.0, cells.1, wanted)
        } else {
            let opened = Opened::new(storage, std::slice::from_ref(&self.file))?;
            let mut window = vec![0.0; shown_rows * shown_cols];
            for (r, out) in cells.0.clone().zip(window.chunks_mut(shown_cols.max(1))) {
                opened
                    .read(0, r * cols + cells.1.start, out)
                    .map_err(|source| Error::Io {
                        path: self.file.rel.clone(),
                        source,
                    })?;
            }
            window_blocks(window, cells, (max_rows, max_cols))
        };
        Ok(Some(grid_view(
            self.head.clone(),
            (x, y),
            (rows, cols),
            (self.scale, self.non_finite),
            blocks,
        )))
    }
}

impl AsgardStorage {
    /// The pyramid of `record` (result `id`), a `Solution2D`, built from its `values` file; `None` when it
    /// cannot have one (see the module's documentation).
    pub(super) fn heatmap_pyramid(&self, record: &ResultRecord) -> Result<Option<HeatmapPyramid>> {
        let id = record.id;
        if record.result_type != ResultType::Solution2D || record.growing.is_some() {
            return Ok(None);
        }
        let Some(value) = record.data.get("values") else {
            return Ok(None);
        };
        let Some(file) = self.array_file(id, value)? else {
            return Ok(None);
        };
        let (rows, cols) = match file.header.shape[..] {
            [rows, cols] if !file.header.fortran_order && rows * cols >= GRID_PYRAMID_FROM => {
                (rows, cols)
            }
            _ => return Ok(None),
        };
        // The axes, which must fit the grid (else the full data's reduction says what is wrong).
        let mut axes = [None, None];
        let mut non_finite = 0;
        for (name, value) in &record.data {
            if name == "values" {
                continue;
            }
            let field = self.read_field(id, name, value)?;
            let FieldValue::Array(array) = field else {
                continue;
            };
            non_finite += array.values.iter().filter(|v| !v.is_finite()).count();
            match (name.as_str(), array.shape.as_slice()) {
                ("x", &[n]) if n == cols => axes[0] = Some(array.values),
                ("y", &[n]) if n == rows => axes[1] = Some(array.values),
                ("x" | "y", _) => return Ok(None),
                _ => {}
            }
        }
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let opened = Opened::new(self, std::slice::from_ref(&file))?;
        let pyramid =
            GridPyramid::build(&opened, (rows, cols), threads).map_err(|source| Error::Io {
                path: file.rel.clone(),
                source,
            })?;
        let whole = pyramid.whole();
        let [x, y] = axes;
        Ok(Some(HeatmapPyramid {
            head: head_of(record),
            x,
            y,
            file,
            scale: finite_range([[whole.min, whole.max].as_slice()]),
            non_finite: non_finite + rows * cols - whole.count as usize,
            pyramid,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use ndarray::Array2;
    use serde_json::json;

    use super::super::ResultPyramid;
    use super::*;
    use crate::model::ResultId;
    use crate::plots::reduce::grid::block_extremes;
    use crate::plots::reduce::reduce_for_view;
    use crate::plots::solution2d::Solution2D;
    use crate::storage::DataValue;

    /// A `rows` × `cols` heatmap over x in [0, 10) and y in [0, 1), smooth but for a hot and a cold cell and a
    /// NaN, written by our writer.
    fn heatmap(storage: &AsgardStorage, (rows, cols): (usize, usize)) -> (ResultId, Vec<f64>) {
        let run = storage.create_run("heatmap", None, None).unwrap();
        let mut values: Vec<f64> = (0..rows * cols)
            .map(|i| ((i / cols) as f64 * 0.01).sin() + ((i % cols) as f64 * 0.02).cos())
            .collect();
        values[333 * cols + 1001] = 40.0;
        values[1200 * cols + 77] = -30.0;
        values[7] = f64::NAN;
        let x: Vec<f64> = (0..cols).map(|i| i as f64 / cols as f64 * 10.0).collect();
        let y: Vec<f64> = (0..rows).map(|i| i as f64 / rows as f64).collect();
        let grid = Array2::from_shape_vec((rows, cols), values.clone()).unwrap();
        let id = storage
            .add_result(
                run.id,
                ResultType::Solution2D,
                [
                    ("values".to_owned(), DataValue::from(grid)),
                    ("x".to_owned(), DataValue::from(x)),
                    ("y".to_owned(), DataValue::from(y)),
                ],
                json!({"title": "field"}),
            )
            .unwrap();
        (id, values)
    }

    fn pyramid_of(storage: &AsgardStorage, id: ResultId) -> HeatmapPyramid {
        match storage.pyramid(id).unwrap() {
            Some(ResultPyramid::Heatmap(p)) => p,
            other => panic!("not a heatmap's pyramid: {other:?}"),
        }
    }

    #[test]
    fn a_heatmaps_views_come_from_its_tiles_or_cells_and_keep_its_extremes() {
        let dir = tempfile::tempdir().unwrap();
        let storage = AsgardStorage::open(dir.path()).unwrap();
        let (rows, cols) = (1400, 1600);
        let (id, values) = heatmap(&storage, (rows, cols));
        let pyramid = pyramid_of(&storage, id);
        let full = storage.get_result(id).unwrap();

        // The whole grid: blocks of whole tiles, each the extreme of its cells, on the full grid's scale.
        let whole = pyramid
            .view(&storage, 1000, Zoom::default())
            .unwrap()
            .unwrap();
        let grid = whole.grid().copied().unwrap();
        assert_eq!((grid.full, grid.scale), ((rows, cols), (-30.0, 40.0)));
        assert_eq!(whole.non_finite, 1);
        let (br, bc) = grid.block;
        assert!(br % 4 == 0 && bc % 4 == 0 && br >= rows.div_ceil(400) && bc >= cols.div_ceil(750));
        let data = Solution2D::from_view(&whole).unwrap();
        let want = block_extremes(&values, cols, [br, bc, data.ny, data.nx]);
        assert_eq!(data.values.len(), want.len());
        assert!(data
            .values
            .iter()
            .zip(&want)
            .all(|(a, b)| a == b || (a.is_nan() && b.is_nan())));
        assert_eq!(data.values[(333 / br) * data.nx + 1001 / bc], 40.0);
        assert_eq!(data.values[(1200 / br) * data.nx + 77 / bc], -30.0);
        assert!(data
            .readout(5.0, 0.5)
            .unwrap()
            .contains(&format!("block of {br}×{bc} cells")));

        // Zoomed in to fewer cells than a pyramid is made from: the view made from every cell.
        for zoom in [
            Zoom {
                x: Some((6.0, 7.0)),
                y: Some((0.2, 0.3)),
            },
            Zoom {
                x: Some((6.0, 6.1)),
                y: Some((0.2, 0.21)),
            },
            Zoom {
                x: None,
                y: Some((0.2, 0.25)),
            },
        ] {
            let got = pyramid.view(&storage, 1000, zoom).unwrap().unwrap();
            let want = reduce_for_view(Cow::Borrowed(&full), 1000, zoom, None).unwrap();
            assert_eq!(got, want, "{zoom:?}");
        }
        // A zoom into a few cells sends them as they are, still on the whole grid's scale.
        let cells = pyramid
            .view(
                &storage,
                1000,
                Zoom {
                    x: Some((6.0, 6.1)),
                    y: Some((0.2, 0.21)),
                },
            )
            .unwrap()
            .unwrap();
        assert_eq!(cells.grid().unwrap().block, (1, 1));
        let data = Solution2D::from_view(&cells).unwrap();
        assert!((14..=17).contains(&data.nx) && (14..=16).contains(&data.ny));
        let (x, y) = (data.x.as_ref().unwrap(), data.y.as_ref().unwrap());
        let (c, r) = (
            (x[0] / 10.0 * cols as f64).round() as usize,
            (y[0] * rows as f64).round() as usize,
        );
        assert!((959..=961).contains(&c) && (279..=281).contains(&r));
        assert_eq!(data.values[0], values[r * cols + c]);
        let readout = data.readout(x[0], y[0]).unwrap();
        assert!(
            readout.starts_with("x = ") && !readout.contains("block"),
            "{readout}"
        );
    }

    #[test]
    fn small_inline_or_growing_grids_have_no_pyramid() {
        let dir = tempfile::tempdir().unwrap();
        let storage = AsgardStorage::open(dir.path()).unwrap();
        let (small, _) = heatmap(&storage, (1400, 1400));
        assert!(
            storage.pyramid(small).unwrap().is_none(),
            "1.96 million cells"
        );
        let run = storage.create_run("inline", None, None).unwrap();
        let inline = storage
            .add_result(
                run.id,
                ResultType::Solution2D,
                [(
                    "values".to_owned(),
                    DataValue::from(json!([[1.0, 2.0], [3.0, 4.0]])),
                )],
                json!({}),
            )
            .unwrap();
        assert!(storage.pyramid(inline).unwrap().is_none());
    }
}
