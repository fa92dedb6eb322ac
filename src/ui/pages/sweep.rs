//! `/sweep?x=meta.a&y=meta.b&result=TITLE[&value=FIELD][&q=…]`: a sweep over two parameters as a grid — one cell
//! per pair of values with a thumbnail of the run's result (or its value of one field as a colour), empty cells
//! where the sweep has no run, failed runs marked. A cell opens its run, ready to step along x with `[` and `]`.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use plotters::style::RGBColor;

use crate::model::sweep::{SweepCell, SweepGrid};
use crate::model::RunStatus;
use crate::plots::colormap::Colormap;
use crate::plots::format::short_number;
use crate::ui::components::thumbnail::Thumbnail;
use crate::ui::server_fns::fetch_sweep;
use crate::ui::Live;

#[component]
pub fn SweepPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        (get("x"), get("y"), get("result"), get("value"), get("q"))
    };
    let changes = expect_context::<Live>().changes();
    let grid = Resource::new(
        move || (asked(), changes.get()),
        |((x, y, result, value, q), _)| async move {
            if x.trim().is_empty() || y.trim().is_empty() {
                return None;
            }
            Some(fetch_sweep(x, y, result, value, q).await)
        },
    );
    let (x, y, result, value, q) = untrack(asked);
    let input = |name: &'static str, value: String, hint: &'static str| {
        view! {
            <label>
                {name} " "
                <input name=name value=value placeholder=hint autocomplete="off" />
            </label>
        }
    };
    view! {
        <div class="sweep">
            <h1>"Sweep"</h1>
            <form class="study-form" method="get" action="/sweep" data-testid="sweep-form">
                {input("x", x, "meta.a")}
                {input("y", y, "meta.b")}
                {input("result", result, "a result's title or type")}
                {input("value", value, "or a field: error.max")}
                <label>"runs " <input name="q" value=q placeholder="every run (a query)" class="wide" /></label>
                <button type="submit">"Show"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Laying out…"</p> }>
                {move || {
                    grid.get()
                        .map(|answer| match answer {
                            None => view! {
                                <p class="muted" data-testid="sweep-hint">
                                    "Name two swept fields (" <code>"meta.dt"</code> ", " <code>"meta.solver"</code>
                                    ") and a result's title to see it for every pair of values, or a field such as "
                                    <code>"error.max"</code> " to see it as a colour."
                                </p>
                            }
                            .into_any(),
                            Some(Ok(g)) => view! { <Grid g /> }.into_any(),
                            Some(Err(e)) => {
                                view! { <p class="problem" data-testid="sweep-error">{e.to_string()}</p> }.into_any()
                            }
                        })
                }}
            </Transition>
        </div>
    }
}

#[component]
fn Grid(g: SweepGrid) -> impl IntoView {
    let values: Vec<f64> = g
        .cells
        .iter()
        .flatten()
        .filter_map(|c| c.value)
        .filter(|v| v.is_finite())
        .collect();
    let range = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let step = g.x.strip_prefix("meta.").map(str::to_owned);
    let head =
        g.xs.iter()
            .map(|v| view! { <th>{format!("{} = {v}", g.x)}</th> })
            .collect_view();
    let rows =
        g.ys.iter()
            .enumerate()
            .map(|(j, yv)| {
                let cells = (0..g.xs.len())
                    .map(|i| {
                        let cell = g.cell(i, j).cloned();
                        view! { <GridCell cell range step=step.clone() /> }
                    })
                    .collect_view();
                view! {
                    <tr>
                        <th>{format!("{} = {yv}", g.y)}</th>
                        {cells}
                    </tr>
                }
            })
            .collect_view();
    let note = format!(
        "{} of {} points have a run{}{}",
        g.cells.iter().flatten().count(),
        g.cells.len(),
        if g.skipped > 0 {
            format!("; {} runs without {} or {} left out", g.skipped, g.x, g.y)
        } else {
            String::new()
        },
        if g.hidden > 0 {
            format!("; {} older runs at a point taken by a newer one", g.hidden)
        } else {
            String::new()
        },
    );
    view! {
        <p class="small muted" data-testid="sweep-note">{note}</p>
        <div class="wide-table">
            <table class="sweep-grid" data-testid="sweep-grid">
                <thead><tr><th></th>{head}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// One point of the grid: missing, failed, its result's thumbnail, or its value as a colour.
#[component]
fn GridCell(cell: Option<SweepCell>, range: (f64, f64), step: Option<String>) -> impl IntoView {
    let Some(c) = cell else {
        return view! { <td class="missing" data-testid="sweep-cell" data-state="missing">"—"</td> }.into_any();
    };
    let href = match &step {
        Some(key) => format!("/run/{}?step={key}", c.run),
        None => format!("/run/{}", c.run),
    };
    let failed = c.status == Some(RunStatus::Failed);
    let body = if failed {
        view! { <span class="badge failed">"failed"</span> }.into_any()
    } else if let Some((id, result_type)) = c.result.clone() {
        view! { <Thumbnail id result_type /> }.into_any()
    } else if let Some(v) = c.value {
        let (colormap, _) = Colormap::from_display("{}");
        let RGBColor(r, g, b) = colormap.color(v, range.0, range.1);
        let ink = if (r as u32 + g as u32 + b as u32) < 380 {
            "white"
        } else {
            "black"
        };
        view! {
            <span class="value" style=format!("background: rgb({r}, {g}, {b}); color: {ink}")>{short_number(v)}</span>
        }
        .into_any()
    } else {
        view! { <span class="muted">"no such result"</span> }.into_any()
    };
    view! {
        <td class:failed=failed data-testid="sweep-cell" data-state=if failed { "failed" } else { "run" }>
            <a href=href title=c.name.clone()>{body}</a>
        </td>
    }
    .into_any()
}
