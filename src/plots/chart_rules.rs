//! The chart rules, checked on SVG drawings of every renderer: colour bars carry labelled ticks, whole-number
//! data has whole-number ticks, no tick reads `-0` or float noise, axis titles stay clear of tick labels, and
//! legends hide no data.

use crate::plots::chart::{AXIS_TITLE_SIZE, TICK_SIZE};
use crate::plots::format::tick;
use crate::plots::tests::{payload, render_svg};
use crate::plots::view::PlotData;
use crate::plots::{draw_result, Choices};

/// A text element of an SVG drawing.
#[derive(Debug)]
struct Text {
    x: f64,
    y: f64,
    size: f64,
    anchor: String,
    rotated: bool,
    content: String,
}

/// Whether an SVG font size is `size` pixels: plotters writes sizes divided by 1.24.
fn is_size(svg_size: f64, size: u32) -> bool {
    (svg_size * 1.24 - f64::from(size)).abs() < 0.01
}

/// Every text element plotters wrote.
fn texts(svg: &str) -> Vec<Text> {
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].to_owned())
    };
    svg.split("<text")
        .skip(1)
        .filter_map(|chunk| {
            let (tag, rest) = chunk.split_once('>')?;
            let content = rest.split("</text>").next()?.trim().to_owned();
            Some(Text {
                x: attribute(tag, "x")?.parse().ok()?,
                y: attribute(tag, "y")?.parse().ok()?,
                size: attribute(tag, "font-size")?.parse().ok()?,
                anchor: attribute(tag, "text-anchor").unwrap_or_default(),
                rotated: tag.contains("rotate("),
                content,
            })
        })
        .collect()
}

/// Draws a result as the page does, on an 800 × 400 SVG.
fn draw(result_type: &str, fields: &[(&str, Vec<usize>, Vec<f64>)], display: &str) -> String {
    let view = PlotData::raw(payload(result_type, fields, display));
    render_svg(|area| draw_result(area, &view, Choices::default()).map(|_| ()))
}

fn tick_labels(svg: &str) -> Vec<String> {
    texts(svg)
        .into_iter()
        .filter(|t| is_size(t.size, TICK_SIZE) && !t.rotated)
        .map(|t| t.content)
        .collect()
}

#[test]
fn every_heatmap_has_a_colour_bar_with_labelled_ticks() {
    let values: Vec<f64> = (0..20).map(f64::from).collect();
    let svg = draw("Solution2D", &[("values", vec![4, 5], values)], "{}");
    let labels = tick_labels(&svg);
    // The bar's ticks are labelled left-aligned, right of the bar: 0, 5, 10, 15 at least.
    let bar: Vec<&Text> = texts(&svg)
        .into_iter()
        .filter(|t| t.anchor == "start" && t.x > 700.0)
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .collect();
    let on_bar: Vec<&str> = bar.iter().map(|t| t.content.as_str()).collect();
    for value in ["0", "5", "10", "15"] {
        assert!(
            on_bar.contains(&value),
            "{value} on the colour bar: {on_bar:?} of {labels:?}"
        );
    }
}

#[test]
fn a_diverging_colour_bar_is_centred_on_zero() {
    let svg = draw(
        "Solution2D",
        &[("values", vec![1, 4], vec![-1.0, 0.0, 1.0, 3.0])],
        r#"{"colormap": "RdBu"}"#,
    );
    let on_bar: Vec<String> = texts(&svg)
        .into_iter()
        .filter(|t| t.anchor == "start" && t.x > 700.0)
        .map(|t| t.content)
        .collect();
    // From −3 to 3, so that zero is the middle colour: the ticks are symmetric about 0 (from −1 to 3 they
    // would not be).
    assert!(on_bar.contains(&"0".to_owned()), "{on_bar:?}");
    assert!(on_bar.len() >= 3, "{on_bar:?}");
    for label in &on_bar {
        let mirror = tick(&-label.parse::<f64>().unwrap());
        assert!(
            on_bar.contains(&mirror),
            "{mirror} mirrors {label}: {on_bar:?}"
        );
    }
}

#[test]
fn whole_number_data_has_whole_number_ticks() {
    // Five steps and counts 0…4: no tick at 0.5, and no `1.0`.
    let svg = draw(
        "DiscreteSequence",
        &[("values", vec![5], vec![0.0, 3.0, 1.0, 4.0, 2.0])],
        "{}",
    );
    let labels = tick_labels(&svg);
    for whole in ["0", "1", "2", "3", "4"] {
        assert!(labels.contains(&whole.to_owned()), "{whole} in {labels:?}");
    }
    assert!(
        labels.iter().all(|l| !l.contains('.')),
        "no fractional tick: {labels:?}"
    );
    let svg = draw(
        "OptimizationResult",
        &[("loss", vec![4], vec![4.0, 3.0, 2.5, 2.25])],
        "{}",
    );
    let steps: Vec<String> = tick_labels(&svg);
    assert!(steps.contains(&"3".to_owned()), "{steps:?}");
    assert!(
        !steps.contains(&"0.5".to_owned()) && !steps.contains(&"1.5".to_owned()),
        "{steps:?}"
    );
}

#[test]
fn no_tick_reads_negative_zero_or_float_noise() {
    // A sine over one period: its ticks include 0, which float arithmetic puts at ±2.22e-16.
    let n = 101;
    let x: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
    let y: Vec<f64> = x
        .iter()
        .map(|v| (2.0 * std::f64::consts::PI * v).sin())
        .collect();
    for (result_type, name) in [("Solution1D", "computed"), ("DiscreteSequence", "values")] {
        let axis = if result_type == "Solution1D" {
            "x"
        } else {
            "index"
        };
        let svg = draw(
            result_type,
            &[(axis, vec![n], x.clone()), (name, vec![n], y.clone())],
            "{}",
        );
        let labels = tick_labels(&svg);
        assert!(labels.contains(&"0".to_owned()), "{labels:?}");
        for label in &labels {
            assert!(
                label != "-0" && label != "-0.0",
                "negative zero in {labels:?}"
            );
            assert!(!label.contains("e-1"), "float noise {label} in {labels:?}");
        }
    }
}

#[test]
fn axis_titles_stay_clear_of_tick_labels() {
    // Long y tick labels (−0.00122 …) beside a y axis title.
    let y: Vec<f64> = (0..50)
        .map(|i| -0.001234 + 1e-6 * f64::from(i) * 2.5)
        .collect();
    let svg = draw(
        "Solution1D",
        &[("computed", vec![50], y)],
        r#"{"labels": {"x": "position", "y": "temperature"}}"#,
    );
    let all = texts(&svg);
    let title = all
        .iter()
        .find(|t| t.content == "temperature")
        .expect("the y axis title");
    assert!(title.rotated && is_size(title.size, AXIS_TITLE_SIZE));
    // plotters lays text out at 0.7 of its SVG size a character (its built-in estimate on this backend).
    let width = |t: &Text| t.size * 0.7 / 1.24 * t.content.chars().count() as f64;
    let y_ticks: Vec<&Text> = all
        .iter()
        .filter(|t| t.anchor == "end" && is_size(t.size, TICK_SIZE) && t.x < 200.0)
        .collect();
    assert!(
        y_ticks.iter().any(|t| t.content.len() >= 8),
        "long labels: {y_ticks:?}"
    );
    // The rotated title's glyphs reach one font size right of its x.
    let title_right = title.x + title.size;
    for tick in &y_ticks {
        let left = tick.x - width(tick);
        assert!(
            left > title_right,
            "tick {:?} starts at {left}, inside the title's {title_right}",
            tick.content
        );
    }
    // And the x axis title lies below the x tick labels.
    let x_title = all
        .iter()
        .find(|t| t.content == "position")
        .expect("the x axis title");
    let lowest_tick = all
        .iter()
        .filter(|t| is_size(t.size, TICK_SIZE) && t.anchor == "middle")
        .map(|t| t.y)
        .fold(f64::MIN, f64::max);
    assert!(
        x_title.y > lowest_tick + f64::from(TICK_SIZE),
        "{x_title:?} under {lowest_tick}"
    );
}

#[test]
fn a_legend_moves_off_the_data() {
    // A line through the upper right corner: the legend goes elsewhere.
    let x: Vec<f64> = (0..50).map(f64::from).collect();
    let rising: Vec<f64> = x.iter().map(|v| v * v).collect();
    let svg = draw(
        "Solution1D",
        &[("x", vec![50], x.clone()), ("computed", vec![50], rising)],
        "{}",
    );
    let legend = texts(&svg)
        .into_iter()
        .find(|t| t.content == "computed")
        .expect("the legend");
    assert!(
        legend.x < 400.0,
        "upper left, away from the rising line: {legend:?}"
    );
    // Data in every corner: the y axis makes room above it, and the legend sits there.
    let zigzag: Vec<f64> = x
        .iter()
        .map(|v| if (*v as i64) % 2 == 0 { 0.0 } else { 1.0 })
        .collect();
    let svg = draw(
        "Solution1D",
        &[("x", vec![50], x), ("computed", vec![50], zigzag)],
        "{}",
    );
    let top = tick_labels(&svg)
        .iter()
        .filter_map(|l| l.parse::<f64>().ok())
        .fold(f64::MIN, f64::max);
    assert!(top > 1.1, "room above the data (top tick {top})");
}
