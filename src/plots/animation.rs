//! `PhysicsAnimation`: one frame at a time — bodies with fading trails (`positions[f][b][2]`), or a heatmap
//! per frame (`frames[f][ny][nx]`) on a colour scale fixed across frames.

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use crate::model::{FieldValue, ResultPayload};
use crate::plots::chart::{
    drawing_error, padded, Axis, ChartSpec, Display, Frame2D, LINE_WIDTH, PALETTE,
};
use crate::plots::colormap::Colormap;
use crate::plots::fields::{check_len, vector};
use crate::plots::format::short_number;
use crate::plots::solution2d::{self, Solution2D};
use crate::plots::stats::finite_range;
use crate::plots::view::PlotData;

/// How many earlier frames a body's trail shows.
pub const TRAIL: usize = 40;

/// The animation's options in `display`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AnimationOptions {
    pub fps: f64,
}

impl Default for AnimationOptions {
    fn default() -> Self {
        Self { fps: 30.0 }
    }
}

/// What moves.
#[derive(Clone, Debug, PartialEq)]
pub enum Frames {
    /// `b` bodies per frame, row-major `[f][b][2]`.
    Bodies { bodies: usize, positions: Vec<f64> },
    /// A field per frame, row-major `[f][ny][nx]`.
    Fields {
        ny: usize,
        nx: usize,
        values: Vec<f64>,
        /// The colour scale of every frame: the range of all of them (at full resolution, when the server
        /// reduced the frames).
        scale: (f64, f64),
        /// The full frames' (ny, nx), when the server reduced them to one cell per block.
        reduced_from: Option<(usize, usize)>,
        /// `display.colormap`, as for a `Solution2D`.
        colormap: Colormap,
    },
}

/// The data of a `PhysicsAnimation`.
#[derive(Clone, Debug, PartialEq)]
pub struct Animation {
    pub count: usize,
    pub frames: Frames,
    pub t: Option<Vec<f64>>,
    pub fps: f64,
}

impl Animation {
    pub fn from_payload(payload: &ResultPayload) -> Result<Self, String> {
        let array = |name: &str| match payload.field(name) {
            Some(FieldValue::Array(a)) => Some(a),
            _ => None,
        };
        let (count, frames) = if let Some(a) = array("positions") {
            match a.shape.as_slice() {
                [f, b, 2] => (
                    *f,
                    Frames::Bodies {
                        bodies: *b,
                        positions: a.values.clone(),
                    },
                ),
                other => {
                    return Err(format!(
                        "field `positions`: expected shape [f, b, 2], found {other:?}"
                    ))
                }
            }
        } else if let Some(a) = array("frames") {
            match a.shape.as_slice() {
                [f, ny, nx] => {
                    let frames = Frames::Fields {
                        ny: *ny,
                        nx: *nx,
                        values: a.values.clone(),
                        scale: finite_range([a.values.as_slice()]),
                        reduced_from: None,
                        colormap: Colormap::from_display(&payload.display_json).0,
                    };
                    (*f, frames)
                }
                other => {
                    return Err(format!(
                        "field `frames`: expected shape [f, ny, nx], found {other:?}"
                    ))
                }
            }
        } else {
            return Err(
                "expected field `positions` [f, b, 2] or `frames` [f, ny, nx], found neither"
                    .into(),
            );
        };
        let t = vector(payload, "t")?;
        check_len("t", t.as_deref(), count, "the frames")?;
        let options: AnimationOptions =
            serde_json::from_str(&payload.display_json).unwrap_or_default();
        let fps = if options.fps.is_finite() && options.fps > 0.0 {
            options.fps.min(240.0)
        } else {
            30.0
        };
        Ok(Self {
            count,
            frames,
            t,
            fps,
        })
    }

    /// The frame nearest to time `t` (several animations on one timeline).
    pub fn frame_at(&self, t: f64) -> usize {
        (0..self.count)
            .min_by(|&a, &b| {
                let d = |k: usize| (self.time_of(k) - t).abs();
                d(a).total_cmp(&d(b))
            })
            .unwrap_or(0)
    }

    /// The data as the server sent it for the player: field frames reduced to one cell per block keep the
    /// full frames' colour scale.
    pub fn from_view(view: &PlotData) -> Result<Self, String> {
        let mut animation = Self::from_payload(&view.payload)?;
        if let (
            Frames::Fields {
                scale,
                reduced_from,
                ..
            },
            Some(grid),
        ) = (&mut animation.frames, view.grid())
        {
            *scale = grid.scale;
            *reduced_from = Some(grid.full);
        }
        Ok(animation)
    }

    /// The time of a frame: `t[frame]`, or `frame / fps` without `t`.
    pub fn time_of(&self, frame: usize) -> f64 {
        self.t
            .as_ref()
            .and_then(|t| t.get(frame).copied())
            .unwrap_or(frame as f64 / self.fps)
    }
}

impl Animation {
    /// What lies under the pointer at data point (`x`, `y`) in frame `frame`: the nearest body, or the cell of
    /// the field.
    pub fn readout(&self, frame: usize, x: f64, y: f64) -> Option<String> {
        let frame = frame.min(self.count.checked_sub(1)?);
        match &self.frames {
            Frames::Bodies { bodies, positions } => {
                let at = |b: usize| {
                    let i = (frame * bodies + b) * 2;
                    (positions[i], positions[i + 1])
                };
                let distance = |b: usize| {
                    let (px, py) = at(b);
                    (px - x).hypot(py - y)
                };
                let b = (0..*bodies)
                    .filter(|&b| distance(b).is_finite())
                    .min_by(|&a, &b| distance(a).total_cmp(&distance(b)))?;
                let (px, py) = at(b);
                Some(format!(
                    "body {}: x = {}, y = {}",
                    b + 1,
                    short_number(px),
                    short_number(py)
                ))
            }
            Frames::Fields {
                ny,
                nx,
                values,
                reduced_from,
                ..
            } => {
                // Cells sit on the full grid's indices; a reduced cell covers `full / n` of them.
                let (rows, cols) = reduced_from.unwrap_or((*ny, *nx));
                let cell = |v: f64, n: usize, full: usize| {
                    let i = ((v + 0.5) * n as f64 / full as f64).floor();
                    (i >= 0.0 && i < n as f64).then_some(i as usize)
                };
                let (i, j) = (cell(x, *nx, cols)?, cell(y, *ny, rows)?);
                let value = values[(frame * ny + j) * nx + i];
                Some(match reduced_from {
                    None => format!("x = {i}, y = {j}, value = {}", short_number(value)),
                    Some(_) => format!(
                        "x ≈ {}, y ≈ {}, block extreme = {}",
                        x.round(),
                        y.round(),
                        short_number(value)
                    ),
                })
            }
        }
    }
}

/// Draws frame `frame` (clamped to the last) onto `area`; returns where its axes lie.
pub fn draw_frame<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Animation,
    frame: usize,
    display: &Display,
) -> Result<Frame2D, String>
where
    DB::ErrorType: 'static,
{
    if data.count == 0 {
        return Err("the animation has no frames".into());
    }
    let frame = frame.min(data.count - 1);
    let title = format!(
        "{}t = {:.4}",
        display
            .title
            .as_deref()
            .map_or(String::new(), |t| format!("{t} — ")),
        data.time_of(frame)
    );
    match &data.frames {
        Frames::Fields {
            ny,
            nx,
            values,
            scale,
            reduced_from,
            colormap,
        } => {
            let size = ny * nx;
            // Reduced frames keep the full grid's cell indices on their axes.
            let axis = |out: usize, full: usize| {
                let scale = full as f64 / out as f64;
                (0..out).map(|i| (i as f64 + 0.5) * scale - 0.5).collect()
            };
            let field = Solution2D {
                nx: *nx,
                ny: *ny,
                values: values[frame * size..(frame + 1) * size].to_vec(),
                x: reduced_from.map(|(_, cols)| axis(*nx, cols)),
                y: reduced_from.map(|(rows, _)| axis(*ny, rows)),
                scale: Some(*scale),
                reduced_from: *reduced_from,
                block: reduced_from.map(|(rows, cols)| (rows.div_ceil(*ny), cols.div_ceil(*nx))),
                colormap: *colormap,
                colormap_note: None,
            };
            let frame_display = Display {
                title: Some(title),
                ..display.clone()
            };
            solution2d::draw_with_frame(area, &field, &frame_display)
        }
        Frames::Bodies { bodies, positions } => {
            area.fill(&WHITE).map_err(drawing_error)?;
            let xs: Vec<f64> = positions.iter().step_by(2).copied().collect();
            let ys: Vec<f64> = positions.iter().skip(1).step_by(2).copied().collect();
            let x = padded(finite_range([xs.as_slice()]), 0.08);
            let y = padded(finite_range([ys.as_slice()]), 0.08);
            let mut chart = ChartSpec::new(
                Some(&title),
                Axis::new(x, display.x_or("x")),
                Axis::new(y, display.y_or("y")),
            )
            .linear(area)?;
            let axes = Frame2D::of(&chart, x, y);
            let at = |f: usize, b: usize| {
                let i = (f * bodies + b) * 2;
                (positions[i], positions[i + 1])
            };
            let first = frame.saturating_sub(TRAIL);
            for b in 0..*bodies {
                let color = PALETTE[b % PALETTE.len()];
                // The trail fades from the body's colour back to nothing.
                for f in first..frame {
                    let age = (frame - f) as f64 / TRAIL as f64;
                    let (p, q) = (at(f, b), at(f + 1, b));
                    if [p.0, p.1, q.0, q.1].iter().all(|v| v.is_finite()) {
                        let style =
                            ShapeStyle::from(color.mix(0.8 * (1.0 - age))).stroke_width(LINE_WIDTH);
                        chart
                            .draw_series(std::iter::once(PathElement::new(vec![p, q], style)))
                            .map_err(drawing_error)?;
                    }
                }
                let (x, y) = at(frame, b);
                if x.is_finite() && y.is_finite() {
                    chart
                        .draw_series(std::iter::once(Circle::new((x, y), 7, color.filled())))
                        .map_err(drawing_error)?;
                }
            }
            area.present().map_err(drawing_error)?;
            Ok(axes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_found_by_time_with_or_without_t() {
        let bodies = |count: usize, t: Option<Vec<f64>>| Animation {
            count,
            frames: Frames::Bodies {
                bodies: 1,
                positions: vec![0.0; 2 * count],
            },
            t,
            fps: 10.0,
        };
        let by_fps = bodies(5, None);
        assert_eq!((by_fps.time_of(3), by_fps.frame_at(0.26)), (0.3, 3));
        let by_t = bodies(3, Some(vec![0.0, 1.0, 4.0]));
        assert_eq!(
            (by_t.frame_at(2.4), by_t.frame_at(2.6), by_t.frame_at(99.0)),
            (1, 2, 2)
        );
        assert_eq!(bodies(0, None).frame_at(1.0), 0);
    }
    use crate::plots::tests::{payload, render_svg};

    fn orbit(frames: usize) -> ResultPayload {
        let positions: Vec<f64> = (0..frames)
            .flat_map(|f| {
                let a = f as f64 * 0.1;
                [a.cos(), a.sin(), -a.cos(), -a.sin()]
            })
            .collect();
        payload(
            "PhysicsAnimation",
            &[("positions", vec![frames, 2, 2], positions)],
            r#"{"title": "Orbit", "fps": 10}"#,
        )
    }

    #[test]
    fn time_comes_from_t_or_fps() {
        let data = Animation::from_payload(&orbit(20)).unwrap();
        assert_eq!(data.count, 20);
        assert_eq!(data.time_of(5), 0.5, "frame 5 at 10 fps");
        let mut with_t = orbit(3);
        with_t.fields.push(
            payload("", &[("t", vec![3], vec![0.0, 2.0, 4.0])], "{}")
                .fields
                .remove(0),
        );
        assert_eq!(Animation::from_payload(&with_t).unwrap().time_of(2), 4.0);
    }

    #[test]
    fn a_frame_draws_bodies_trails_and_its_time() {
        let data = Animation::from_payload(&orbit(50)).unwrap();
        let display = Display::from_json(r#"{"title": "Orbit"}"#);
        let svg = render_svg(|area| draw_frame(area, &data, 45, &display).map(|_| ()));
        assert!(svg.contains("Orbit — t = 4.5000"));
        assert_eq!(svg.matches("<circle").count(), 2, "one disc per body");
        assert!(
            svg.matches("<polyline").count() >= 2 * TRAIL,
            "a trail segment per earlier frame and body"
        );
        let other = render_svg(|area| draw_frame(area, &data, 10, &display).map(|_| ()));
        assert_ne!(svg, other, "frames differ");
    }

    #[test]
    fn field_frames_share_one_colour_scale() {
        let values: Vec<f64> = (0..2 * 2 * 3).map(f64::from).collect();
        let p = payload(
            "PhysicsAnimation",
            &[("frames", vec![2, 2, 3], values)],
            "{}",
        );
        let data = Animation::from_payload(&p).unwrap();
        let svg = render_svg(|area| draw_frame(area, &data, 0, &Display::default()).map(|_| ()));
        assert!(svg.contains("t = 0.0000"));
        let top = solution2d::HIGH_COLOR;
        let top = format!("fill=\"#{:02X}{:02X}{:02X}\"", top.0, top.1, top.2);
        let last = render_svg(|area| draw_frame(area, &data, 1, &Display::default()).map(|_| ()));
        // The colour bar's top shows the maximum in both frames; only the last frame has a cell that hot.
        assert!(
            svg.matches(&top).count() < last.matches(&top).count(),
            "frame 0 lies below the overall maximum"
        );
        assert_eq!(
            data.readout(1, 2.0, 1.0).unwrap(),
            "x = 2, y = 1, value = 11"
        );
        assert_eq!(
            data.readout(0, 0.2, -0.2).unwrap(),
            "x = 0, y = 0, value = 0"
        );
        assert_eq!(data.readout(0, 3.6, 0.0), None, "outside the grid");
    }

    #[test]
    fn the_readout_names_the_nearest_body() {
        let data = Animation::from_payload(&orbit(50)).unwrap();
        // Frame 0: body 1 at (1, 0), body 2 at (−1, 0).
        assert_eq!(data.readout(0, 0.8, 0.1).unwrap(), "body 1: x = 1, y = 0");
        assert_eq!(data.readout(0, -0.5, 0.0).unwrap(), "body 2: x = -1, y = 0");
    }

    #[test]
    fn wrong_shapes_are_explained() {
        let p = payload(
            "PhysicsAnimation",
            &[("positions", vec![4, 2, 3], vec![0.0; 24])],
            "{}",
        );
        assert!(Animation::from_payload(&p)
            .unwrap_err()
            .contains("[f, b, 2]"));
        assert!(
            Animation::from_payload(&payload("PhysicsAnimation", &[], "{}"))
                .unwrap_err()
                .contains("neither")
        );
    }
}
