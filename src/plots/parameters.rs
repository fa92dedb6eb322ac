//! Several runs' optimisation parameters (the compare page), as small multiples: one small chart per parameter
//! name found in any run, every run's series of that parameter in the run's colour with its min–max band when
//! reduced, all over the same steps as the loss overlay above them.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plots::chart::{drawing_error, padded, Axis, ChartSpec};
use crate::plots::optimization::Optimization;
use crate::plots::overlay::{draw_runs, Curve};
use crate::plots::stats::finite_range;

/// Small charts side by side.
pub const COLUMNS: usize = 3;

/// One parameter across the runs: its name and each run's series (`None` where a run lacks it).
pub type Parameter = (String, Vec<Option<Curve>>);

/// Every parameter name of any run, in the order first met, with each run's series of it.
pub fn parameters(runs: &[Option<Optimization>]) -> Vec<Parameter> {
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in runs.iter().flatten().flat_map(|o| &o.params) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let series = runs
                .iter()
                .map(|o| {
                    let o = o.as_ref()?;
                    let j = o.params.iter().position(|(n, _)| n == name)?;
                    Some(Curve {
                        x: o.step.clone(),
                        y: o.params[j].1.clone(),
                        band: o
                            .band(&format!("params[{j}]"))
                            .map(|(lo, hi)| (lo.to_vec(), hi.to_vec())),
                        expected: None,
                    })
                })
                .collect();
            (name.to_owned(), series)
        })
        .collect()
}

/// How many rows of small charts `n` parameters take.
pub fn rows(n: usize) -> usize {
    n.div_ceil(COLUMNS)
}

/// Draws one small chart per parameter, `COLUMNS` to a row, each over `x` (the loss overlay's range).
pub fn draw_parameters<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    params: &[Parameter],
    x: (f64, f64),
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(drawing_error)?;
    if params.is_empty() {
        return Err("no run has parameters".into());
    }
    let cells = area.split_evenly((rows(params.len()), COLUMNS));
    for ((name, series), cell) in params.iter().zip(cells) {
        let present: Vec<(usize, &Curve)> = series
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((i, c.as_ref()?)))
            .collect();
        let y = finite_range(present.iter().flat_map(|(_, c)| {
            std::iter::once(c.y.as_slice()).chain(
                c.band
                    .iter()
                    .flat_map(|(lo, hi)| [lo.as_slice(), hi.as_slice()]),
            )
        }));
        let mut chart = ChartSpec::new(
            Some(name),
            Axis::new(x, None),
            Axis::new(padded(y, 0.05), None),
        )
        .compact()
        .linear(&cell)?;
        draw_runs(&mut chart, &present, None)?;
    }
    area.present().map_err(drawing_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(names: &[&str], offset: f64) -> Option<Optimization> {
        let step: Vec<f64> = (0..20).map(f64::from).collect();
        Some(Optimization {
            loss: step.iter().map(|s| 1.0 / (s + 1.0)).collect(),
            params: names
                .iter()
                .enumerate()
                .map(|(j, n)| {
                    let values = step.iter().map(|s| s * j as f64 + offset).collect();
                    ((*n).to_owned(), values)
                })
                .collect(),
            step,
            bands: None,
        })
    }

    #[test]
    fn every_parameter_of_any_run_gets_a_chart_with_every_run_that_has_it() {
        let runs = [run(&["a", "b"], 0.0), None, run(&["b", "c"], 1.0)];
        let params = parameters(&runs);
        let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        let has = |k: usize| -> Vec<bool> { params[k].1.iter().map(Option::is_some).collect() };
        assert_eq!(has(0), [true, false, false]);
        assert_eq!(has(1), [true, false, true]);
        assert_eq!(has(2), [false, false, true]);
        // Run 2's `b` is its first parameter: j = 0, so the constant offset.
        assert!(params[1].1[2].as_ref().unwrap().y.iter().all(|v| *v == 1.0));
        assert_eq!(rows(3), 1);
        assert_eq!(rows(4), 2);

        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (900, 220)).into_drawing_area();
            draw_parameters(&area, &params, (0.0, 19.0)).unwrap();
        }
        // One line per run that has each parameter: 1 + 2 + 1.
        let lines = svg
            .lines()
            .filter(|l| l.starts_with("<polyline") && l.contains("stroke-width=\"2\""))
            .count();
        assert_eq!(lines, 4);
        for name in ["a", "b", "c"] {
            assert!(svg.lines().any(|l| l.trim() == name), "the caption {name}");
        }
    }
}
