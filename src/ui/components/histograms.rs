//! Several runs' ensembles at one shared time (the compare page, under the ensembles' overlay): a slider over
//! the time range of every run together, each run's distribution at the time nearest to the one chosen
//! (`plots::histograms`), and a line of statistics per run. A reduced ensemble is asked again for the column
//! at that time; a raw one holds every time already.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::ResultId;
use crate::plots::format::short_number;
use crate::ui::components::canvas::use_canvas_size;
use crate::ui::components::run_colour;

/// The slider's positions across the time range.
const STEPS: f64 = 1000.0;

/// What the histograms show and what their user chose.
#[derive(Clone, Copy)]
struct Shared {
    /// The time chosen; `None` for each run's last.
    time: RwSignal<Option<f64>>,
    /// Every run's times together, once known.
    range: RwSignal<Option<(f64, f64)>>,
    /// By run: its statistics at its time, where it has the result.
    summaries: RwSignal<Vec<Option<String>>>,
    drawn: RwSignal<bool>,
    error: RwSignal<Option<String>>,
}

#[component]
pub fn HistogramsPlot(results: Vec<Option<ResultId>>, labels: Vec<String>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let size = use_canvas_size(canvas);
    let shared = Shared {
        time: RwSignal::new(None),
        range: RwSignal::new(None),
        summaries: RwSignal::new(Vec::new()),
        drawn: RwSignal::new(false),
        error: RwSignal::new(None),
    };
    #[cfg(feature = "hydrate")]
    browser::start(results, canvas, size, shared);
    #[cfg(not(feature = "hydrate"))]
    let _ = (results, size);
    let Shared {
        time,
        range,
        summaries,
        drawn,
        error,
    } = shared;
    let position = move || match (time.get(), range.get()) {
        (Some(t), Some((lo, hi))) if hi > lo => ((t - lo) / (hi - lo) * STEPS).round().to_string(),
        _ => STEPS.to_string(),
    };
    let choose = move |ev| {
        let Ok(p) = event_target_value(&ev).parse::<f64>() else {
            return;
        };
        if let Some((lo, hi)) = range.get_untracked() {
            time.set(Some(lo + (hi - lo) * p / STEPS));
        }
    };
    view! {
        <div class="plot histograms">
            <div class="controls">
                <label>
                    "Histograms at time "
                    <input
                        type="range"
                        aria-label="Shared histogram time"
                        data-testid="shared-time"
                        min="0"
                        max=STEPS.to_string()
                        prop:value=position
                        on:input=choose
                    />
                    " "
                    {move || time.get().map(short_number).unwrap_or_else(|| "last".into())}
                </label>
            </div>
            <canvas
                node_ref=canvas
                class="histograms"
                width="800"
                height="300"
                data-testid="histograms"
                data-drawn=move || drawn.get().to_string()
            ></canvas>
            <ul class="at-time" data-testid="at-time">
                {move || {
                    summaries
                        .get()
                        .into_iter()
                        .enumerate()
                        .filter_map(|(i, s)| {
                            let label = labels.get(i).cloned().unwrap_or_default();
                            s.map(|s| view! { <li><span class=run_colour(i)></span>{label} ": " {s}</li> })
                        })
                        .collect_view()
                }}
            </ul>
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::html::Canvas;
    use leptos::prelude::*;

    use super::Shared;
    use crate::model::ResultId;
    use crate::plots::histograms::{column_near, draw_histograms, time_range, AtTime};
    use crate::ui::components::canvas::{drawing_area, CanvasSize};
    use crate::ui::components::compared::{fetch_all, Ask};

    pub fn start(
        results: Vec<Option<ResultId>>,
        canvas: NodeRef<Canvas>,
        size: ReadSignal<Option<CanvasSize>>,
        shared: Shared,
    ) {
        // By run, the column to ask a reduced ensemble for: known once a view of it has come.
        let columns: RwSignal<Vec<Option<usize>>> = RwSignal::new(Vec::new());
        let fetched = fetch_all(
            results,
            size,
            || 1,
            move || Ask {
                view: None,
                times: columns.get(),
            },
        );
        Effect::new(move |_| {
            let (Some(Some(views)), Some(element), Some(size)) =
                (fetched.get(), canvas.get(), size.get())
            else {
                return;
            };
            let ok: Vec<Option<&crate::plots::view::PlotData>> = views
                .iter()
                .map(|v| v.as_ref().and_then(|v| v.as_ref().ok()))
                .collect();
            if shared.range.get_untracked().is_none() {
                shared.range.set(time_range(&ok));
            }
            let time = shared.time.get();
            // A time chosen: the columns to ask the reduced runs for, from the views just come (a column's time
            // depends on the width and the range, not on the column asked for; after a resize they are new).
            // Asked again only when they change.
            if let Some(t) = time {
                let mut wanted: Vec<Option<usize>> = ok
                    .iter()
                    .map(|v| v.and_then(|v| column_near(v, t)))
                    .collect();
                if wanted.iter().all(Option::is_none) {
                    // Only raw runs: nothing to ask for.
                    wanted.clear();
                }
                if wanted != columns.get_untracked() {
                    columns.set(wanted);
                    return;
                }
            }
            let runs: Result<Vec<Option<AtTime>>, String> = views
                .iter()
                .map(|v| match v {
                    None => Ok(None),
                    Some(v) => AtTime::of(v.as_ref().map_err(Clone::clone)?, time).map(Some),
                })
                .collect();
            let result = runs.and_then(|runs| {
                shared.summaries.set(
                    runs.iter()
                        .map(|r| r.as_ref().map(AtTime::summary))
                        .collect(),
                );
                draw_histograms(&drawing_area(element, size)?, &runs)
            });
            shared.drawn.set(result.is_ok());
            shared.error.set(result.err());
        });
    }
}
