//! Multi-resolution summaries of long series: what lets a view of 10⁸ points read a few thousand values.
//!
//! A [`Tree`] holds, for every block of [`LEAF`] consecutive values of a series, the smallest, the largest, the
//! sum and the number of its finite values; each level above halves the one below. A [`Pyramid`] is the trees
//! of a result's plotted lines and of its x axis (which must be sorted). Reducing a view to pixel columns
//! ([`Pyramid::columns`]) then finds each column's rows by binary search on x, and summarises them from
//! O(log n) tree nodes plus the raw values of the two partial leaves at its ends, read through a callback:
//! O(columns × log n) work, whatever the series' length. The result is the one
//! [`crate::plots::reduce::reduce_columns`] computes over every value — the same columns, the same minimum and
//! maximum (every spike survives exactly), the same counts; means and x centres may differ in the last bits,
//! being summed in another order.

use crate::model::{ResultPayload, ResultType};
use crate::plots::reduce::{ColumnBand, LineFields};
use crate::plots::stats::finite_range;
use crate::plots::view::PlotData;

mod build;
mod grid;
mod growing;

pub use build::{Counts, ErrorSums, ReadError, Slices, Source};
pub use grid::GridPyramid;
pub use growing::GrowingPyramid;

/// From how many rows a result gets a pyramid: below, a reduction of every value takes about a millisecond.
pub const PYRAMID_FROM: usize = 1 << 16;

/// What a 1-D type plots, by field name: its x axis, and its series (vectors or, `true`, a matrix of
/// columns), the first required; whether the second is subtracted from the first as an error.
pub struct Plotted {
    pub axis: &'static str,
    pub series: [(&'static str, bool); 2],
    pub error: bool,
}

/// The fields a pyramid of a result of this type summarises; `None` for the types that are not 1-D.
pub fn plotted(result_type: &ResultType) -> Option<Plotted> {
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

/// The lines of a pyramid of `series` (each (field, its width, a matrix)): every column of each, and the
/// error (the first minus the second) when `error`.
pub fn lines_of(series: &[(usize, usize)], error: bool) -> Vec<Line> {
    let mut lines: Vec<Line> = series
        .iter()
        .flat_map(|&(field, width)| (0..width).map(move |column| Line::Column { field, column }))
        .collect();
    if error && series.len() == 2 {
        lines.push(Line::Difference {
            field: series[0].0,
            minus: series[1].0,
        });
    }
    lines
}

/// The view `reduce_for_view` makes for a plot `columns` pixels wide showing `view` (default: everything),
/// made from `pyramid`, the rows it reads through `read`, and what the view holds besides (`out`, with the
/// fields sent as they are, and the count of NaN and infinite values).
pub fn view(
    pyramid: &Pyramid,
    fields: &LineFields,
    (out, non_finite): (ResultPayload, usize),
    read: &mut ReadRows<'_>,
    columns: usize,
    view: Option<(f64, f64)>,
) -> Result<PlotData, String> {
    let (first, last) = pyramid.x_range();
    let range = view
        .filter(|(lo, hi)| lo < hi)
        .unwrap_or_else(|| finite_range([&[first, last][..]]));
    let inside = pyramid.rows_in(range, read)?;
    if inside.len() <= 2 * columns {
        // Every point in view and one neighbour each side, as `reduce_for_view` sends them.
        let keep = if inside.is_empty() {
            0..0
        } else {
            inside.start.saturating_sub(1)..inside.end.min(pyramid.rows - 1) + 1
        };
        let mut values = (0..pyramid.widths.len())
            .map(|f| read(f, keep.start, keep.len()))
            .collect::<Result<Vec<_>, String>>()?;
        let x = match pyramid.axis {
            Axis::Rows => keep.map(|i| i as f64).collect(),
            Axis::Field { .. } => values.remove(0),
        };
        return Ok(fields.rows(out, x, values, non_finite));
    }
    let (centres, bands) = pyramid.columns(range, columns, read)?;
    Ok(fields.columns(out, inside.len(), centres, bands, non_finite))
}

/// How many values a leaf summarises at least: a view reads at most one leaf of raw values per field at each
/// column boundary, and the trees of a series take 2 × 32 bytes per leaf (1/128 of its `f64`s at 256).
pub const LEAF: usize = 256;

/// The most leaves a series gets: longer series get longer leaves (a power of two), so that the trees of a
/// 10⁸-point series take ~6 MB each (leaves of 1,024 values) rather than 25.
pub const MOST_LEAVES: usize = 1 << 17;

/// The leaf length for a series of `rows` values: [`LEAF`], or the power of two that keeps the leaves within
/// [`MOST_LEAVES`].
pub fn leaf_for(rows: usize) -> usize {
    rows.div_ceil(MOST_LEAVES).next_power_of_two().max(LEAF)
}

/// A summary of the finite values of a block of a series. NaN min and max when it has none.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node {
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub count: u64,
}

impl Node {
    pub const EMPTY: Self = Self {
        min: f64::NAN,
        max: f64::NAN,
        sum: 0.0,
        count: 0,
    };

    /// The summary of `values`.
    pub fn of(values: &[f64]) -> Self {
        let mut node = Self::EMPTY;
        for &v in values {
            node.add(v);
        }
        node
    }

    /// Takes one more value in (left out when not finite).
    #[inline]
    pub fn add(&mut self, v: f64) {
        if v.is_finite() {
            // NaN.min(v) is v: an empty summary takes the first value.
            self.min = self.min.min(v);
            self.max = self.max.max(v);
            self.sum += v;
            self.count += 1;
        }
    }

    /// The summary of both blocks.
    #[inline]
    pub fn merge(self, other: Self) -> Self {
        Self {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
            sum: self.sum + other.sum,
            count: self.count + other.count,
        }
    }
}

/// The levels of summaries of one series: level 0 one node per leaf, each level above one node per two below
/// (the last alone when they are odd).
#[derive(Clone, Debug, PartialEq)]
pub struct Tree {
    levels: Vec<Vec<Node>>,
}

impl Tree {
    /// The tree over these leaf summaries.
    pub fn from_leaves(leaves: Vec<Node>) -> Self {
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let below = levels.last().expect("a level");
            let level = below
                .chunks(2)
                .map(|pair| pair.iter().copied().fold(Node::EMPTY, Node::merge))
                .collect();
            levels.push(level);
        }
        Self { levels }
    }

    /// Replaces the leaves from `from` on with `leaves`, and makes the nodes above them again.
    pub fn replace_from(&mut self, from: usize, leaves: Vec<Node>) {
        self.levels[0].truncate(from);
        self.levels[0].extend(leaves);
        let mut level = 1;
        while self.levels[level - 1].len() > 1 {
            let start = from >> level;
            let below = &self.levels[level - 1];
            let made: Vec<Node> = below[(start * 2).min(below.len())..]
                .chunks(2)
                .map(|pair| pair.iter().copied().fold(Node::EMPTY, Node::merge))
                .collect();
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let nodes = &mut self.levels[level];
            nodes.truncate(start);
            nodes.extend(made);
            level += 1;
        }
        self.levels.truncate(level);
    }

    /// The leaf summaries.
    pub fn leaves(&self) -> &[Node] {
        &self.levels[0]
    }

    /// The summary of leaves `from..until`, from at most two nodes per level.
    pub fn fold(&self, mut from: usize, mut until: usize) -> Node {
        let mut acc = Node::EMPTY;
        let mut level = 0;
        while from < until {
            let nodes = &self.levels[level];
            if from & 1 == 1 {
                acc = acc.merge(nodes[from]);
                from += 1;
            }
            if until & 1 == 1 {
                until -= 1;
                acc = acc.merge(nodes[until]);
            }
            from >>= 1;
            until >>= 1;
            level += 1;
        }
        acc
    }

    /// The memory its levels take.
    pub fn bytes(&self) -> usize {
        self.levels.iter().map(Vec::len).sum::<usize>() * std::mem::size_of::<Node>()
    }
}

/// Where a plotted line's values come from: column `column` of field `field` (a vector is a field of one
/// column), or the difference of two fields (a `Solution1D`'s error, computed − expected).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    Column { field: usize, column: usize },
    Difference { field: usize, minus: usize },
}

/// The x axis of a pyramid: the row numbers, or a sorted field of finite values and its tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Axis {
    Rows,
    Field { field: usize, tree: Tree },
}

/// Reads `count` rows from row `from` on of a field, each row its `width` values in order (the callback of
/// [`Pyramid::columns`] and [`Pyramid::rows_in`]).
pub type ReadRows<'r> = dyn FnMut(usize, usize, usize) -> Result<Vec<f64>, String> + 'r;

/// The summaries of a 1-D result: its x axis and each plotted line, all `rows` long.
#[derive(Clone, Debug, PartialEq)]
pub struct Pyramid {
    pub rows: usize,
    /// Values per leaf.
    pub leaf: usize,
    pub axis: Axis,
    /// Values per row of each field.
    pub widths: Vec<usize>,
    pub lines: Vec<(Line, Tree)>,
}

/// A leaf of raw values read, and its number.
type Leaf = Option<(usize, Vec<f64>)>;

/// The raw leaves a reduction has read, the last two kept per field: a column's two ends, the second of which
/// is the next column's first.
struct Leaves<'p, 'r> {
    pyramid: &'p Pyramid,
    read: &'p mut ReadRows<'r>,
    kept: Vec<[Leaf; 2]>,
}

impl Leaves<'_, '_> {
    /// Leaf `k` of field `field`: its rows' values in order.
    fn field(&mut self, field: usize, k: usize) -> Result<&[f64], String> {
        let kept = &mut self.kept[field];
        match kept
            .iter()
            .position(|l| matches!(l, Some((at, _)) if *at == k))
        {
            // The newer stays in slot 0.
            Some(0) => {}
            Some(_) => kept.swap(0, 1),
            None => {
                let from = k * self.pyramid.leaf;
                let count = self.pyramid.leaf.min(self.pyramid.rows - from);
                let values = (self.read)(field, from, count)?;
                let expected = count * self.pyramid.widths[field];
                if values.len() != expected {
                    return Err(format!(
                        "read {} values of a leaf, expected {expected}",
                        values.len()
                    ));
                }
                kept.swap(0, 1);
                kept[0] = Some((k, values));
            }
        }
        Ok(&kept[0].as_ref().expect("kept").1)
    }

    /// The summary of rows `from..until` (inside leaf `k`) of `line`.
    fn partial(&mut self, line: Line, k: usize, from: usize, until: usize) -> Result<Node, String> {
        let base = k * self.pyramid.leaf;
        let (from, until) = (from - base, until - base);
        Ok(match line {
            Line::Column { field, column } => {
                let width = self.pyramid.widths[field];
                let values = self.field(field, k)?;
                let mut node = Node::EMPTY;
                for row in from..until {
                    node.add(values[row * width + column]);
                }
                node
            }
            Line::Difference { field, minus } => {
                let a = self.field(field, k)?[from..until].to_vec();
                let b = self.field(minus, k)?;
                let mut node = Node::EMPTY;
                for (a, b) in a.iter().zip(&b[from..until]) {
                    node.add(a - b);
                }
                node
            }
        })
    }

    /// The summary of rows `from..until` of a line whose tree is `tree`.
    fn range(
        &mut self,
        line: Line,
        tree: &Tree,
        from: usize,
        until: usize,
    ) -> Result<Node, String> {
        if from >= until {
            return Ok(Node::EMPTY);
        }
        let leaf = self.pyramid.leaf;
        let (first, last) = (from / leaf, (until - 1) / leaf);
        if first == last {
            return self.partial(line, first, from, until);
        }
        // Whole leaves between the ends, and the ends' partial leaves.
        let whole_from = from.div_ceil(leaf);
        let whole_until = until / leaf;
        let mut node = tree.fold(whole_from, whole_until);
        if !from.is_multiple_of(leaf) {
            node = node.merge(self.partial(line, first, from, whole_from * leaf)?);
        }
        if !until.is_multiple_of(leaf) {
            node = node.merge(self.partial(line, last, whole_until * leaf, until)?);
        }
        Ok(node)
    }

    /// x at row `row`.
    fn x(&mut self, row: usize) -> Result<f64, String> {
        Ok(match &self.pyramid.axis {
            Axis::Rows => row as f64,
            Axis::Field { field, .. } => {
                let (field, leaf) = (*field, self.pyramid.leaf);
                self.field(field, row / leaf)?[row % leaf]
            }
        })
    }

    /// The first row whose x satisfies `pred` (false, then true, along the sorted x), or `rows`.
    fn partition_point(&mut self, pred: impl Fn(f64) -> bool) -> Result<usize, String> {
        let (rows, leaf) = (self.pyramid.rows, self.pyramid.leaf);
        let leaves = rows.div_ceil(leaf);
        // The first leaf whose first x satisfies it: the row is in the leaf before, or starts that leaf.
        let first_of = |k: usize| match &self.pyramid.axis {
            Axis::Rows => (k * leaf) as f64,
            Axis::Field { tree, .. } => tree.leaves()[k].min,
        };
        let (mut lo, mut hi) = (0, leaves);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if pred(first_of(mid)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        if lo == 0 {
            return Ok(0);
        }
        let k = lo - 1;
        let until = (lo * leaf).min(rows);
        for row in k * leaf..until {
            if pred(self.x(row)?) {
                return Ok(row);
            }
        }
        Ok(until)
    }
}

impl Pyramid {
    /// The memory it takes.
    pub fn bytes(&self) -> usize {
        let axis = match &self.axis {
            Axis::Rows => 0,
            Axis::Field { tree, .. } => tree.bytes(),
        };
        axis + self.lines.iter().map(|(_, t)| t.bytes()).sum::<usize>()
    }

    /// The x range of the data (its first and last x).
    pub fn x_range(&self) -> (f64, f64) {
        match &self.axis {
            Axis::Rows => (0.0, self.rows.saturating_sub(1) as f64),
            Axis::Field { tree, .. } => {
                let leaves = tree.leaves();
                (
                    leaves.first().map_or(f64::NAN, |l| l.min),
                    leaves.last().map_or(f64::NAN, |l| l.max),
                )
            }
        }
    }

    fn leaves<'p, 'r>(&'p self, read: &'p mut ReadRows<'r>) -> Leaves<'p, 'r> {
        Leaves {
            pyramid: self,
            read,
            kept: vec![[None, None]; self.widths.len()],
        }
    }

    /// The rows whose x lies in `range` (inclusive), as `from..until`.
    pub fn rows_in(
        &self,
        (lo, hi): (f64, f64),
        read: &mut ReadRows<'_>,
    ) -> Result<std::ops::Range<usize>, String> {
        let mut leaves = self.leaves(read);
        let from = leaves.partition_point(|x| x >= lo)?;
        let until = leaves.partition_point(|x| x > hi)?.max(from);
        Ok(from..until)
    }

    /// What [`crate::plots::reduce::reduce_columns`] makes of this result's x and lines over `range` in
    /// `columns` columns: the x centre of each column holding points, and each line's band, in the order of
    /// `lines`.
    pub fn columns(
        &self,
        range: (f64, f64),
        columns: usize,
        read: &mut ReadRows<'_>,
    ) -> Result<(Vec<f64>, Vec<ColumnBand>), String> {
        let columns = columns.max(1);
        let (lo, hi) = range;
        let width = (hi - lo) / columns as f64;
        let mut bands: Vec<ColumnBand> = vec![ColumnBand::default(); self.lines.len()];
        let mut centres = Vec::new();
        // A NaN width (an unusable range) too.
        if width.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Ok((centres, bands));
        }
        let inside = self.rows_in(range, read)?;
        let mut leaves = self.leaves(read);
        // The column of an x in range, as `reduce_columns` computes it: non-decreasing along the sorted x.
        let column_of = |x: f64| (((x - lo) / width) as usize).min(columns - 1);
        let mut from = inside.start;
        for c in 0..columns {
            let until = if c + 1 == columns {
                inside.end
            } else {
                leaves
                    .partition_point(|x| column_of(x) > c)?
                    .clamp(from, inside.end)
            };
            if until > from {
                let x_sum = match &self.axis {
                    // Row numbers are exact in f64 up to 2⁵³.
                    Axis::Rows => (from + until - 1) as f64 * (until - from) as f64 / 2.0,
                    Axis::Field { field, tree } => {
                        let line = Line::Column {
                            field: *field,
                            column: 0,
                        };
                        leaves.range(line, tree, from, until)?.sum
                    }
                };
                centres.push(x_sum / (until - from) as f64);
                for ((line, tree), band) in self.lines.iter().zip(&mut bands) {
                    let node = leaves.range(*line, tree, from, until)?;
                    band.mean.push(match node.count {
                        0 => f64::NAN,
                        n => node.sum / n as f64,
                    });
                    band.min.push(node.min);
                    band.max.push(node.max);
                }
            }
            from = until;
        }
        Ok((centres, bands))
    }
}

#[cfg(test)]
mod tests;
