//! `StochasticEnsemble`: a sample of the paths, their mean and a confidence band from per-time quantiles,
//! and a histogram of the values at the final time.

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use crate::model::ResultPayload;
use crate::plots::chart::{
    drawing_error, line, x_range, Axis, ChartSpec, Display, Frame, ReadOut, LINE_WIDTH, PALETTE,
};
use crate::plots::fields::{matrix, vector};
use crate::plots::format::short_number;
use crate::plots::legend::{draw_legend, swatch, Legend};
use crate::plots::stats::{finite_range, nearest_index, quantile};
use crate::plots::view::PlotData;
pub use crate::plots::view::ReducedEnsemble;

pub const PATH_COLOR: RGBColor = RGBColor(120, 144, 176);
pub const MEAN_COLOR: RGBColor = PALETTE[0];
pub const BAND_COLOR: RGBColor = PALETTE[3];
pub const HISTOGRAM_COLOR: RGBColor = PALETTE[2];
/// At most this many paths are drawn; the statistics use all of them.
pub const MAX_PATHS_DRAWN: usize = 60;

/// The ensemble's options in `display`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct EnsembleOptions {
    pub confidence: f64,
    pub bins: usize,
}

impl Default for EnsembleOptions {
    fn default() -> Self {
        Self {
            confidence: 0.95,
            bins: 30,
        }
    }
}

/// The data of a `StochasticEnsemble`: `t[n]` and `paths[m][n]`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Ensemble {
    pub t: Vec<f64>,
    pub m: usize,
    pub paths: Vec<f64>,
    /// Set when the server reduced a long ensemble: `t` holds each column's mean time, `paths` a sample of the
    /// paths' column means, and this the statistics of the full data.
    pub reduced: Option<ReducedEnsemble>,
}

/// Per-time statistics of the ensemble.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub mean: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

impl Ensemble {
    pub fn from_payload(payload: &ResultPayload) -> Result<Self, String> {
        let t = vector(payload, "t")?.ok_or("missing field `t`")?;
        let (m, n, paths) = matrix(payload, "paths")?.ok_or("missing field `paths`")?;
        if n != t.len() {
            return Err(format!(
                "field `paths`: expected shape [m, {}] like `t`, found [{m}, {n}]",
                t.len()
            ));
        }
        Ok(Self {
            t,
            m,
            paths,
            reduced: None,
        })
    }

    /// The data as the server sent it for a plot, reduced or not.
    pub fn from_view(view: &PlotData) -> Result<Self, String> {
        Ok(Self {
            reduced: view.ensemble().cloned(),
            ..Self::from_payload(&view.payload)?
        })
    }

    pub fn path(&self, i: usize) -> &[f64] {
        let n = self.t.len();
        &self.paths[i * n..(i + 1) * n]
    }

    /// The values of every path at time index `k`.
    pub fn at(&self, k: usize) -> Vec<f64> {
        (0..self.m).map(|i| self.path(i)[k]).collect()
    }

    /// The mean and the central `confidence` interval at each time, over finite values.
    pub fn band(&self, confidence: f64) -> Band {
        let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
        let mut band = Band {
            mean: Vec::new(),
            lower: Vec::new(),
            upper: Vec::new(),
        };
        for k in 0..self.t.len() {
            let values = self.at(k);
            let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            band.mean.push(if finite.is_empty() {
                f64::NAN
            } else {
                finite.iter().sum::<f64>() / finite.len() as f64
            });
            band.lower.push(quantile(&values, tail).unwrap_or(f64::NAN));
            band.upper
                .push(quantile(&values, 1.0 - tail).unwrap_or(f64::NAN));
        }
        band
    }
}

/// Counts of `values` in `bins` equal bins over their finite range: (bin edges, counts).
pub fn histogram(values: &[f64], bins: usize) -> (Vec<f64>, Vec<usize>) {
    let bins = bins.max(1);
    let (lo, hi) = finite_range([values]);
    let width = (hi - lo) / bins as f64;
    let edges = (0..=bins).map(|i| lo + width * i as f64).collect();
    let mut counts = vec![0; bins];
    for v in values.iter().filter(|v| v.is_finite()) {
        let i = (((v - lo) / width) as usize).min(bins - 1);
        counts[i] += 1;
    }
    (edges, counts)
}

/// What the hover read-out of an ensemble names: the mean and band at the time nearest the pointer.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleStats {
    pub t: Vec<f64>,
    pub band: Band,
    pub confidence: f64,
    pub paths: usize,
    /// Whether each time stands for a pixel column of the full data (the band is then the column's envelope).
    pub reduced: bool,
}

impl ReadOut for EnsembleStats {
    fn readout(&self, x: f64) -> Option<String> {
        let k = nearest_index(&self.t, x)?;
        Some(format!(
            "t {} {}, mean = {}, {}% band = [{}, {}] over {} paths",
            if self.reduced { "≈" } else { "=" },
            short_number(self.t[k]),
            short_number(self.band.mean[k]),
            short_number(self.confidence * 100.0),
            short_number(self.band.lower[k]),
            short_number(self.band.upper[k]),
            self.paths
        ))
    }
}

/// Draws the ensemble, with the histogram at time index `time_index` (default: the last), marked on the paths;
/// `view` (a time range) zooms. Returns where the paths' time axis lies and the statistics the read-out names.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Ensemble,
    display: &Display,
    time_index: Option<usize>,
    view: Option<(f64, f64)>,
) -> Result<(Frame, EnsembleStats), String>
where
    DB::ErrorType: 'static,
{
    let options: EnsembleOptions = serde_json::from_str(&display.raw).unwrap_or_default();
    area.fill(&WHITE).map_err(drawing_error)?;
    if data.t.is_empty() || data.m == 0 {
        return Err("the ensemble has no paths or no times".into());
    }
    let (band, histogram_values, histogram_t, paths) = match &data.reduced {
        Some(r) => (
            Band {
                mean: r.mean.clone(),
                lower: r.lower.clone(),
                upper: r.upper.clone(),
            },
            r.histogram.clone(),
            r.histogram_t,
            r.paths,
        ),
        None => {
            let k = time_index.unwrap_or(data.t.len() - 1).min(data.t.len() - 1);
            (data.band(options.confidence), data.at(k), data.t[k], data.m)
        }
    };
    let width = area.dim_in_pixel().0;
    let (paths_area, hist_area) = area.split_horizontally(width * 7 / 10);

    let t = x_range(view, &data.t);
    let y = finite_range([
        data.paths.as_slice(),
        band.lower.as_slice(),
        band.upper.as_slice(),
    ]);
    let points = |ys: &[f64]| -> Vec<(f64, f64)> {
        data.t
            .iter()
            .zip(ys)
            .filter(|(t, y)| t.is_finite() && y.is_finite())
            .map(|(t, y)| (*t, *y))
            .collect()
    };
    let stride = data.m.div_ceil(MAX_PATHS_DRAWN).max(1);
    let drawn_paths: Vec<Vec<(f64, f64)>> = (0..data.m)
        .step_by(stride)
        .map(|i| points(data.path(i)))
        .collect();
    let mut outline = points(&band.lower);
    outline.extend(points(&band.upper).into_iter().rev());
    let mean = points(&band.mean);
    let band_label = format!("{:.0}% band", options.confidence * 100.0);
    let mut drawn = drawn_paths.clone();
    drawn.push(outline.clone());
    drawn.push(mean.clone());
    let labels = [band_label.as_str(), "mean"];
    let legend = Legend {
        labels: &labels,
        drawn: &drawn,
    };
    let spec = ChartSpec::new(
        display.title.as_deref(),
        Axis::new(t, display.x_or("t")),
        Axis::new(y, display.y_or("X")),
    );
    let (mut chart, corner) = spec.linear_with_legend(&paths_area, &legend)?;
    let frame = Frame::of(&chart, t);
    for path in drawn_paths {
        chart
            .draw_series(LineSeries::new(path, PATH_COLOR.mix(0.35)))
            .map_err(drawing_error)?;
    }
    let fill = BAND_COLOR.mix(0.25).filled();
    chart
        .draw_series(std::iter::once(Polygon::new(outline, fill)))
        .map_err(drawing_error)?
        .label(band_label.as_str())
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], fill));
    let mean_style = line(MEAN_COLOR).stroke_width(LINE_WIDTH + 1);
    chart
        .draw_series(LineSeries::new(mean, mean_style))
        .map_err(drawing_error)?
        .label("mean")
        .legend(swatch(mean_style));
    // The time of the histogram, marked on the paths.
    if histogram_t.is_finite() {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(histogram_t, y.0), (histogram_t, y.1)],
                line(HISTOGRAM_COLOR),
            )))
            .map_err(drawing_error)?;
    }
    draw_legend(&mut chart, corner)?;

    // The distribution at the chosen time.
    let (edges, counts) = histogram(&histogram_values, options.bins);
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let caption = format!("at t = {}", short_number(histogram_t));
    let mut hist = ChartSpec::new(
        Some(&caption),
        Axis::new((0.0, top * 1.1), "count").integer(true).ticks(5),
        Axis::new((edges[0], edges[edges.len() - 1]), None).ticks(5),
    )
    .without_grid()
    .linear(&hist_area)?;
    hist.draw_series(
        counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| {
                Rectangle::new(
                    [(0.0, edges[i]), (*c as f64, edges[i + 1])],
                    HISTOGRAM_COLOR.mix(0.8).filled(),
                )
            }),
    )
    .map_err(drawing_error)?;
    area.present().map_err(drawing_error)?;
    let stats = EnsembleStats {
        t: data.t.clone(),
        band,
        confidence: options.confidence,
        paths,
        reduced: data.reduced.is_some(),
    };
    Ok((frame, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests::{payload, render_svg, stroke};

    fn four_paths() -> Ensemble {
        // Four paths over three times; at each time the values are 0, 1, 2, 3 (+ t).
        let t = vec![0.0, 1.0, 2.0];
        let paths: Vec<f64> = (0..4)
            .flat_map(|i| t.iter().map(move |t| i as f64 + t))
            .collect();
        Ensemble::from_payload(&payload(
            "StochasticEnsemble",
            &[("t", vec![3], t), ("paths", vec![4, 3], paths)],
            "{}",
        ))
        .unwrap()
    }

    #[test]
    fn band_matches_quantiles_computed_by_hand() {
        let band = four_paths().band(0.5);
        // At t = 0 the values are 0 1 2 3: mean 1.5, 25% quantile 0.75, 75% quantile 2.25.
        assert_eq!(band.mean, vec![1.5, 2.5, 3.5]);
        assert_eq!(band.lower, vec![0.75, 1.75, 2.75]);
        assert_eq!(band.upper, vec![2.25, 3.25, 4.25]);
    }

    #[test]
    fn histogram_counts_every_finite_value_once() {
        let (edges, counts) = histogram(&[0.0, 0.1, 0.5, 0.9, 1.0, f64::NAN], 2);
        assert_eq!(edges, vec![0.0, 0.5, 1.0]);
        assert_eq!(counts, vec![2, 3]);
    }

    #[test]
    fn draws_paths_band_mean_and_histogram() {
        let svg = render_svg(|area| {
            draw(
                area,
                &four_paths(),
                &Display::from_json(r#"{"title": "GBM", "confidence": 0.9}"#),
                None,
                None,
            )
            .map(|_| ())
        });
        assert!(
            svg.contains("GBM")
                && svg.contains("90% band")
                && svg.contains("mean")
                && svg.contains("at t = 2")
        );
        assert!(svg.contains(&stroke(MEAN_COLOR)));
        assert!(svg.contains(&stroke(PATH_COLOR)), "the paths");
        assert!(svg.contains("<polygon"), "the band");
    }

    #[test]
    fn the_histogram_follows_the_chosen_time() {
        let at = |k| {
            render_svg(|area| draw(area, &four_paths(), &Display::default(), k, None).map(|_| ()))
        };
        let first = at(Some(0));
        assert!(first.contains("at t = 0"), "the caption names the time");
        assert!(
            at(Some(99)).contains("at t = 2"),
            "an index past the end means the last time"
        );
        assert_ne!(first, at(Some(1)));
    }

    #[test]
    fn the_readout_names_mean_and_band_at_the_nearest_time() {
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (800, 400)).into_drawing_area();
        let display = Display::from_json(r#"{"confidence": 0.5}"#);
        let (frame, stats) = draw(&area, &four_paths(), &display, None, None).unwrap();
        // The right edge of the paths' plot is the last time, t = 2, where the values are 2, 3, 4, 5.
        let t = frame.data_x(frame.px.1).unwrap();
        assert_eq!(
            stats.readout(t).unwrap(),
            "t = 2, mean = 3.5, 50% band = [2.75, 4.25] over 4 paths"
        );
        assert_eq!(
            stats.readout(0.4).unwrap(),
            "t = 0, mean = 1.5, 50% band = [0.75, 2.25] over 4 paths"
        );
    }

    #[test]
    fn paths_must_match_times() {
        let p = payload(
            "StochasticEnsemble",
            &[
                ("t", vec![2], vec![0.0, 1.0]),
                ("paths", vec![1, 3], vec![0.0; 3]),
            ],
            "{}",
        );
        assert!(Ensemble::from_payload(&p).unwrap_err().contains("`paths`"));
    }
}
