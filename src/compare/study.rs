//! A convergence study across runs: each run's x (a resolution `N` or a step size `h`) and y (an error norm or a
//! solution value), grouped, ordered coarse to fine, with the observed order of each group
//! ([`super::convergence`]).

use std::cmp::Ordering;

use super::convergence::{fit_order, richardson};
use crate::model::converge::{Convergence, Point, Series};
use crate::model::{RunId, RunStatus};

/// One run's values of a study's fields, as the run list reads them.
#[derive(Clone, Debug)]
pub struct Sample {
    pub run: RunId,
    pub name: String,
    pub status: Option<RunStatus>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    /// The run's value of the group field as text.
    pub group: Option<String>,
}

/// How to read x and y; `None` decides from the data and the names ([`x_is_resolution`], [`y_is_error`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Reading {
    pub x_is_resolution: Option<bool>,
    pub y_is_error: Option<bool>,
}

/// Whether x values are resolutions (grid sizes, step counts): every one a whole number of at least 2. Step
/// sizes are fractions in practice.
pub fn x_is_resolution(xs: &[f64]) -> bool {
    !xs.is_empty() && xs.iter().all(|x| x.fract() == 0.0 && *x >= 2.0)
}

/// Whether a field names an error norm: a result's error statistic (`error.max`) or a key that says so
/// (`meta.max_error`, `meta.l2_err`, `meta.residual`).
pub fn y_is_error(field: &str) -> bool {
    let last = field.rsplit('.').next().unwrap_or(field).to_lowercase();
    field.starts_with("error.") || last.contains("err") || last.contains("residual")
}

/// The study of `samples`: grouped by their group's value (numbers in numeric order, runs without one last),
/// each group coarse to fine with its fit, and for solution values its Richardson extrapolation.
pub fn study(
    (x, y, group): (&str, &str, Option<&str>),
    samples: Vec<Sample>,
    reading: Reading,
) -> Convergence {
    let matched = samples.len();
    let y_is_error = reading.y_is_error.unwrap_or_else(|| y_is_error(y));
    let usable: Vec<(Sample, f64, f64)> = samples
        .into_iter()
        .filter_map(|s| {
            let (x, y) = (s.x?, s.y?);
            let fine = x.is_finite() && x > 0.0 && y.is_finite() && (!y_is_error || y > 0.0);
            fine.then_some((s, x, y))
        })
        .collect();
    let xs: Vec<f64> = usable.iter().map(|(_, x, _)| *x).collect();
    let x_is_resolution = reading
        .x_is_resolution
        .unwrap_or_else(|| x_is_resolution(&xs));
    let skipped = matched - usable.len();
    let mut groups: Vec<(Option<String>, Vec<Point>)> = Vec::new();
    for (s, x, y) in usable {
        let point = Point {
            run: s.run,
            name: s.name,
            status: s.status,
            x,
            h: if x_is_resolution { 1.0 / x } else { x },
            y,
            error: y_is_error.then_some(y),
        };
        match groups.iter_mut().find(|(g, _)| *g == s.group) {
            Some((_, points)) => points.push(point),
            None => groups.push((s.group, vec![point])),
        }
    }
    groups.sort_by(|(a, _), (b, _)| value_order(a.as_deref(), b.as_deref()));
    let series = groups
        .into_iter()
        .map(|(group, mut points)| {
            points.sort_by(|a, b| b.h.total_cmp(&a.h));
            let richardson = if y_is_error {
                None
            } else {
                extrapolate(&mut points)
            };
            let errors: Vec<(f64, f64)> = points
                .iter()
                .filter_map(|p| Some((p.h, p.error?)))
                .collect();
            Series {
                group,
                fit: fit_order(&errors),
                richardson,
                points,
            }
        })
        .collect();
    Convergence {
        x: x.to_owned(),
        y: y.to_owned(),
        group: group.map(str::to_owned),
        x_is_resolution,
        y_is_error,
        series,
        matched,
        skipped,
    }
}

/// Richardson extrapolation over the three finest distinct step sizes of `points` (coarse to fine; the first
/// run at each step size stands for it), setting each point's error to its distance from the extrapolated value.
fn extrapolate(points: &mut [Point]) -> Option<crate::model::converge::Richardson> {
    let mut finest: Vec<(f64, f64)> = Vec::new();
    for p in points.iter().rev() {
        if finest.last().is_none_or(|(h, _)| p.h > *h) {
            finest.push((p.h, p.y));
        }
        if finest.len() == 3 {
            break;
        }
    }
    let [fine, medium, coarse] = finest[..] else {
        return None;
    };
    let r = richardson(fine, medium, coarse)?;
    for p in points.iter_mut() {
        let distance = (p.y - r.extrapolated).abs();
        p.error = (distance > 0.0).then_some(distance);
    }
    Some(r)
}

/// Values in order: numbers numerically, before text; text in byte order; runs without a value last.
pub fn value_order(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => x.total_cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => a.cmp(b),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(x: f64, y: f64, group: &str) -> Sample {
        Sample {
            run: RunId(uuid::Uuid::new_v4()),
            name: format!("{group} {x}"),
            status: None,
            x: Some(x),
            y: Some(y),
            group: Some(group.to_owned()),
        }
    }

    #[test]
    fn two_methods_over_grid_sizes_give_their_orders_coarse_to_fine() {
        let mut samples = Vec::new();
        for n in [64.0, 16.0, 256.0, 32.0, 128.0] {
            samples.push(sample(n, 3.0 / (n * n), "rk2"));
            samples.push(sample(n, 0.5 / n, "euler"));
        }
        samples.push(Sample {
            y: None,
            ..sample(8.0, 0.0, "euler")
        });
        let c = study(
            ("meta.N", "error.max", Some("meta.solver")),
            samples,
            Reading::default(),
        );
        assert!(c.x_is_resolution && c.y_is_error);
        assert_eq!((c.matched, c.skipped), (11, 1));
        let groups: Vec<_> = c.series.iter().map(|s| s.group.as_deref()).collect();
        assert_eq!(groups, [Some("euler"), Some("rk2")]);
        let xs: Vec<f64> = c.series[1].points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [16.0, 32.0, 64.0, 128.0, 256.0]);
        assert_eq!(c.series[1].points[0].h, 1.0 / 16.0);
        let orders: Vec<f64> = c.series.iter().map(|s| s.fit.unwrap().order).collect();
        assert!((orders[0] - 1.0).abs() < 1e-12 && (orders[1] - 2.0).abs() < 1e-12);
        assert!(c.series.iter().all(|s| s.richardson.is_none()));
    }

    #[test]
    fn step_sizes_are_read_as_they_are_and_bad_values_are_skipped() {
        let samples = vec![
            sample(0.1, 0.01, "a"),
            sample(0.05, 0.0025, "a"),
            sample(0.025, 0.0, "a"),
            sample(-0.1, 0.01, "a"),
            sample(f64::NAN, 0.01, "a"),
        ];
        let c = study(("meta.dt", "meta.err", None), samples, Reading::default());
        assert!(!c.x_is_resolution && c.y_is_error);
        assert_eq!(c.skipped, 3);
        assert_eq!(c.series[0].points[0].h, 0.1);
        assert!((c.series[0].fit.unwrap().order - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_solution_value_is_extrapolated_from_its_three_finest_grids() {
        // φ(h) = 1 + 0.3·h² at N = 8, 16, 32, 64: p = 2, φ_ext = 1, errors 0.3·h².
        let samples: Vec<Sample> = [8.0, 16.0, 32.0, 64.0]
            .iter()
            .map(|&n| sample(n, 1.0 + 0.3 / (n * n), "cn"))
            .collect();
        let c = study(("meta.N", "field.max", None), samples, Reading::default());
        assert!(!c.y_is_error);
        let s = &c.series[0];
        let r = s.richardson.unwrap();
        assert!(
            (r.order - 2.0).abs() < 1e-6 && (r.extrapolated - 1.0).abs() < 1e-9,
            "{r:?}"
        );
        assert!((s.points[0].error.unwrap() - 0.3 / 64.0).abs() < 1e-9);
        assert!((s.fit.unwrap().order - 2.0).abs() < 1e-6);
        // Told to read it as an error, the same values fit no order worth the name, and nothing is extrapolated.
        let forced = study(
            ("meta.N", "field.max", None),
            c.series[0]
                .points
                .iter()
                .map(|p| sample(p.x, p.y, "cn"))
                .collect(),
            Reading {
                y_is_error: Some(true),
                ..Reading::default()
            },
        );
        assert!(forced.series[0].richardson.is_none());
        assert!(forced.series[0].fit.unwrap().order.abs() < 0.1);
    }

    #[test]
    fn names_and_values_decide_how_fields_are_read() {
        assert!(
            y_is_error("error.rms") && y_is_error("meta.max_error") && y_is_error("meta.L2Err")
        );
        assert!(
            !y_is_error("field.max") && !y_is_error("loss.final") && !y_is_error("meta.energy")
        );
        assert!(
            x_is_resolution(&[16.0, 32.0])
                && !x_is_resolution(&[0.5, 0.25])
                && !x_is_resolution(&[1.0, 2.0])
        );
        fn sorted<'a>(values: &[Option<&'a str>]) -> Vec<Option<&'a str>> {
            let mut v = values.to_vec();
            v.sort_by(|a, b| value_order(*a, *b));
            v
        }
        assert_eq!(
            sorted(&[None, Some("b"), Some("10"), Some("9"), Some("a")]),
            [Some("9"), Some("10"), Some("a"), Some("b"), None]
        );
    }
}
