//! Several runs' `StochasticEnsemble` at one shared time (the compare page): each run's distribution over its
//! paths at the time nearest to the one chosen, as a density (the runs may have different numbers of paths) on
//! shared bins, outlined in the run's colour, with a line of statistics per run.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plots::chart::{drawing_error, line, padded, Axis, ChartSpec};
use crate::plots::ensemble::Ensemble;
use crate::plots::format::short_number;
use crate::plots::overlay::colour;
use crate::plots::stats::{finite_range, nearest_index};
use crate::plots::view::PlotData;

/// How many shared bins the histograms have.
pub const BINS: usize = 40;

/// One run's ensemble at the histogram's time: the time its values belong to, and every path's value there.
#[derive(Clone, Debug, PartialEq)]
pub struct AtTime {
    pub t: f64,
    pub values: Vec<f64>,
}

impl AtTime {
    /// The run's values at the time nearest to `t` (default: the last): read from the paths of a raw view; a
    /// reduced view carries them for the column it was asked for (see [`column_near`]).
    pub fn of(view: &PlotData, t: Option<f64>) -> Result<Self, String> {
        let data = Ensemble::from_view(view)?;
        if let Some(r) = &data.reduced {
            return Ok(Self {
                t: r.histogram_t,
                values: r.histogram.clone(),
            });
        }
        let k = match t {
            Some(t) => nearest_index(&data.t, t),
            None => data.t.len().checked_sub(1),
        }
        .ok_or("the ensemble has no times")?;
        Ok(Self {
            t: data.t[k],
            values: data.at(k),
        })
    }

    /// `n = 200, mean = 0.51, sd = 0.1` over the finite values.
    pub fn summary(&self) -> String {
        let finite: Vec<f64> = self
            .values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let n = finite.len() as f64;
        let mean = finite.iter().sum::<f64>() / n;
        let sd =
            (finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
        format!(
            "t = {}: n = {}, mean = {}, sd = {}",
            short_number(self.t),
            finite.len(),
            short_number(mean),
            short_number(sd)
        )
    }
}

/// For a reduced view, the column whose time is nearest to `t`: what to ask the server for so that it sends
/// the values at that time. `None` for a raw view, which holds every time.
pub fn column_near(view: &PlotData, t: f64) -> Option<usize> {
    view.ensemble()?;
    nearest_index(&view.payload.array("t")?.values, t)
}

/// The time range of every run's ensemble together.
pub fn time_range(views: &[Option<&PlotData>]) -> Option<(f64, f64)> {
    // Only the times: parsing the ensembles would copy every path.
    let ts: Vec<&[f64]> = views
        .iter()
        .flatten()
        .filter_map(|v| Some(v.payload.array("t")?.values.as_slice()))
        .collect();
    let (lo, hi) = finite_range(ts.iter().copied());
    (lo.is_finite() && hi.is_finite() && !ts.is_empty()).then_some((lo, hi))
}

/// Each run's density over `BINS` bins shared by all: (the bins' edges, per run the density per bin).
pub fn densities(runs: &[Option<AtTime>]) -> (Vec<f64>, Vec<Option<Vec<f64>>>) {
    let (lo, hi) = finite_range(runs.iter().flatten().map(|r| r.values.as_slice()));
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let width = (hi - lo) / BINS as f64;
    let edges = (0..=BINS).map(|i| lo + width * i as f64).collect();
    let each = runs
        .iter()
        .map(|r| {
            let r = r.as_ref()?;
            let mut counts = vec![0usize; BINS];
            let mut n = 0usize;
            for v in r.values.iter().filter(|v| v.is_finite()) {
                counts[(((v - lo) / width) as usize).min(BINS - 1)] += 1;
                n += 1;
            }
            Some(
                counts
                    .into_iter()
                    .map(|c| c as f64 / (n.max(1) as f64 * width))
                    .collect(),
            )
        })
        .collect();
    (edges, each)
}

/// Draws every run's density at its time (`runs[i]` in colour `i`) as an outlined step curve over shared bins.
pub fn draw_histograms<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[Option<AtTime>],
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(drawing_error)?;
    let Some(first) = runs.iter().flatten().next() else {
        return Err("no run has this result".into());
    };
    let (edges, each) = densities(runs);
    let top = each
        .iter()
        .flatten()
        .flatten()
        .fold(0.0f64, |m, v| m.max(*v));
    let caption = format!("distribution at t ≈ {}", short_number(first.t));
    let mut chart = ChartSpec::new(
        Some(&caption),
        Axis::new((edges[0], edges[BINS]), Some("value")),
        Axis::new(
            padded((0.0, top.max(f64::MIN_POSITIVE)), 0.05),
            Some("density"),
        ),
    )
    .linear(area)?;
    for (i, density) in each.iter().enumerate() {
        let Some(density) = density else { continue };
        let mut outline = vec![(edges[0], 0.0)];
        for (k, d) in density.iter().enumerate() {
            outline.push((edges[k], *d));
            outline.push((edges[k + 1], *d));
        }
        outline.push((edges[BINS], 0.0));
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline.clone(),
                colour(i).mix(0.12),
            )))
            .map_err(drawing_error)?;
        chart
            .draw_series(std::iter::once(PathElement::new(outline, line(colour(i)))))
            .map_err(drawing_error)?;
    }
    area.present().map_err(drawing_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldValue, NumArray, ResultId, ResultPayload, RunId};

    /// A raw ensemble view of `m` paths over `t = 0, 1, …`; path `i` at time `k` is `i + k + offset`.
    fn ensemble(m: usize, n: usize, offset: f64) -> PlotData {
        let array = |shape: Vec<usize>, values: Vec<f64>| {
            FieldValue::Array(NumArray {
                shape,
                dtype: "<f8".into(),
                values,
            })
        };
        let t: Vec<f64> = (0..n).map(|k| k as f64).collect();
        let paths = (0..m)
            .flat_map(|i| (0..n).map(move |k| (i + k) as f64 + offset))
            .collect();
        PlotData::raw(ResultPayload {
            id: ResultId(uuid::Uuid::from_u128(1)),
            run_id: RunId(uuid::Uuid::from_u128(2)),
            result_type: "StochasticEnsemble".into(),
            timestamp: String::new(),
            display_json: "{}".into(),
            fields: vec![
                ("t".into(), array(vec![n], t)),
                ("paths".into(), array(vec![m, n], paths)),
            ],
        })
    }

    #[test]
    fn each_run_is_read_at_the_time_nearest_the_one_chosen() {
        let a = ensemble(4, 10, 0.0);
        let at = AtTime::of(&a, Some(2.4)).unwrap();
        assert_eq!(at.t, 2.0);
        assert_eq!(at.values, [2.0, 3.0, 4.0, 5.0]);
        assert_eq!(AtTime::of(&a, None).unwrap().t, 9.0, "the last by default");
        assert_eq!(at.summary(), "t = 2: n = 4, mean = 3.5, sd = 1.290994");
        assert_eq!(column_near(&a, 2.4), None, "a raw view holds every time");
        assert_eq!(
            time_range(&[Some(&a), None, Some(&ensemble(2, 20, 0.0))]),
            Some((0.0, 19.0))
        );
    }

    #[test]
    fn densities_share_bins_and_integrate_to_one_whatever_the_path_count() {
        let a = AtTime::of(&ensemble(10, 3, 0.0), Some(0.0)).unwrap();
        let b = AtTime::of(&ensemble(40, 3, 5.0), Some(0.0)).unwrap();
        let (edges, each) = densities(&[Some(a.clone()), None, Some(b.clone())]);
        assert_eq!(edges.len(), BINS + 1);
        assert_eq!((edges[0], edges[BINS]), (0.0, 44.0), "both runs' range");
        let width = edges[1] - edges[0];
        for d in [&each[0], &each[2]] {
            let area: f64 = d.as_ref().unwrap().iter().map(|v| v * width).sum();
            assert!((area - 1.0).abs() < 1e-12, "{area}");
        }
        assert!(each[1].is_none());

        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (800, 300)).into_drawing_area();
            draw_histograms(&area, &[Some(a), None, Some(b)]).unwrap();
        }
        assert!(svg.contains("distribution at t ≈ 0"));
        let outlines = svg
            .lines()
            .filter(|l| l.starts_with("<polyline") && l.contains("stroke-width=\"2\""))
            .count();
        assert_eq!(outlines, 2);
    }
}
