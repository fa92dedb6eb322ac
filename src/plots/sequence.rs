//! `DiscreteSequence`: a step plot with a marker at each value, expected values overlaid when given.

use std::borrow::Cow;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::model::ResultPayload;
use crate::plots::chart::{
    draw_band, drawing_error, line, padded, x_range, Axis, ChartSpec, Display, Frame, ReadOut,
    PALETTE,
};
use crate::plots::fields::{check_len, row_numbers, vector_ref};
use crate::plots::format::{describe, short_number};
use crate::plots::legend::{band_outline, draw_legend, swatch, Legend};
use crate::plots::stats::{all_integers, finite_range, nearest_index};
use crate::plots::view::{Bands, PlotData};

pub const VALUE_COLOR: RGBColor = PALETTE[0];
pub const EXPECTED_COLOR: RGBColor = PALETTE[1];

/// The data of a `DiscreteSequence`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    pub index: Vec<f64>,
    pub values: Vec<f64>,
    pub expected: Option<Vec<f64>>,
    /// Set when the server reduced the sequence: each row is a pixel column's mean, with its min–max band.
    pub bands: Option<Bands>,
}

/// A `DiscreteSequence`'s arrays where its payload holds them, checked: `index` (the row numbers when absent),
/// `values` and `expected`, of one length.
pub struct Arrays<'a> {
    pub index: Cow<'a, [f64]>,
    pub values: &'a [f64],
    pub expected: Option<&'a [f64]>,
}

impl<'a> Arrays<'a> {
    /// Reads them from a result, checking what the plot relies on.
    pub fn of(payload: &'a ResultPayload) -> Result<Self, String> {
        let values = vector_ref(payload, "values")?.ok_or("missing field `values`")?;
        let index = vector_ref(payload, "index")?;
        let expected = vector_ref(payload, "expected")?;
        check_len("index", index, values.len(), "values")?;
        check_len("expected", expected, values.len(), "values")?;
        Ok(Self {
            index: index.map_or_else(|| Cow::Owned(row_numbers(values.len())), Cow::Borrowed),
            values,
            expected,
        })
    }
}

impl Sequence {
    /// Reads the fields of a result, checking what the plot relies on.
    pub fn from_payload(payload: &ResultPayload) -> Result<Self, String> {
        let arrays = Arrays::of(payload)?;
        Ok(Self {
            index: arrays.index.into_owned(),
            values: arrays.values.to_vec(),
            expected: arrays.expected.map(<[f64]>::to_vec),
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
}

impl ReadOut for Sequence {
    fn readout(&self, x: f64) -> Option<String> {
        let i = nearest_index(&self.index, x)?;
        let n_sign = if self.bands.is_some() { "≈" } else { "=" };
        let mut text = format!(
            "n {n_sign} {}, {}",
            short_number(self.index[i]),
            describe("value", &self.values, self.band("values"), i)
        );
        if let Some(expected) = &self.expected {
            text.push_str(&format!(
                ", {}",
                describe("expected", expected, self.band("expected"), i)
            ));
        }
        Some(text)
    }
}

/// The corners of a step plot: each value holds until the next index.
pub fn steps(index: &[f64], values: &[f64]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(values.len() * 2);
    for (i, (&x, &y)) in index.iter().zip(values).enumerate() {
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        if let Some(&(_, previous)) = out.last() {
            out.push((x, previous));
        }
        out.push((x, y));
        if i + 1 == values.len() {
            break;
        }
    }
    out
}

/// Draws the sequence; `view` (an x range) zooms, the y axis fitted to the data sent for it.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Sequence,
    display: &Display,
    view: Option<(f64, f64)>,
) -> Result<Frame, String>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(drawing_error)?;
    let extremes = |name: &str| data.band(name).into_iter().flat_map(|(lo, hi)| [lo, hi]);
    let x = match view {
        Some((lo, hi)) if lo < hi => (lo, hi),
        _ => padded(x_range(None, &data.index), 0.03),
    };
    let shown = || {
        [data.values.as_slice()]
            .into_iter()
            .chain(data.expected.as_deref())
    };
    let y = finite_range(
        shown()
            .chain(extremes("values"))
            .chain(extremes("expected")),
    );
    let raw = data.bands.is_none();
    let spec = ChartSpec::new(
        display.title.as_deref(),
        Axis::new(x, display.x_or("n")).integer(raw && all_integers([data.index.as_slice()])),
        Axis::new(padded(y, 0.08), display.y_or("value")).integer(raw && all_integers(shown())),
    );

    let mut series = vec![("values", VALUE_COLOR, &data.values)];
    if let Some(expected) = &data.expected {
        series.push(("expected", EXPECTED_COLOR, expected));
    }
    let mut drawn: Vec<Vec<(f64, f64)>> = Vec::new();
    for (name, _, values) in &series {
        drawn.push(steps(&data.index, values));
        drawn.extend(band_outline(&data.index, data.band(name)));
    }
    let labels: Vec<&str> = series.iter().map(|(name, ..)| *name).collect();
    let legend = Legend {
        labels: &labels,
        drawn: &drawn,
    };
    let (mut chart, corner) = spec.linear_with_legend(area, &legend)?;
    let frame = Frame::of(&chart, x);
    for (name, color, _) in &series {
        draw_band(&mut chart, &data.index, data.band(name), *color)?;
    }
    for (name, color, values) in series {
        chart
            .draw_series(LineSeries::new(steps(&data.index, values), line(color)))
            .map_err(drawing_error)?
            .label(name)
            .legend(swatch(line(color)));
        if !raw {
            // A column's mean is no value of the sequence: no marker.
            continue;
        }
        let markers = data
            .index
            .iter()
            .zip(values.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite());
        chart
            .draw_series(markers.map(|(x, y)| Circle::new((*x, *y), 4, color.filled())))
            .map_err(drawing_error)?;
    }
    draw_legend(&mut chart, corner)?;
    area.present().map_err(drawing_error)?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests::{has_text, payload, render_svg, stroke};

    #[test]
    fn steps_hold_each_value_until_the_next_index() {
        assert_eq!(
            steps(&[0.0, 1.0, 3.0], &[5.0, 2.0, 4.0]),
            vec![(0.0, 5.0), (1.0, 5.0), (1.0, 2.0), (3.0, 2.0), (3.0, 4.0)]
        );
    }

    #[test]
    fn draws_steps_markers_and_expected() {
        let p = payload(
            "DiscreteSequence",
            &[
                ("values", vec![4], vec![1.0, 3.0, 2.0, 5.0]),
                ("expected", vec![4], vec![1.0, 2.0, 3.0, 4.0]),
            ],
            r#"{"title": "Counts"}"#,
        );
        let data = Sequence::from_payload(&p).unwrap();
        assert_eq!(
            data.index,
            vec![0.0, 1.0, 2.0, 3.0],
            "index defaults to 0..n"
        );
        let svg = render_svg(|area| {
            draw(area, &data, &Display::from_json(&p.display_json), None).map(|_| ())
        });
        assert!(has_text(&svg, "Counts") && has_text(&svg, "values") && has_text(&svg, "expected"));
        assert!(svg.contains(&stroke(VALUE_COLOR)) && svg.contains(&stroke(EXPECTED_COLOR)));
        assert!(
            svg.matches("<circle").count() >= 8,
            "a marker per value of both series"
        );
    }
}
