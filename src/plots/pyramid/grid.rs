//! Pyramids of large grids: what lets any zoom of a 4096² heatmap read a few hundred thousand summaries instead
//! of 16.7 million cells.
//!
//! A [`GridPyramid`] holds, for every square tile of 2^L × 2^L cells of a row-major grid, a [`Node`] of its
//! finite values (smallest, largest, sum, count); each level above halves both sides. Its finest level has
//! tiles of at least 4 × 4 cells (a node of 32 bytes for 128 bytes of cells) and at most [`MOST_TILES`] of
//! them, so all levels take at most a third of the grid's size: 43 MiB for a 4096² grid (128 MiB of `f64`).
//!
//! A view of it ([`GridPyramid::blocks`]) cuts the cells shown into blocks whose sides are whole tiles: the
//! block side asked for rounded up to a tile side times 1, 2, 3, 4, 6, 8, 12, … (at most half as large again,
//! so the picture is at worst two thirds as fine as one made from every cell), and the shown range rounded out
//! to whole blocks. Each block's extreme — its finite value farthest from its mean, as
//! [`crate::plots::reduce::grid::block_extremes`] picks it — then comes from its tiles' nodes exactly: a hot
//! or cold cell survives wherever it lies.

use std::ops::Range;

use super::{Node, Source};
use crate::plots::reduce::grid::Blocks;

/// At most how many tiles the finest level has (its side doubles past this).
pub const MOST_TILES: usize = 1 << 20;

/// The side of the finest level's tiles is at least 2^this.
const FIRST_LEVEL: u32 = 2;

/// One level: `rows` × `cols` tiles, row-major.
#[derive(Clone, Debug, PartialEq)]
struct Tiles {
    rows: usize,
    cols: usize,
    nodes: Vec<Node>,
}

impl Tiles {
    /// The level above: each tile the four below it (fewer at the edges).
    fn halved(&self) -> Self {
        let (rows, cols) = (self.rows.div_ceil(2), self.cols.div_ceil(2));
        let mut nodes = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                nodes.push(self.fold(2 * r..2 * r + 2, 2 * c..2 * c + 2));
            }
        }
        Self { rows, cols, nodes }
    }

    /// The summary of tiles `rows` × `cols` (clipped to the level).
    fn fold(&self, rows: Range<usize>, cols: Range<usize>) -> Node {
        let cols = cols.start.min(self.cols)..cols.end.min(self.cols);
        let mut acc = Node::EMPTY;
        for r in rows.start..rows.end.min(self.rows) {
            for node in &self.nodes[r * self.cols + cols.start..r * self.cols + cols.end] {
                acc = acc.merge(*node);
            }
        }
        acc
    }
}

/// The summaries of a `rows` × `cols` grid's tiles at every level.
#[derive(Clone, Debug, PartialEq)]
pub struct GridPyramid {
    pub rows: usize,
    pub cols: usize,
    /// log₂ of the finest level's tile side.
    first: u32,
    /// Finest first; the last is one tile.
    levels: Vec<Tiles>,
}

/// The extreme a block shows: its finite value farthest from its mean (the larger on a tie), NaN without one.
pub fn extreme(node: &Node) -> f64 {
    if node.count == 0 {
        return f64::NAN;
    }
    let mean = node.sum / node.count as f64;
    if node.max - mean >= mean - node.min {
        node.max
    } else {
        node.min
    }
}

/// The block side a pyramid whose finest tiles have side `tile` uses for a side of at least `wanted`: `tile`
/// times the first of 1, 2, 3, 4, 6, 8, 12, 16, … that reaches it.
fn block_side(wanted: usize, tile: usize) -> usize {
    let mut power = 1;
    loop {
        for m in [power, power / 2 * 3] {
            if m >= 1 && tile * m >= wanted {
                return tile * m;
            }
        }
        power *= 2;
    }
}

/// log₂ of the side of the finest tiles of a `rows` × `cols` grid's pyramid.
fn first_level(rows: usize, cols: usize) -> u32 {
    let mut first = FIRST_LEVEL;
    while rows.div_ceil(1 << first) * cols.div_ceil(1 << first) > MOST_TILES {
        first += 1;
    }
    first
}

impl GridPyramid {
    /// The pyramid of the `rows` × `cols` grid `source` holds (field 0, row-major), read a band of tiles at a
    /// time on `threads` threads.
    pub fn build(
        source: &dyn Source,
        (rows, cols): (usize, usize),
        threads: usize,
    ) -> std::io::Result<Self> {
        let first = first_level(rows, cols);
        let side = 1usize << first;
        let (tile_rows, tile_cols) = (rows.div_ceil(side), cols.div_ceil(side));
        let mut nodes = vec![Node::EMPTY; tile_rows * tile_cols];
        let per_part = tile_rows.div_ceil(threads.max(1)).max(1);
        let parts: Vec<std::io::Result<()>> = std::thread::scope(|scope| {
            let handles: Vec<_> = nodes
                .chunks_mut((per_part * tile_cols).max(1))
                .enumerate()
                .map(|(k, out)| {
                    scope.spawn(move || {
                        let mut band = vec![0.0; side * cols];
                        for (b, out) in out.chunks_mut(tile_cols.max(1)).enumerate() {
                            let row = (k * per_part + b) * side;
                            let band = &mut band[..side.min(rows - row) * cols];
                            source.read(0, row * cols, band)?;
                            for cells in band.chunks(cols) {
                                for (node, cells) in out.iter_mut().zip(cells.chunks(side)) {
                                    for &v in cells {
                                        node.add(v);
                                    }
                                }
                            }
                        }
                        Ok(())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a grid pyramid part panicked"))
                .collect()
        });
        parts.into_iter().collect::<std::io::Result<()>>()?;
        let mut levels = vec![Tiles {
            rows: tile_rows,
            cols: tile_cols,
            nodes,
        }];
        while levels.last().is_some_and(|l| l.rows * l.cols > 1) {
            let above = levels.last().expect("a level").halved();
            levels.push(above);
        }
        Ok(Self {
            rows,
            cols,
            first,
            levels,
        })
    }

    /// The memory it holds.
    pub fn bytes(&self) -> usize {
        self.levels.iter().map(|l| l.nodes.len()).sum::<usize>() * std::mem::size_of::<Node>()
            + std::mem::size_of::<Self>()
    }

    /// The summary of the whole grid: its finite range and how many finite values it has.
    pub fn whole(&self) -> Node {
        self.levels
            .last()
            .map_or(Node::EMPTY, |l| l.fold(0..1, 0..1))
    }

    /// Cells `rows` × `cols` cut into blocks of whole tiles at least `wanted` (rows, columns) a side, and each
    /// block's extreme. The range shown is the one asked for rounded out to whole blocks.
    pub fn blocks(&self, rows: Range<usize>, cols: Range<usize>, wanted: (usize, usize)) -> Blocks {
        let tile = 1usize << self.first;
        let block = (block_side(wanted.0, tile), block_side(wanted.1, tile));
        // The finest level whose tiles divide both sides of a block.
        let common = (block.0 / tile)
            .trailing_zeros()
            .min((block.1 / tile).trailing_zeros())
            .min(self.levels.len() as u32 - 1);
        let level = &self.levels[common as usize];
        let side = tile << common;
        let round_out = |range: Range<usize>, block: usize, end: usize| {
            range.start / block * block..(range.end.div_ceil(block) * block).min(end)
        };
        let rows = round_out(rows, block.0, self.rows);
        let cols = round_out(cols, block.1, self.cols);
        let (per_row, per_col) = (block.0 / side, block.1 / side);
        let mut values = Vec::new();
        for br in (rows.start / side..rows.end.div_ceil(side)).step_by(per_row) {
            for bc in (cols.start / side..cols.end.div_ceil(side)).step_by(per_col) {
                values.push(extreme(&level.fold(br..br + per_row, bc..bc + per_col)));
            }
        }
        Blocks {
            rows,
            cols,
            block,
            values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::pyramid::Slices;
    use crate::plots::reduce::grid::block_extremes;

    /// A grid of smooth values with a few spikes, NaN and infinities.
    fn grid(rows: usize, cols: usize) -> Vec<f64> {
        let mut values: Vec<f64> = (0..rows * cols)
            .map(|i| ((i / cols) as f64 * 0.013).sin() + ((i % cols) as f64 * 0.007).cos())
            .collect();
        values[17 * cols + 33] = 50.0;
        values[(rows - 1) * cols + cols - 1] = -40.0;
        values[5] = f64::NAN;
        values[cols * (rows / 2)] = f64::INFINITY;
        values
    }

    /// The cells `rows` × `cols` of a row-major grid, as a grid of their own.
    fn cut(values: &[f64], cols: usize, rows_in: Range<usize>, cols_in: Range<usize>) -> Vec<f64> {
        rows_in
            .flat_map(|r| values[r * cols + cols_in.start..r * cols + cols_in.end].to_vec())
            .collect()
    }

    #[test]
    fn block_sides_are_whole_tiles_at_most_half_as_large_again() {
        let sides: Vec<usize> = (1..=30).map(|w| block_side(w, 4)).collect();
        assert_eq!(&sides[..4], &[4; 4]);
        assert_eq!(sides[4], 8, "5 → 2 tiles");
        assert_eq!(sides[8], 12, "9 → 3 tiles");
        assert_eq!(sides[12], 16, "13 → 4 tiles");
        assert_eq!(sides[16], 24, "17 → 6 tiles");
        assert_eq!(sides[24], 32, "25 → 8 tiles");
        for (w, side) in (5..=30).zip(&sides[4..]) {
            assert!(
                *side >= w && (*side as f64) < 1.5 * w as f64 + 4.0,
                "{w} → {side}"
            );
        }
    }

    #[test]
    fn blocks_from_tiles_are_the_blocks_of_every_cell() {
        let (rows, cols) = (301, 517);
        let values = grid(rows, cols);
        let source = Slices(vec![&values]);
        for threads in [1, 3] {
            let pyramid = GridPyramid::build(&source, (rows, cols), threads).unwrap();
            let whole = pyramid.whole();
            assert_eq!((whole.min, whole.max), (-40.0, 50.0));
            assert_eq!(whole.count as usize, rows * cols - 2);
            for (rows_in, cols_in, wanted) in [
                (0..rows, 0..cols, (7, 5)),
                (0..rows, 0..cols, (40, 3)),
                (10..200, 30..517, (9, 13)),
                (100..101, 0..cols, (1, 30)),
                (0..rows, 250..251, (20, 1)),
            ] {
                let blocks = pyramid.blocks(rows_in.clone(), cols_in.clone(), wanted);
                assert!(blocks.rows.start <= rows_in.start && blocks.rows.end >= rows_in.end);
                assert!(blocks.cols.start <= cols_in.start && blocks.cols.end >= cols_in.end);
                assert!(blocks.block.0 >= wanted.0 && blocks.block.1 >= wanted.1);
                assert_eq!(blocks.block.0 % 4, 0);
                let (out_r, out_c) = blocks.shape();
                let window = cut(&values, cols, blocks.rows.clone(), blocks.cols.clone());
                let want = block_extremes(
                    &window,
                    blocks.cols.len(),
                    [blocks.block.0, blocks.block.1, out_r, out_c],
                );
                assert_eq!(blocks.values.len(), want.len());
                for (got, want) in blocks.values.iter().zip(&want) {
                    assert!(
                        got == want || (got.is_nan() && want.is_nan()),
                        "{rows_in:?} × {cols_in:?} at {wanted:?}: {got} ≠ {want}"
                    );
                }
            }
            // The spike at (17, 33) and the cold corner survive the coarsest view.
            let coarse = pyramid.blocks(0..rows, 0..cols, (rows, cols));
            assert_eq!(coarse.values, vec![50.0]);
            let wide = pyramid.blocks(0..rows, 0..cols, (100, 100));
            assert!(wide.values.contains(&-40.0) && wide.values.contains(&50.0));
        }
    }

    #[test]
    fn a_huge_grid_has_coarser_first_tiles() {
        // 2²² tiles of 4 × 4 would be too many: the first level's tiles are 8 × 8.
        assert_eq!(first_level(4096, 4096), 2);
        assert_eq!(first_level(8192, 8192), 3);
        assert_eq!(first_level(3, 10_000_000), 4, "short and wide");
        let values = vec![1.0; 64 * 64];
        let small = GridPyramid::build(&Slices(vec![&values]), (64, 64), 2).unwrap();
        let tiles: Vec<usize> = small.levels.iter().map(|l| l.nodes.len()).collect();
        assert_eq!(tiles, [256, 64, 16, 4, 1]);
    }
}
