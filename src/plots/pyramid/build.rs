//! Building a [`Pyramid`] from where its rows are (array files, or arrays in memory: a [`Source`]), in parts
//! on every core, and extending it as a growing result's rows arrive.

use super::{Axis, Line, Node, Pyramid, Tree, LEAF};

/// Rows read at a time while building, per field (rounded up to whole leaves).
const BLOCK: usize = 64 * LEAF;

/// Where a pyramid's fields are: `out.len()` values of field `field` from value `skip` on (row-major, a row
/// being the field's width in values).
pub trait Source: Sync {
    fn read(&self, field: usize, skip: usize, out: &mut [f64]) -> std::io::Result<()>;
}

/// Fields in memory, one slice each.
pub struct Slices<'a>(pub Vec<&'a [f64]>);

impl Source for Slices<'_> {
    fn read(&self, field: usize, skip: usize, out: &mut [f64]) -> std::io::Result<()> {
        let values = self.0[field]
            .get(skip..skip + out.len())
            .ok_or_else(|| std::io::Error::other("rows beyond the field's end"))?;
        out.copy_from_slice(values);
        Ok(())
    }
}

/// The running (largest |e|, Σe², n) of a `Solution1D`'s error over its finite values.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ErrorSums {
    pub max_abs: f64,
    pub squares: f64,
    pub count: usize,
}

impl ErrorSums {
    fn add(&mut self, e: f64) {
        if e.is_finite() {
            self.max_abs = self.max_abs.max(e.abs());
            self.squares += e * e;
            self.count += 1;
        }
    }

    fn merge(self, other: Self) -> Self {
        Self {
            max_abs: self.max_abs.max(other.max_abs),
            squares: self.squares + other.squares,
            count: self.count + other.count,
        }
    }

    /// The largest absolute error and the root mean square, as `solution1d::error_stats` gives them.
    pub fn stats(&self) -> Option<(f64, f64)> {
        (self.count > 0).then(|| (self.max_abs, (self.squares / self.count as f64).sqrt()))
    }
}

/// What reading the rows found besides the leaves: NaN and infinite values per field, and the error's sums.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub non_finite: Vec<usize>,
    pub error: ErrorSums,
}

/// What a part of the rows gave besides its leaves: its counts, x's first and last value, and whether x was
/// sorted and finite there.
struct Part {
    counts: Counts,
    ends: Option<(f64, f64)>,
    sorted: bool,
}

/// Where a part writes its leaves: its stretch of x's and of each line's.
struct Out<'a> {
    x: &'a mut [Node],
    lines: Vec<&'a mut [Node]>,
}

/// What every part of a build reads from.
#[derive(Clone, Copy)]
struct Build<'a> {
    source: &'a dyn Source,
    widths: &'a [usize],
    leaf: usize,
    x: Option<usize>,
    lines: &'a [Line],
}

/// A read that failed: the field, and why.
pub type ReadError = (usize, std::io::Error);

impl Pyramid {
    /// The pyramid of `rows` rows of `source` (fields of `widths` values a row; x is field `x`, else the row
    /// numbers), in leaves of `leaf` values, made on `threads` threads; `None` when x is not sorted and finite.
    pub fn build(
        source: &dyn Source,
        (rows, leaf, threads): (usize, usize, usize),
        widths: Vec<usize>,
        x: Option<usize>,
        lines: Vec<Line>,
    ) -> Result<Option<(Self, Counts)>, ReadError> {
        let leaves = rows.div_ceil(leaf);
        let per_part = leaves.div_ceil(threads.max(1)).max(1);
        let mut x_leaves = vec![Node::EMPTY; if x.is_some() { leaves } else { 0 }];
        let mut line_leaves = vec![vec![Node::EMPTY; leaves]; lines.len()];
        let build = Build {
            source,
            widths: &widths,
            leaf,
            x,
            lines: &lines,
        };
        let parts: Vec<Result<Part, ReadError>> = std::thread::scope(|scope| {
            let mut x_stretches = x_leaves.chunks_mut(per_part);
            let mut line_stretches: Vec<_> = line_leaves
                .iter_mut()
                .map(|l| l.chunks_mut(per_part))
                .collect();
            let handles: Vec<_> = (0..leaves.div_ceil(per_part))
                .map(|k| {
                    let from = k * per_part * leaf;
                    let until = (from + per_part * leaf).min(rows);
                    let out = Out {
                        x: x_stretches.next().unwrap_or_default(),
                        lines: line_stretches
                            .iter_mut()
                            .map(|l| l.next().expect("a stretch per part"))
                            .collect(),
                    };
                    scope.spawn(move || build.part(from..until, from, f64::NEG_INFINITY, out))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a pyramid part panicked"))
                .collect()
        });
        let mut counts = Counts {
            non_finite: vec![0; widths.len()],
            error: ErrorSums::default(),
        };
        let mut last_x = f64::NEG_INFINITY;
        for part in parts {
            let part = part?;
            if !part.sorted || part.ends.is_some_and(|(first, _)| first < last_x) {
                return Ok(None);
            }
            if let Some((_, last)) = part.ends {
                last_x = last;
            }
            counts.add(&part.counts);
        }
        let axis = match x {
            Some(field) => Axis::Field {
                field,
                tree: Tree::from_leaves(x_leaves),
            },
            None => Axis::Rows,
        };
        let lines = lines
            .into_iter()
            .zip(line_leaves)
            .map(|(line, leaves)| (line, Tree::from_leaves(leaves)))
            .collect();
        let pyramid = Self {
            rows,
            leaf,
            axis,
            widths,
            lines,
        };
        Ok(Some((pyramid, counts)))
    }

    /// Takes in the rows of `source` after those it has, up to `rows`: the last leaf made again, new leaves
    /// and the nodes above them; what the new rows hold is added to `counts`. `false` when x is no longer
    /// sorted and finite (the pyramid is then unusable).
    pub fn extend(
        &mut self,
        source: &dyn Source,
        rows: usize,
        counts: &mut Counts,
    ) -> Result<bool, ReadError> {
        if rows <= self.rows {
            return Ok(true);
        }
        let leaf = self.leaf;
        let first_leaf = self.rows / leaf;
        let from = first_leaf * leaf;
        let previous = match (&self.axis, from) {
            (Axis::Field { field, .. }, 1..) => {
                let mut x = [0.0];
                source
                    .read(*field, from - 1, &mut x)
                    .map_err(|e| (*field, e))?;
                x[0]
            }
            _ => f64::NEG_INFINITY,
        };
        let made = rows.div_ceil(leaf) - first_leaf;
        let x_field = match &self.axis {
            Axis::Field { field, .. } => Some(*field),
            Axis::Rows => None,
        };
        let mut x_leaves = vec![Node::EMPTY; if x_field.is_some() { made } else { 0 }];
        let mut line_leaves = vec![vec![Node::EMPTY; made]; self.lines.len()];
        let lines: Vec<Line> = self.lines.iter().map(|(line, _)| *line).collect();
        let build = Build {
            source,
            widths: &self.widths,
            leaf,
            x: x_field,
            lines: &lines,
        };
        let out = Out {
            x: &mut x_leaves,
            lines: line_leaves.iter_mut().map(Vec::as_mut_slice).collect(),
        };
        let part = build.part(from..rows, self.rows, previous, out)?;
        if !part.sorted {
            return Ok(false);
        }
        counts.add(&part.counts);
        if let Axis::Field { tree, .. } = &mut self.axis {
            tree.replace_from(first_leaf, x_leaves);
        }
        for ((_, tree), leaves) in self.lines.iter_mut().zip(line_leaves) {
            tree.replace_from(first_leaf, leaves);
        }
        self.rows = rows;
        Ok(true)
    }
}

impl Counts {
    fn add(&mut self, other: &Self) {
        for (mine, theirs) in self.non_finite.iter_mut().zip(&other.non_finite) {
            *mine += theirs;
        }
        self.error = self.error.merge(other.error);
    }
}

impl Build<'_> {
    /// Makes the leaves of rows `range` (starting on a leaf) of every line and of x into `out`, reading each
    /// field a block at a time; counts what rows from `count_from` on hold. x must not fall below `previous`.
    fn part(
        self,
        range: std::ops::Range<usize>,
        count_from: usize,
        previous: f64,
        out: Out<'_>,
    ) -> Result<Part, ReadError> {
        let Out {
            x: x_out,
            lines: mut line_out,
        } = out;
        let leaf = self.leaf;
        let block = BLOCK.div_ceil(leaf) * leaf;
        let mut part = Part {
            counts: Counts {
                non_finite: vec![0; self.widths.len()],
                error: ErrorSums::default(),
            },
            ends: None,
            sorted: true,
        };
        let mut buffers: Vec<Vec<f64>> = self.widths.iter().map(|w| vec![0.0; block * w]).collect();
        let mut previous = previous;
        let mut from = range.start;
        // The next leaf to write, counted in this part.
        let mut at = 0;
        while from < range.end {
            let count = block.min(range.end - from);
            // The rows of this block counted before (an extended leaf's).
            let skipped = count_from.saturating_sub(from).min(count);
            for (f, buffer) in buffers.iter_mut().enumerate() {
                let width = self.widths[f];
                let values = &mut buffer[..count * width];
                self.source
                    .read(f, from * width, values)
                    .map_err(|e| (f, e))?;
                part.counts.non_finite[f] += values[skipped * width..]
                    .iter()
                    .filter(|v| !v.is_finite())
                    .count();
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
                        for (k, (node, (a, b))) in out
                            .iter_mut()
                            .zip(a.chunks(leaf).zip(b.chunks(leaf)))
                            .enumerate()
                        {
                            let mut sum = Node::EMPTY;
                            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                                let e = a - b;
                                sum.add(e);
                                if k * leaf + i >= skipped {
                                    part.counts.error.add(e);
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
