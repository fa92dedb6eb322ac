//! Several runs' `Solution2D` on one colour scale (the compare page): a panel per run and one colour bar for all
//! of them, then a difference map per run against the baseline on a diverging colormap centred at zero, with its
//! own bar. The point under the pointer is read in every panel at once.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plots::chart::{drawing_error, Display, Frame2D};
use crate::plots::colormap::{draw_colour_bar, Colormap, BAR_ROOM};
use crate::plots::solution2d::{draw_cells, Solution2D, Window};
use crate::plots::stats::finite_range;

/// The most panels side by side.
const COLUMNS: usize = 4;

/// What a panel shows: run `i`'s field, or run `i` minus the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Run(usize),
    Difference(usize),
}

/// A drawn panel and where its axes lie on the canvas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Panel {
    pub shown: Shown,
    pub frame: Frame2D,
}

/// The runs' fields, their differences from the baseline's, and the two colour scales.
#[derive(Clone, Debug)]
pub struct FieldSet {
    /// By run; `None` where a run lacks the result.
    pub fields: Vec<Option<Solution2D>>,
    /// By run: its field minus the baseline's, where both are on the same grid (none for the baseline).
    pub differences: Vec<Option<Solution2D>>,
    pub baseline: usize,
    /// One scale for every run's field: the union of their ranges.
    pub scale: (f64, f64),
    /// One scale for every difference, symmetric about zero.
    pub difference_scale: (f64, f64),
}

/// `a − b` cell by cell, when both are on the same grid.
fn difference(a: &Solution2D, b: &Solution2D) -> Option<Solution2D> {
    if (a.nx, a.ny) != (b.nx, b.ny) || a.reduced_from != b.reduced_from {
        return None;
    }
    let (colormap, _) = Colormap::from_display(r#"{"colormap": "RdBu"}"#);
    Some(Solution2D {
        values: a.values.iter().zip(&b.values).map(|(x, y)| x - y).collect(),
        scale: None,
        colormap,
        colormap_note: None,
        ..a.clone()
    })
}

impl FieldSet {
    pub fn new(fields: Vec<Option<Solution2D>>, baseline: usize) -> Self {
        let base = fields.get(baseline).and_then(Option::as_ref);
        let differences: Vec<Option<Solution2D>> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| match (f, base) {
                (Some(f), Some(b)) if i != baseline => difference(f, b),
                _ => None,
            })
            .collect();
        let ranges: Vec<f64> = fields
            .iter()
            .flatten()
            .flat_map(|f| {
                let (lo, hi) = f.range();
                [lo, hi]
            })
            .collect();
        let scale = finite_range([ranges.as_slice()]);
        // The largest difference either way: a constant difference of 1 is drawn on −1 … 1.
        let m = differences
            .iter()
            .flatten()
            .flat_map(|d| d.values.iter())
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let difference_scale = if m > 0.0 && m.is_finite() {
            (-m, m)
        } else {
            (-1.0, 1.0)
        };
        Self {
            fields,
            differences,
            baseline,
            scale,
            difference_scale,
        }
    }

    /// How many panels side by side: as many as runs, up to four.
    pub fn columns(&self) -> usize {
        self.fields.iter().flatten().count().clamp(1, COLUMNS)
    }

    /// How many rows of panels the set draws: the fields', then the differences'.
    pub fn rows(&self) -> usize {
        let rows = |n: usize| n.div_ceil(self.columns());
        rows(self.fields.iter().flatten().count()) + rows(self.differences.iter().flatten().count())
    }

    /// Why a run has no difference map though both it and the baseline have the field: their grids differ
    /// (`shift=1: its grid is 64×64, the baseline's 128×128`).
    pub fn without_difference(&self, labels: &[String]) -> Vec<String> {
        let Some(base) = self.fields.get(self.baseline).and_then(Option::as_ref) else {
            return Vec::new();
        };
        let grid = |f: &Solution2D| {
            let (rows, columns) = f.reduced_from.unwrap_or((f.ny, f.nx));
            format!("{rows}×{columns}")
        };
        self.fields
            .iter()
            .zip(&self.differences)
            .enumerate()
            .filter(|&(i, (f, d))| i != self.baseline && f.is_some() && d.is_none())
            .filter_map(|(i, (f, _))| {
                let label = labels
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("run {}", i + 1));
                Some(format!(
                    "no difference map for {label}: its grid is {}, the baseline's {}",
                    grid(f.as_ref()?),
                    grid(base)
                ))
            })
            .collect()
    }

    /// Every panel's value at (`x`, `y`): `A = 0.5 · B = 1.5 · B − A = 1.000`.
    pub fn readout(&self, x: f64, y: f64, labels: &[String]) -> String {
        let label = |i: usize| {
            labels
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("run {}", i + 1))
        };
        let fields = self.fields.iter().enumerate().filter_map(|(i, f)| {
            Some(format!(
                "{} = {}",
                label(i),
                four_digits(f.as_ref()?.value_at(x, y)?)
            ))
        });
        let differences = self.differences.iter().enumerate().filter_map(|(i, d)| {
            Some(format!(
                "{} − {} = {}",
                label(i),
                label(self.baseline),
                four_digits(d.as_ref()?.value_at(x, y)?)
            ))
        });
        fields.chain(differences).collect::<Vec<_>>().join(" · ")
    }
}

/// A value to four significant digits (`1.000`, `0.002500`, `1.235e7`).
pub fn four_digits(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { v.to_string() };
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-4..6).contains(&magnitude) {
        format!("{v:.*}", (3 - magnitude).max(0) as usize)
    } else {
        format!("{v:.3e}")
    }
}

/// Draws the set onto `area`: rows of run panels with one colour bar, then rows of difference maps with theirs,
/// every panel showing `window` (the zoom they share) or the whole grid. `labels` name the runs (panel titles);
/// returns every panel, for the read-out and the zoom.
pub fn draw_fields<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    set: &FieldSet,
    labels: &[String],
    display: &Display,
    window: Option<Window>,
) -> Result<Vec<Panel>, String>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(drawing_error)?;
    let runs: Vec<(Shown, &Solution2D)> = set
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((Shown::Run(i), f.as_ref()?)))
        .collect();
    if runs.is_empty() {
        return Err("no run has this result".into());
    }
    let differences: Vec<(Shown, &Solution2D)> = set
        .differences
        .iter()
        .enumerate()
        .filter_map(|(i, d)| Some((Shown::Difference(i), d.as_ref()?)))
        .collect();
    let (width, height) = area.dim_in_pixel();
    let (panels_area, bars_area) = area.split_horizontally(width.saturating_sub(BAR_ROOM));
    let rows = set.rows().max(1) as u32;
    let row_height = height / rows;
    let label = |i: usize| {
        labels
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("run {}", i + 1))
    };
    let title = |shown: Shown| match shown {
        Shown::Run(i) => label(i),
        Shown::Difference(i) => format!("{} − {}", label(i), label(set.baseline)),
    };
    let mut drawn = Vec::new();
    let mut row = 0u32;
    let colormap = &runs[0].1.colormap;
    for (block, scale, bar_colormap) in [
        (&runs, set.scale, *colormap),
        (
            &differences,
            set.difference_scale,
            Colormap::from_display(r#"{"colormap": "RdBu"}"#).0,
        ),
    ] {
        if block.is_empty() {
            continue;
        }
        let first_row = row;
        let mut frames: Vec<Frame2D> = Vec::new();
        for chunk in block.chunks(set.columns()) {
            let strip = panels_area.clone().shrink(
                (0, row * row_height),
                (width.saturating_sub(BAR_ROOM), row_height),
            );
            let cells = strip.split_evenly((1, set.columns()));
            for ((shown, field), cell) in chunk.iter().zip(cells) {
                let panel_display = Display {
                    title: Some(title(*shown)),
                    ..display.clone()
                };
                let mut field = (*field).clone();
                if let Shown::Run(_) = shown {
                    field.colormap = *colormap;
                }
                let frame = draw_cells(&cell, &field, &panel_display, scale, window)?;
                frames.push(frame);
                drawn.push(Panel {
                    shown: *shown,
                    frame,
                });
            }
            row += 1;
        }
        // The block's one colour bar, lined up with its panels' plotting areas.
        let bar = bars_area.clone().shrink(
            (0, first_row * row_height),
            (BAR_ROOM, (row - first_row) * row_height),
        );
        let base = bar.get_base_pixel().1;
        let bar_height = ((row - first_row) * row_height) as i32;
        let top = frames.first().map_or(0, |f| f.py.0 - base);
        let bottom = frames.last().map_or(0, |f| bar_height - (f.py.1 - base));
        draw_colour_bar(&bar, &bar_colormap, scale, (top, bottom))?;
    }
    area.present().map_err(drawing_error)?;
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(values: Vec<f64>) -> Solution2D {
        Solution2D {
            nx: 3,
            ny: 2,
            values,
            x: None,
            y: None,
            scale: None,
            reduced_from: None,
            block: None,
            colormap: Colormap::from_display("{}").0,
            colormap_note: None,
        }
    }

    #[test]
    fn b_equal_to_a_plus_one_shares_one_scale_and_reads_one_everywhere_on_the_difference() {
        let a = field(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let b = field(a.values.iter().map(|v| v + 1.0).collect());
        let set = FieldSet::new(vec![Some(a), Some(b), None], 0);
        assert_eq!(set.scale, (0.0, 6.0), "one scale spanning both ranges");
        assert_eq!(set.difference_scale, (-1.0, 1.0), "centred at zero");
        assert!(set.differences[0].is_none() && set.differences[2].is_none());
        assert!(set.differences[1]
            .as_ref()
            .unwrap()
            .values
            .iter()
            .all(|d| *d == 1.0));
        assert_eq!(set.rows(), 2);
        let labels = ["A".to_owned(), "B".to_owned(), "C".to_owned()];
        assert_eq!(
            set.readout(2.0, 1.0, &labels),
            "A = 5.000 · B = 6.000 · B − A = 1.000"
        );
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (900, 520)).into_drawing_area();
            let panels = draw_fields(&area, &set, &labels, &Display::default(), None).unwrap();
            let shown: Vec<Shown> = panels.iter().map(|p| p.shown).collect();
            assert_eq!(shown, [Shown::Run(0), Shown::Run(1), Shown::Difference(1)]);
            assert!(
                panels[2].frame.py.0 > panels[0].frame.py.1,
                "the difference map is below the runs"
            );
        }
        assert!(svg.contains("B − A"));
    }

    #[test]
    fn grids_that_differ_have_no_difference_map_and_values_read_to_four_digits() {
        let a = field(vec![0.0; 6]);
        let b = Solution2D {
            nx: 2,
            ny: 3,
            ..field(vec![1.0; 6])
        };
        let set = FieldSet::new(vec![Some(a), Some(b)], 0);
        assert!(set.differences.iter().all(Option::is_none));
        assert_eq!(set.rows(), 1);
        assert_eq!(
            set.without_difference(&["A".to_owned(), "B".to_owned()]),
            ["no difference map for B: its grid is 3×2, the baseline's 2×3"]
        );
        let same = FieldSet::new(
            vec![Some(field(vec![0.0; 6])), Some(field(vec![1.0; 6]))],
            0,
        );
        assert!(same.without_difference(&[]).is_empty());
        assert_eq!(four_digits(1.0), "1.000");
        assert_eq!(four_digits(0.0025), "0.002500");
        assert_eq!(four_digits(-123.456), "-123.5");
        assert_eq!(four_digits(1.23456e7), "1.235e7");
    }

    #[test]
    fn a_window_zooms_every_panel_alike() {
        let a = field(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let b = field(a.values.iter().map(|v| v + 1.0).collect());
        let set = FieldSet::new(vec![Some(a), Some(b)], 0);
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (900, 520)).into_drawing_area();
        let window = ((1.5, 2.5), (0.5, 1.5));
        let panels = draw_fields(
            &area,
            &set,
            &["A".into(), "B".into()],
            &Display::default(),
            Some(window),
        )
        .unwrap();
        assert_eq!(panels.len(), 3);
        for p in &panels {
            assert_eq!((p.frame.x, p.frame.y), window, "{:?}", p.shown);
        }
        // The panels' middle is the window's middle: (2, 1), where A = 5 and B − A = 1.
        let f = panels[2].frame;
        let (x, y) = f
            .data_xy((f.px.0 + f.px.1) / 2, (f.py.0 + f.py.1) / 2)
            .unwrap();
        assert!((x - 2.0).abs() < 0.02 && (y - 1.0).abs() < 0.02, "{x} {y}");
        assert_eq!(
            set.readout(x, y, &["A".into(), "B".into()]),
            "A = 5.000 · B = 6.000 · B − A = 1.000"
        );
    }
}
