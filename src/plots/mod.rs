//! Plots: pure functions from result data to any plotters `DrawingBackend` (a canvas in the browser, SVG in
//! tests). Nothing here does I/O or knows about storage.
//!
//! Layers, each importing only those below it:
//! 1. data: `fields` (a result's arrays), `stats` (ranges, quantiles, thinning a line), `format` (numbers and
//!    ticks), `view` (what the server sends a plot, reduced or not, as types);
//! 2. the chart set-up every renderer shares: `chart` (frame, axes, ticks, bands, styles), `legend` (placed
//!    where it hides no data) and `colormap` (colour scales and the colour bar);
//! 3. the renderers, one per result type (`animation` draws its field frames with `solution2d`), and those
//!    of several runs on the compare page: `overlay` (curves), `parameters` (an optimisation's parameters as
//!    small multiples, with `overlay`'s curves), `histograms` (ensembles at one time), `field_compare` (fields on
//!    one scale), `convergence`;
//! 4. on top: the dispatch here ([`draw_result`]) and, on the server only, `reduce`, which reads results with
//!    the renderers' data types and writes `view`s.

pub mod chart;
pub mod colormap;
pub mod fields;
pub mod format;
pub mod legend;
pub mod stats;
pub mod view;

pub mod animation;
pub mod convergence;
pub mod ensemble;
pub mod field_compare;
pub mod histograms;
pub mod optimization;
pub mod overlay;
pub mod parameters;
pub mod sequence;
pub mod solution1d;
pub mod solution2d;

#[cfg(feature = "ssr")]
pub mod pyramid;
pub mod reduce;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::model::ResultType;
use crate::plots::chart::{Display, Frame, Frame2D, ReadOut};
use crate::plots::view::PlotData;

/// The result types drawn by [`draw_result`]; `PhysicsAnimation` has a player of its own (one frame at a time,
/// [`animation::draw_frame`]), and other types are shown as a table of fields.
pub fn has_plot(result_type: &ResultType) -> bool {
    match result_type {
        ResultType::Solution1D
        | ResultType::Solution2D
        | ResultType::StochasticEnsemble
        | ResultType::DiscreteSequence
        | ResultType::OptimizationResult => true,
        ResultType::PhysicsAnimation | ResultType::Other(_) => false,
    }
}

/// What the user chose in a plot's controls; `None` leaves the renderer's default.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Choices {
    /// `StochasticEnsemble`: the time index of the histogram (default: the last).
    pub time_index: Option<usize>,
    /// `OptimizationResult`: a log-scale loss axis (default: when the loss spans more than two decades).
    pub log_scale: Option<bool>,
    /// The x range shown, when zoomed (1-D plots); `None` shows everything.
    pub view: Option<(f64, f64)>,
}

/// What a drawn plot offers the pointer: the data its read-out names and where its axes lie.
pub enum Drawn {
    /// A plot over x: the read-out names what lies nearest the pointer's x; `zooms` when the plot can draw a
    /// view of x (`Choices::view`).
    Line {
        data: Box<dyn ReadOut + Send + Sync>,
        frame: Frame,
        zooms: bool,
    },
    /// A heatmap: the read-out names the cell under the pointer.
    Heatmap {
        data: Box<solution2d::Solution2D>,
        frame: Frame2D,
    },
}

/// Draws any result with a plot of its own onto `area`, as `choices` asks.
pub fn draw_result<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &PlotData,
    choices: Choices,
) -> Result<Drawn, String>
where
    DB::ErrorType: 'static,
{
    let display = Display::from_json(&view.payload.display_json);
    let line =
        |data: Box<dyn ReadOut + Send + Sync>, frame, zooms| Drawn::Line { data, frame, zooms };
    match &view.payload.result_type {
        ResultType::Solution1D => {
            let data = solution1d::Solution1D::from_view(view)?;
            let frame = solution1d::draw_view(area, &data, &display, choices.view)?;
            Ok(line(Box::new(data), frame, true))
        }
        ResultType::Solution2D => {
            let data = solution2d::Solution2D::from_view(view)?;
            let frame = solution2d::draw_with_frame(area, &data, &display)?;
            Ok(Drawn::Heatmap {
                data: Box::new(data),
                frame,
            })
        }
        ResultType::StochasticEnsemble => {
            let data = ensemble::Ensemble::from_view(view)?;
            let (frame, stats) =
                ensemble::draw(area, &data, &display, choices.time_index, choices.view)?;
            Ok(line(Box::new(stats), frame, true))
        }
        ResultType::DiscreteSequence => {
            let data = sequence::Sequence::from_view(view)?;
            let frame = sequence::draw(area, &data, &display, choices.view)?;
            Ok(line(Box::new(data), frame, true))
        }
        ResultType::OptimizationResult => {
            let data = optimization::Optimization::from_view(view)?;
            let frame = optimization::draw(area, &data, &display, choices.log_scale, choices.view)?;
            Ok(line(Box::new(data), frame, true))
        }
        other @ (ResultType::PhysicsAnimation | ResultType::Other(_)) => {
            Err(format!("no plot for result type {:?}", other.as_str()))
        }
    }
}

#[cfg(test)]
mod chart_rules;

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::model::{FieldValue, NumArray, ResultId, ResultPayload, RunId};

    /// A payload with numeric fields given as (name, shape, row-major values).
    pub fn payload(
        result_type: &str,
        fields: &[(&str, Vec<usize>, Vec<f64>)],
        display: &str,
    ) -> ResultPayload {
        ResultPayload {
            id: ResultId(uuid::Uuid::nil()),
            run_id: RunId(uuid::Uuid::nil()),
            result_type: result_type.into(),
            timestamp: String::new(),
            display_json: display.into(),
            fields: fields
                .iter()
                .map(|(name, shape, values)| {
                    let array = NumArray {
                        shape: shape.clone(),
                        dtype: "<f8".into(),
                        values: values.clone(),
                    };
                    ((*name).to_owned(), FieldValue::Array(array))
                })
                .collect(),
        }
    }

    /// Draws onto an SVG of 800 × 400 and returns the document.
    pub fn render_svg(
        draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> crate::plots::chart::DrawResult,
    ) -> String {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (800, 400)).into_drawing_area();
            draw(&area).expect("draws");
        }
        svg
    }

    /// Whether the SVG has a text element whose whole content is `text`.
    pub fn has_text(svg: &str, text: &str) -> bool {
        svg.contains(&format!(">{text}\n</text>")) || svg.contains(&format!(">\n{text}\n</text>"))
    }

    /// The SVG attribute plotters writes for a colour.
    pub fn stroke(c: RGBColor) -> String {
        format!("stroke=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2)
    }

    #[test]
    fn every_plotted_type_dispatches() {
        for t in [
            "Solution1D",
            "Solution2D",
            "StochasticEnsemble",
            "DiscreteSequence",
            "OptimizationResult",
        ] {
            assert!(has_plot(&t.into()));
        }
        assert!(!has_plot(&"PhysicsAnimation".into()));
        let err = draw_result(
            &SVGBackend::new("/dev/null", (10, 10)).into_drawing_area(),
            &PlotData::raw(payload("X", &[], "{}")),
            Choices::default(),
        );
        assert!(err.err().expect("an error").contains("no plot"));
    }
}
