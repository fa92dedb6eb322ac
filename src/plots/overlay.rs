//! Several runs' results of one type on one chart (the compare page): each run's main curve in its own colour
//! (a `Solution1D`'s computed values, a sequence's values, an optimisation's loss, an ensemble's mean), its
//! min–max or confidence band translucent, its expected curve dashed in the same colour, and a residual panel
//! under it — computed − expected where the result has an expected curve, else the difference from the
//! baseline run's curve (interpolated onto each run's x). The data come reduced per pixel column by the server,
//! as for one run's plot, so any number of runs costs what their canvases show.

use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

use crate::model::ResultType;
use crate::plots::chart::{drawing_error, line, padded, Axis, ChartSpec, Display, Frame, PALETTE};
use crate::plots::ensemble::{Band, Ensemble, EnsembleOptions};
use crate::plots::format::describe;
use crate::plots::legend::{band_outline, draw_legend, swatch, Legend};
use crate::plots::optimization::Optimization;
use crate::plots::sequence::Sequence;
use crate::plots::solution1d::Solution1D;
use crate::plots::stats::{finite_range, nearest_index};
use crate::plots::view::PlotData;

/// The run colour of the `i`-th run compared (the compare page's `.run-colour.cN`).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// One run's curve of a result.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Per point, the lowest and highest value it stands for (a reduced column's range, an ensemble's band).
    pub band: Option<(Vec<f64>, Vec<f64>)>,
    /// The expected values at the same x.
    pub expected: Option<Vec<f64>>,
}

/// The result types whose runs are overlaid as curves.
pub fn overlays(result_type: &ResultType) -> bool {
    matches!(
        result_type,
        ResultType::Solution1D
            | ResultType::DiscreteSequence
            | ResultType::OptimizationResult
            | ResultType::StochasticEnsemble
    )
}

impl Curve {
    /// The curve a result is overlaid by, from the view the server sent.
    pub fn of(view: &PlotData) -> Result<Self, String> {
        let band = |b: Option<(&[f64], &[f64])>| b.map(|(lo, hi)| (lo.to_vec(), hi.to_vec()));
        match &view.payload.result_type {
            ResultType::Solution1D => {
                let d = Solution1D::from_view(view)?;
                Ok(Self {
                    band: band(d.band("computed")),
                    x: d.x,
                    y: d.computed,
                    expected: d.expected,
                })
            }
            ResultType::DiscreteSequence => {
                let d = Sequence::from_view(view)?;
                Ok(Self {
                    band: band(d.band("values")),
                    x: d.index,
                    y: d.values,
                    expected: d.expected,
                })
            }
            ResultType::OptimizationResult => {
                let d = Optimization::from_view(view)?;
                Ok(Self {
                    band: band(d.band("loss")),
                    x: d.step,
                    y: d.loss,
                    expected: None,
                })
            }
            ResultType::StochasticEnsemble => {
                let d = Ensemble::from_view(view)?;
                let options: EnsembleOptions =
                    serde_json::from_str(&view.payload.display_json).unwrap_or_default();
                let Band { mean, lower, upper } = match &d.reduced {
                    Some(r) => Band {
                        mean: r.mean.clone(),
                        lower: r.lower.clone(),
                        upper: r.upper.clone(),
                    },
                    None => d.band(options.confidence),
                };
                Ok(Self {
                    x: d.t,
                    y: mean,
                    band: Some((lower, upper)),
                    expected: None,
                })
            }
            other => Err(format!("{} is not overlaid as curves", other.as_str())),
        }
    }
}

/// `y` of the curve (x ascending) at `at`, linearly interpolated; `None` outside its x range.
pub fn interpolate(x: &[f64], y: &[f64], at: f64) -> Option<f64> {
    let i = x.partition_point(|&v| v < at);
    if i < x.len() && x[i] == at {
        return Some(y[i]);
    }
    if i == 0 || i == x.len() {
        return None;
    }
    let (x0, x1, y0, y1) = (x[i - 1], x[i], y[i - 1], y[i]);
    Some(y0 + (y1 - y0) * (at - x0) / (x1 - x0))
}

/// One run's residual: `(x, value)` points.
pub type Residual = Vec<(f64, f64)>;

/// What the residual panel shows of each run: computed − expected where the run's result has an expected
/// curve, else its difference from the baseline's curve (none for the baseline itself). The caption says which.
pub fn residuals(
    curves: &[Option<Curve>],
    baseline: usize,
) -> (Vec<Option<Residual>>, &'static str) {
    let any_expected = curves.iter().flatten().any(|c| c.expected.is_some());
    let base = curves.get(baseline).and_then(Option::as_ref);
    let residual = |(i, c): (usize, &Option<Curve>)| -> Option<Residual> {
        let c = c.as_ref()?;
        let points = match (&c.expected, base) {
            (Some(e), _) => {
                c.x.iter()
                    .zip(&c.y)
                    .zip(e)
                    .map(|((x, y), e)| (*x, y - e))
                    .collect()
            }
            (None, Some(b)) if !any_expected && i != baseline => {
                c.x.iter()
                    .zip(&c.y)
                    .filter_map(|(x, y)| Some((*x, y - interpolate(&b.x, &b.y, *x)?)))
                    .collect()
            }
            _ => return None,
        };
        Some(points)
    };
    let caption = if any_expected {
        "computed − expected"
    } else {
        "difference from the baseline"
    };
    (curves.iter().enumerate().map(residual).collect(), caption)
}

/// The finite points of a curve.
fn finite(x: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    x.iter()
        .zip(y)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (*x, *y))
        .collect()
}

/// Draws each run's curve (`(i, curve)` in colour `i`): its band translucent, its expected curve dashed, then
/// its line, labelled `labels[i]` for a legend when labels are given.
pub fn draw_runs<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    present: &[(usize, &Curve)],
    labels: Option<&[String]>,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate<From = (f64, f64)>,
{
    for (i, c) in present {
        let color = colour(*i);
        if let Some((lo, hi)) = &c.band {
            let mut outline = finite(&c.x, lo);
            outline.extend(finite(&c.x, hi).into_iter().rev());
            chart
                .draw_series(std::iter::once(Polygon::new(outline, color.mix(0.15))))
                .map_err(drawing_error)?;
        }
        if let Some(e) = &c.expected {
            chart
                .draw_series(DashedLineSeries::new(
                    finite(&c.x, e),
                    6,
                    4,
                    ShapeStyle::from(color).stroke_width(1),
                ))
                .map_err(drawing_error)?;
        }
        let series = chart
            .draw_series(LineSeries::new(finite(&c.x, &c.y), line(color)))
            .map_err(drawing_error)?;
        if let Some(label) = labels.and_then(|l| l.get(*i)) {
            series.label(label.as_str()).legend(swatch(line(color)));
        }
    }
    Ok(())
}

/// The most runs named in a legend inside the chart; beyond, the page's list of runs names them.
pub const MAX_LEGEND: usize = 12;

/// What the pointer reads at `x`: each run's point nearest to it, by the run's label (`labels[i]`), a reduced
/// column with its range; `None` when no run has a point.
pub fn readout(curves: &[Option<Curve>], labels: &[String], x: f64) -> Option<String> {
    let mut at = None;
    let values: Vec<String> = curves
        .iter()
        .zip(labels)
        .filter_map(|(c, label)| {
            let c = c.as_ref()?;
            let i = nearest_index(&c.x, x)?;
            at.get_or_insert(c.x[i]);
            let band = c
                .band
                .as_ref()
                .map(|(lo, hi)| (lo.as_slice(), hi.as_slice()));
            Some(describe(label, &c.y, band, i))
        })
        .collect();
    Some(format!(
        "x ≈ {} · {}",
        crate::plots::format::short_number(at?),
        values.join(" · ")
    ))
}

/// Draws every run's curve (`curves[i]` in colour `i`; `None` where a run lacks the result) and the residual
/// panel against run `baseline`, over `view` (an x range) or every run's whole range; `log_y` puts the main
/// chart on a log axis (a loss). Answers where the main chart's x axis lies, for zoom and read-out.
pub fn draw_overlay<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (curves, labels): (&[Option<Curve>], &[String]),
    baseline: usize,
    display: &Display,
    (log_y, view): (bool, Option<(f64, f64)>),
) -> Result<Frame, String>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(drawing_error)?;
    let present: Vec<(usize, &Curve)> = curves
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((i, c.as_ref()?)))
        .collect();
    if present.is_empty() {
        return Err("no run has this result".into());
    }
    let (residual, caption) = residuals(curves, baseline);
    let has_residual = residual.iter().flatten().any(|r| !r.is_empty());
    let height = area.dim_in_pixel().1;
    let (main_area, residual_area) = if has_residual {
        let (top, bottom) = area.split_vertically(height * 68 / 100);
        (top, Some(bottom))
    } else {
        (area.clone(), None)
    };
    let x = view.unwrap_or_else(|| finite_range(present.iter().map(|(_, c)| c.x.as_slice())));
    let ys = present.iter().flat_map(|(_, c)| {
        [Some(c.y.as_slice()), c.expected.as_deref()]
            .into_iter()
            .flatten()
            .chain(
                c.band
                    .iter()
                    .flat_map(|(lo, hi)| [lo.as_slice(), hi.as_slice()]),
            )
    });
    let log_y = log_y
        && present.iter().all(|(_, c)| {
            c.y.iter()
                .chain(c.band.iter().flat_map(|(lo, _)| lo))
                .filter(|v| v.is_finite())
                .all(|v| *v > 0.0)
        });
    let y = finite_range(ys);
    let spec = ChartSpec::new(
        display.title.as_deref(),
        Axis::new(x, display.x_or("x")),
        Axis::new(if log_y { y } else { padded(y, 0.05) }, display.y_or("y")),
    );
    // A legend naming each run (up to `MAX_LEGEND`), where it hides none of them: the figure exported as PNG
    // says which colour is which run.
    let named = present.len() <= MAX_LEGEND;
    let legend_labels: Vec<&str> = if named {
        present
            .iter()
            .map(|(i, _)| labels.get(*i).map_or("", String::as_str))
            .collect()
    } else {
        Vec::new()
    };
    let drawn: Vec<Vec<(f64, f64)>> = present
        .iter()
        .flat_map(|(_, c)| {
            let band = c
                .band
                .as_ref()
                .map(|(lo, hi)| (lo.as_slice(), hi.as_slice()));
            [
                Some(finite(&c.x, &c.y)),
                c.expected.as_ref().map(|e| finite(&c.x, e)),
            ]
            .into_iter()
            .flatten()
            .chain(band_outline(&c.x, band))
        })
        .collect();
    let legend = Legend {
        labels: &legend_labels,
        drawn: &drawn,
    };
    let named = named.then_some(labels);
    let frame = if log_y {
        let (mut chart, corner) = spec.log_y_with_legend(&main_area, &legend)?;
        draw_runs(&mut chart, &present, named)?;
        if named.is_some() {
            draw_legend(&mut chart, corner)?;
        }
        Frame::of(&chart, x)
    } else {
        let (mut chart, corner) = spec.linear_with_legend(&main_area, &legend)?;
        draw_runs(&mut chart, &present, named)?;
        if named.is_some() {
            draw_legend(&mut chart, corner)?;
        }
        Frame::of(&chart, x)
    };
    if let Some(residual_area) = residual_area {
        let values: Vec<f64> = residual
            .iter()
            .flatten()
            .flat_map(|points| points.iter().map(|(_, v)| *v))
            .collect();
        // A residual that is constant but for rounding (B = A + 1) is drawn flat, not as magnified noise.
        let (lo, hi) = finite_range([values.as_slice()]);
        let half = ((hi - lo) / 2.0)
            .max(1e-4 * lo.abs().max(hi.abs()))
            .max(f64::MIN_POSITIVE);
        let mid = lo / 2.0 + hi / 2.0;
        let r = padded((mid - half, mid + half), 0.05);
        let mut chart = ChartSpec::new(Some(caption), Axis::new(x, None), Axis::new(r, None))
            .compact()
            .linear(&residual_area)?;
        for (i, points) in residual.iter().enumerate() {
            if let Some(points) = points {
                let kept: Vec<(f64, f64)> = points
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect();
                chart
                    .draw_series(LineSeries::new(kept, line(colour(i))))
                    .map_err(drawing_error)?;
            }
        }
    }
    area.present().map_err(drawing_error)?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(x: &[f64], y: &[f64], expected: Option<Vec<f64>>) -> Option<Curve> {
        Some(Curve {
            x: x.to_vec(),
            y: y.to_vec(),
            band: None,
            expected,
        })
    }

    #[test]
    fn interpolation_inside_the_range_and_nothing_outside() {
        let (x, y) = ([0.0, 1.0, 3.0], [0.0, 10.0, 30.0]);
        assert_eq!(interpolate(&x, &y, 2.0), Some(20.0));
        assert_eq!(interpolate(&x, &y, 1.0), Some(10.0));
        assert_eq!(interpolate(&x, &y, 0.0), Some(0.0));
        assert_eq!(interpolate(&x, &y, 3.5), None);
        assert_eq!(interpolate(&x, &y, -0.1), None);
    }

    #[test]
    fn residuals_against_expected_or_else_against_the_baseline() {
        let x = [0.0, 0.5, 1.0];
        // B = A + 1 on a finer grid: its difference from the baseline A is 1 everywhere A reaches.
        let a = curve(&x, &[0.0, 1.0, 2.0], None);
        let b = curve(&[0.0, 0.25, 0.5, 1.0], &[1.0, 1.5, 2.0, 3.0], None);
        let (r, caption) = residuals(&[a.clone(), b, None], 0);
        assert_eq!(caption, "difference from the baseline");
        assert_eq!(r[0], None, "none for the baseline itself");
        assert_eq!(
            r[1].as_deref(),
            Some(&[(0.0, 1.0), (0.25, 1.0), (0.5, 1.0), (1.0, 1.0)][..])
        );
        assert_eq!(r[2], None);
        // With an expected curve, each run against its own.
        let c = curve(&x, &[1.0, 2.0, 3.0], Some(vec![1.0, 2.5, 3.0]));
        let (r, caption) = residuals(&[a, c], 1);
        assert_eq!(caption, "computed − expected");
        assert_eq!(r[0], None);
        assert_eq!(
            r[1].as_deref(),
            Some(&[(0.0, 0.0), (0.5, -0.5), (1.0, 0.0)][..])
        );
    }

    #[test]
    fn fifty_runs_draw_in_their_colours_with_a_residual_panel() {
        let x: Vec<f64> = (0..100).map(|i| i as f64 / 99.0).collect();
        let curves: Vec<Option<Curve>> = (0..50)
            .map(|k| {
                curve(
                    &x,
                    &x.iter()
                        .map(|v| (v * 6.0).sin() + k as f64 * 0.01)
                        .collect::<Vec<_>>(),
                    None,
                )
            })
            .collect();
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
            draw_overlay(&area, (&curves, &[]), 0, &Display::default(), (false, None)).unwrap();
        }
        // Fifty curves and forty-nine residuals: every run drawn, none capped.
        let data_lines = svg
            .lines()
            .filter(|l| l.starts_with("<polyline") && l.contains("stroke-width=\"2\""))
            .count();
        assert_eq!(data_lines, 50 + 49);
        assert!(svg.contains("difference from the baseline"));
        for i in 0..6 {
            let RGBColor(r, g, b) = colour(i);
            assert!(
                svg.contains(&format!("#{r:02X}{g:02X}{b:02X}")),
                "colour {i}"
            );
        }
    }

    #[test]
    fn the_readout_names_every_run_at_the_nearest_point_and_the_view_sets_the_axis() {
        let x = [0.0, 0.5, 1.0];
        let a = curve(&x, &[0.0, 1.0, 2.0], None);
        let b = curve(&x, &[1.0, 2.0, 3.0], None);
        let labels = ["dt=1e-3".to_owned(), "dt=5e-4".to_owned(), "c".to_owned()];
        assert_eq!(
            readout(&[a.clone(), b.clone(), None], &labels, 0.45).as_deref(),
            Some("x ≈ 0.5 · dt=1e-3 = 1 · dt=5e-4 = 2")
        );
        assert_eq!(readout(&[None, None], &labels, 0.5), None);

        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
        let frame = draw_overlay(
            &area,
            (&[a, b], &labels),
            0,
            &Display::default(),
            (false, Some((0.25, 0.75))),
        )
        .unwrap();
        assert_eq!(frame.x, (0.25, 0.75), "the axis spans the view");
        drop(area);
        for label in &labels[..2] {
            assert!(
                svg.lines().any(|l| l.trim() == label),
                "{label} in the legend"
            );
        }
        let middle = frame.data_x((frame.px.0 + frame.px.1) / 2).unwrap();
        assert!((middle - 0.5).abs() < 0.01, "{middle}");
    }
}
