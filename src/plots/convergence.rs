//! A convergence study on a log–log plot: each group's errors against x in its own colour, the fitted line
//! `e = C·hᵖ` through them, and dashed grey reference slopes at the whole orders the fits come near. The page
//! names each colour's group and order beside the plot (a legend inside would hide points: the series of a
//! study fill every corner).

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::model::converge::{Convergence, Series};
use crate::plots::chart::{drawing_error, line, Axis, ChartSpec, DrawResult, PALETTE};

/// The reference slopes' colour.
const REFERENCE: RGBColor = RGBColor(150, 150, 150);

/// The points of a series that have an error to plot: `(x, error)`.
fn plotted(s: &Series) -> Vec<(f64, f64)> {
    s.points
        .iter()
        .filter_map(|p| Some((p.x, p.error?)))
        .collect()
}

/// `(lo, hi)` widened by `factor` on each side of a log axis.
fn widened((lo, hi): (f64, f64), factor: f64) -> (f64, f64) {
    if lo == hi {
        (lo / factor / 2.0, hi * factor * 2.0)
    } else {
        (lo / factor, hi * factor)
    }
}

/// The whole orders to draw reference slopes for: those nearest each series's order (1 to 8), or 1 and 2.
pub fn reference_orders(c: &Convergence) -> Vec<u32> {
    let mut orders: Vec<u32> = c
        .series
        .iter()
        .filter_map(Series::order)
        .filter(|p| p.is_finite())
        .map(|p| p.round().clamp(1.0, 8.0) as u32)
        .collect();
    orders.sort_unstable();
    orders.dedup();
    if orders.is_empty() {
        orders = vec![1, 2];
    }
    orders
}

/// Draws the study onto `area`; an error when no run has a positive error to plot.
pub fn draw_convergence<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Convergence,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(drawing_error)?;
    let all: Vec<(f64, f64)> = c.series.iter().flat_map(plotted).collect();
    if all.is_empty() {
        return Err(format!(
            "no run has a positive {} to plot against {}",
            if c.y_is_error {
                "error"
            } else {
                "distance from the extrapolated value"
            },
            c.x
        ));
    }
    let range = |values: &mut dyn Iterator<Item = f64>| {
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
    };
    let x_range = widened(range(&mut all.iter().map(|(x, _)| *x)), 1.25);
    let y_range = widened(range(&mut all.iter().map(|(_, e)| *e)), 2.0);
    let y_title = if c.y_is_error {
        c.y.clone()
    } else {
        format!("|{} − extrapolated|", c.y)
    };
    // Ticks at the x values studied (16, 32, …), when there are few enough to label.
    let mut ticks: Vec<f64> = all.iter().map(|(x, _)| *x).collect();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    let x_axis = Axis::new(x_range, c.x.as_str());
    let spec = ChartSpec::new(
        None,
        if ticks.len() <= 8 {
            x_axis.at(&ticks)
        } else {
            x_axis
        },
        Axis::new(y_range, y_title.as_str()),
    );
    let mut chart = spec.log_log(area)?;
    // h as the x axis reads it: x = 1/h for a resolution.
    let x_of = |h: f64| if c.x_is_resolution { 1.0 / h } else { h };
    let (h_lo, h_hi) = {
        let (a, b) = (x_of(x_range.0), x_of(x_range.1));
        (a.min(b), a.max(b))
    };
    // Reference slopes over the middle of the x range, from the top of the data down, labelled by order.
    let (y_lo, y_hi) = y_range;
    for p in reference_orders(c) {
        let (h0, h1) = (
            h_lo * (h_hi / h_lo).powf(0.3),
            h_lo * (h_hi / h_lo).powf(0.7),
        );
        let top = (y_lo * y_hi).sqrt() * (y_hi / y_lo).powf(0.3);
        let at = |h: f64| top * (h / h1).powi(p as i32);
        let style = ShapeStyle::from(REFERENCE).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(
                [(x_of(h0), at(h0)), (x_of(h1), at(h1))],
                6,
                4,
                style,
            ))
            .map_err(drawing_error)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("p = {p}"),
                (x_of(h0), at(h0)),
                ("sans-serif", 12).into_font().color(&REFERENCE),
            )))
            .map_err(drawing_error)?;
    }
    for (i, s) in c.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let points = plotted(s);
        chart
            .draw_series(points.iter().map(|&xy| Circle::new(xy, 4, color.filled())))
            .map_err(drawing_error)?;
        if let Some(fit) = s.fit {
            let hs: Vec<f64> = s
                .points
                .iter()
                .filter(|p| p.error.is_some())
                .map(|p| p.h)
                .collect();
            let (a, b) = hs
                .iter()
                .fold((f64::INFINITY, 0.0f64), |(a, b), &h| (a.min(h), b.max(h)));
            let e = |h: f64| fit.constant * h.powf(fit.order);
            chart
                .draw_series(LineSeries::new(
                    [(x_of(a), e(a)), (x_of(b), e(b))],
                    line(color),
                ))
                .map_err(drawing_error)?;
        }
    }
    area.present().map_err(drawing_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::converge::{OrderFit, Point};
    use crate::model::RunId;

    /// Euler (e = 0.5/N) and Crank–Nicolson (e = 3/N²) at N = 16…256, as `compare::study` fits them.
    fn two_methods() -> Convergence {
        let series = |group: &str, order: f64, constant: f64| Series {
            group: Some(group.into()),
            points: [16.0, 32.0, 64.0, 128.0, 256.0]
                .map(|n: f64| Point {
                    run: RunId(uuid::Uuid::from_u128(n as u128)),
                    name: format!("{group} {n}"),
                    status: None,
                    x: n,
                    h: 1.0 / n,
                    y: constant / n.powf(order),
                    error: Some(constant / n.powf(order)),
                })
                .to_vec(),
            fit: Some(OrderFit {
                order,
                order_error: Some(0.0),
                constant,
                points: 5,
            }),
            richardson: None,
        };
        Convergence {
            x: "meta.N".into(),
            y: "error.max".into(),
            group: Some("meta.solver".into()),
            x_is_resolution: true,
            y_is_error: true,
            series: vec![series("cn", 2.0, 3.0), series("euler", 1.0, 0.5)],
            matched: 10,
            skipped: 0,
        }
    }

    fn svg(c: &Convergence) -> Result<String, String> {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (640, 400)).into_drawing_area();
            draw_convergence(&area, c)?;
        }
        Ok(svg)
    }

    #[test]
    fn draws_each_group_with_its_order_and_the_reference_slopes() {
        let c = two_methods();
        assert_eq!(reference_orders(&c), [1, 2]);
        let svg = svg(&c).unwrap();
        // Each group's points and fitted line in its colour.
        for colour in ["#1F77B4", "#D62728"] {
            assert!(
                svg.matches(colour).count() > 5,
                "{colour}: five points and a line: {svg}"
            );
        }
        assert!(
            svg.contains(">\np = 1\n<") && svg.contains(">\np = 2\n<"),
            "reference slopes are labelled"
        );
        assert!(svg.contains("meta.N") && svg.contains("error.max"));
        assert_eq!(svg.matches("<circle").count(), 10, "ten points");
    }

    #[test]
    fn a_study_with_nothing_to_plot_says_so() {
        let mut c = two_methods();
        c.series.clear();
        assert_eq!(
            svg(&c).unwrap_err(),
            "no run has a positive error to plot against meta.N"
        );
    }
}
