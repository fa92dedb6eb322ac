//! `OptimizationResult`: the loss curve (log scale when it spans more than two decades) and, when given, the
//! evolution of each parameter labelled by `param_names`.

use std::borrow::Cow;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::model::{FieldValue, ResultPayload};
use crate::plots::chart::{
    draw_band, drawing_error, line, padded, x_range, Axis, ChartSpec, Display, Frame, ReadOut,
    PALETTE,
};
use crate::plots::fields::{check_len, matrix_ref, row_numbers, vector_ref};
use crate::plots::format::{describe, short_number};
use crate::plots::legend::{band_outline, draw_legend, swatch, Legend};
use crate::plots::stats::{all_integers, finite_range, nearest_index, reduce_min_max};
use crate::plots::view::{Bands, PlotData};

pub const LOSS_COLOR: RGBColor = PALETTE[0];

/// The data of an `OptimizationResult`.
#[derive(Clone, Debug, PartialEq)]
pub struct Optimization {
    pub step: Vec<f64>,
    pub loss: Vec<f64>,
    /// One series per parameter, each of `loss.len()` values.
    pub params: Vec<(String, Vec<f64>)>,
    /// Set when the server reduced the series: each row is a pixel column's mean, with min–max bands (`loss`,
    /// `params[j]`).
    pub bands: Option<Bands>,
}

/// An `OptimizationResult`'s arrays where its payload holds them, checked: `step` (the row numbers when absent)
/// and `loss` of one length, and the parameters (`params`, `[steps, p]` row-major) with their names.
pub struct Arrays<'a> {
    pub step: Cow<'a, [f64]>,
    pub loss: &'a [f64],
    /// The number of parameters and their values, row-major, one row per step.
    pub params: Option<(usize, &'a [f64])>,
    /// `param_names`, empty when not given.
    pub names: Vec<String>,
}

impl<'a> Arrays<'a> {
    /// Reads them from a result, checking what the plot relies on.
    pub fn of(payload: &'a ResultPayload) -> Result<Self, String> {
        let loss = vector_ref(payload, "loss")?.ok_or("missing field `loss`")?;
        let k = loss.len();
        let step = vector_ref(payload, "step")?;
        check_len("step", step, k, "loss")?;
        let names: Vec<String> = match payload.field("param_names") {
            Some(FieldValue::Json(text)) => serde_json::from_str(text)
                .map_err(|_| "field `param_names`: expected a list of strings".to_owned())?,
            Some(FieldValue::Array(a)) => a.values.iter().map(|v| v.to_string()).collect(),
            None => Vec::new(),
        };
        let params = match matrix_ref(payload, "params")? {
            None => None,
            Some((rows, p, values)) => {
                if rows != k {
                    return Err(format!(
                        "field `params`: expected shape [{k}, p] like `loss`, found [{rows}, {p}]"
                    ));
                }
                if !names.is_empty() && names.len() != p {
                    return Err(format!(
                        "field `param_names`: expected {p} names, found {}",
                        names.len()
                    ));
                }
                Some((p, values))
            }
        };
        Ok(Self {
            step: step.map_or_else(|| Cow::Owned(row_numbers(k)), Cow::Borrowed),
            loss,
            params,
            names,
        })
    }
}

impl Optimization {
    /// Reads the fields of a result, checking what the plot relies on.
    pub fn from_payload(payload: &ResultPayload) -> Result<Self, String> {
        let arrays = Arrays::of(payload)?;
        let k = arrays.loss.len();
        let params = match arrays.params {
            None => Vec::new(),
            Some((p, values)) => (0..p)
                .map(|j| {
                    let name = arrays
                        .names
                        .get(j)
                        .cloned()
                        .unwrap_or_else(|| format!("θ{j}"));
                    (name, (0..k).map(|i| values[i * p + j]).collect())
                })
                .collect(),
        };
        Ok(Self {
            step: arrays.step.into_owned(),
            loss: arrays.loss.to_vec(),
            params,
            bands: None,
        })
    }

    /// The data as the server sent it for a plot, reduced or not.
    pub fn from_view(view: &PlotData) -> Result<Self, String> {
        Ok(Self {
            bands: view.columns().map(|c| c.bands.clone()),
            ..Self::from_payload(&view.payload)?
        })
    }

    /// The min–max band of series `name` when the server reduced the data.
    pub fn band(&self, name: &str) -> Option<(&[f64], &[f64])> {
        self.bands.as_ref().and_then(|b| b.get(name))
    }

    /// Whether the loss is positive and spans more than two decades, so reads best on a log axis.
    pub fn wants_log_scale(&self) -> bool {
        let positive: Vec<f64> = self
            .loss
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let (lo, hi) = finite_range([positive.as_slice()]);
        positive.iter().all(|v| *v > 0.0) && lo > 0.0 && hi / lo > 100.0
    }

    /// Whether a log axis can show the loss: every finite value (and band edge) is positive.
    pub fn log_allowed(&self) -> bool {
        let band = self.band("loss");
        self.loss
            .iter()
            .chain(band.into_iter().flat_map(|(lo, _)| lo.iter()))
            .filter(|v| v.is_finite())
            .all(|v| *v > 0.0)
    }

    /// Why a log axis the user asked for is not drawn, for a note under the plot.
    pub fn log_refused(&self, log_scale: Option<bool>) -> Option<String> {
        if log_scale != Some(true) || self.log_allowed() {
            return None;
        }
        let n = self
            .loss
            .iter()
            .filter(|v| v.is_finite() && **v <= 0.0)
            .count();
        Some(format!(
            "the loss has {n} value{} ≤ 0, which a log axis cannot show: drawn on a linear axis",
            if n == 1 { "" } else { "s" }
        ))
    }
}

impl ReadOut for Optimization {
    fn readout(&self, x: f64) -> Option<String> {
        let i = nearest_index(&self.step, x)?;
        let band = |name: &str| self.band(name);
        let step_sign = if self.bands.is_some() { "≈" } else { "=" };
        let mut text = format!(
            "step {step_sign} {}, {}",
            short_number(self.step[i]),
            describe("loss", &self.loss, band("loss"), i)
        );
        for (j, (name, values)) in self.params.iter().enumerate() {
            let band = band(&format!("params[{j}]"));
            text.push_str(&format!(", {}", describe(name, values, band, i)));
        }
        Some(text)
    }
}

/// Draws the loss and parameters. `log_scale` forces the loss axis (a log axis only where every loss shown is
/// positive; otherwise linear, and [`Optimization::log_refused`] says why); `view` (a step range) zooms.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Optimization,
    display: &Display,
    log_scale: Option<bool>,
    view: Option<(f64, f64)>,
) -> Result<Frame, String>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(drawing_error)?;
    let height = area.dim_in_pixel().1;
    let (loss_area, params_area) = if data.params.is_empty() {
        (area.clone(), None)
    } else {
        let (top, bottom) = area.split_vertically(height * 55 / 100);
        (top, Some(bottom))
    };
    let x = x_range(view, &data.step);
    let with_band = |values: &'_ [f64], name: &str| -> Vec<f64> {
        let mut all = values.to_vec();
        if let Some((lo, hi)) = data.band(name) {
            all.extend_from_slice(lo);
            all.extend_from_slice(hi);
        }
        all
    };
    let steps = Axis::new(x, display.x_or("step"))
        .integer(data.bands.is_none() && all_integers([data.step.as_slice()]));
    let buckets = (area.dim_in_pixel().0 as usize).max(100);
    let loss = with_band(&data.loss, "loss");
    let (lo, hi) = finite_range([loss.as_slice()]);
    let log = log_scale.unwrap_or_else(|| data.wants_log_scale()) && data.log_allowed();
    let loss_line = LineSeries::new(
        reduce_min_max(&data.step, &data.loss, buckets),
        line(LOSS_COLOR),
    );
    let title = display.title.as_deref();
    let frame = if log {
        let mut chart =
            ChartSpec::new(title, steps, Axis::new((lo * 0.8, hi * 1.25), "loss (log)"))
                .log_y(&loss_area)?;
        draw_band(&mut chart, &data.step, data.band("loss"), LOSS_COLOR)?;
        chart.draw_series(loss_line).map_err(drawing_error)?;
        Frame::of(&chart, x)
    } else {
        let mut chart = ChartSpec::new(title, steps, Axis::new(padded((lo, hi), 0.05), "loss"))
            .linear(&loss_area)?;
        draw_band(&mut chart, &data.step, data.band("loss"), LOSS_COLOR)?;
        chart.draw_series(loss_line).map_err(drawing_error)?;
        Frame::of(&chart, x)
    };

    if let Some(params_area) = params_area {
        let name = |j: usize| format!("params[{j}]");
        let all: Vec<Vec<f64>> = (0..data.params.len())
            .map(|j| with_band(&data.params[j].1, &name(j)))
            .collect();
        let y = padded(finite_range(all.iter().map(Vec::as_slice)), 0.05);
        let lines: Vec<Vec<(f64, f64)>> = data
            .params
            .iter()
            .map(|(_, values)| reduce_min_max(&data.step, values, buckets))
            .collect();
        let mut drawn = lines.clone();
        for j in 0..data.params.len() {
            drawn.extend(band_outline(&data.step, data.band(&name(j))));
        }
        let labels: Vec<&str> = data.params.iter().map(|(name, _)| name.as_str()).collect();
        let legend = Legend {
            labels: &labels,
            drawn: &drawn,
        };
        let (mut chart, corner) = ChartSpec::new(None, steps, Axis::new(y, "parameters"))
            .linear_with_legend(&params_area, &legend)?;
        for (j, ((label, _), points)) in data.params.iter().zip(lines).enumerate() {
            let color = PALETTE[(j + 1) % PALETTE.len()];
            draw_band(&mut chart, &data.step, data.band(&name(j)), color)?;
            chart
                .draw_series(LineSeries::new(points, line(color)))
                .map_err(drawing_error)?
                .label(label.as_str())
                .legend(swatch(line(color)));
        }
        draw_legend(&mut chart, corner)?;
    }
    area.present().map_err(drawing_error)?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests::{payload, render_svg, stroke};

    fn with_names(loss: Vec<f64>) -> ResultPayload {
        let k = loss.len();
        let params: Vec<f64> = (0..k).flat_map(|i| [i as f64, -(i as f64)]).collect();
        let mut p = payload(
            "OptimizationResult",
            &[("loss", vec![k], loss), ("params", vec![k, 2], params)],
            r#"{"title": "Fit"}"#,
        );
        p.fields.push((
            "param_names".into(),
            FieldValue::Json(r#"["alpha", "beta"]"#.into()),
        ));
        p
    }

    #[test]
    fn log_scale_only_past_two_decades() {
        let steep = Optimization::from_payload(&with_names(vec![100.0, 1.0, 0.5])).unwrap();
        let shallow = Optimization::from_payload(&with_names(vec![10.0, 1.0, 0.5])).unwrap();
        let negative = Optimization::from_payload(&with_names(vec![1000.0, 1.0, -1.0])).unwrap();
        assert!(steep.wants_log_scale());
        assert!(!shallow.wants_log_scale());
        assert!(!negative.wants_log_scale());
    }

    #[test]
    fn draws_loss_and_named_parameters() {
        let p = with_names(vec![1000.0, 10.0, 1.0, 0.1]);
        let data = Optimization::from_payload(&p).unwrap();
        assert_eq!(data.params[1].0, "beta");
        assert_eq!(data.params[1].1, vec![0.0, -1.0, -2.0, -3.0]);
        assert_eq!(
            data.readout(1.4).unwrap(),
            "step = 1, loss = 10, alpha = 1, beta = -1"
        );
        let svg = render_svg(|area| {
            draw(
                area,
                &data,
                &Display::from_json(&p.display_json),
                None,
                None,
            )
            .map(|_| ())
        });
        assert!(
            svg.contains("Fit")
                && svg.contains("loss (log)")
                && svg.contains("alpha")
                && svg.contains("beta")
        );
        assert!(
            svg.contains(&stroke(LOSS_COLOR))
                && svg.contains(&stroke(PALETTE[1]))
                && svg.contains(&stroke(PALETTE[2]))
        );
    }

    #[test]
    fn the_log_axis_can_be_switched() {
        let p = with_names(vec![1000.0, 10.0, 1.0, 0.1]);
        let data = Optimization::from_payload(&p).unwrap();
        let linear = render_svg(|area| {
            draw(area, &data, &Display::default(), Some(false), None).map(|_| ())
        });
        assert!(!linear.contains("loss (log)") && linear.contains("loss"));
        let shallow = Optimization::from_payload(&with_names(vec![2.0, 1.0])).unwrap();
        assert!(render_svg(
            |area| draw(area, &shallow, &Display::default(), Some(true), None).map(|_| ())
        )
        .contains("loss (log)"));
        let negative = Optimization::from_payload(&with_names(vec![2.0, -1.0])).unwrap();
        assert!(!render_svg(
            |area| draw(area, &negative, &Display::default(), Some(true), None).map(|_| ())
        )
        .contains("loss (log)"));
    }

    #[test]
    fn wrong_number_of_names_is_explained() {
        let mut p = with_names(vec![1.0, 0.5]);
        p.fields.retain(|(n, _)| n != "param_names");
        p.fields.push((
            "param_names".into(),
            FieldValue::Json(r#"["only one"]"#.into()),
        ));
        assert!(Optimization::from_payload(&p)
            .unwrap_err()
            .contains("expected 2 names"));
    }
}
