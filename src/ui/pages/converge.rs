//! `/converge?x=meta.N&y=error.max&group=meta.solver[&q=…]`: a convergence study across runs — the log–log plot
//! of an error (or a solution value's distance from its extrapolation) against grid size or step size, one
//! series per group, the observed order of each with its uncertainty, and every run it took; refitted live as
//! runs arrive.

use leptos::html::Canvas;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::model::converge::{Convergence, Series};
use crate::plots::format::short_number;
use crate::ui::components::canvas::use_canvas_size;
use crate::ui::components::run_colour as colour;
use crate::ui::server_fns::{fetch_convergence, run_fields};
use crate::ui::Live;

/// The study's parameters as the address gives them.
#[derive(Clone, Debug, Default, PartialEq)]
struct Asked {
    x: String,
    y: String,
    group: String,
    q: String,
    xis: String,
    yis: String,
}

#[component]
pub fn ConvergePage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        Asked {
            x: get("x"),
            y: get("y"),
            group: get("group"),
            q: get("q"),
            xis: get("xis"),
            yis: get("yis"),
        }
    };
    // Refitted as runs arrive and change: a sweep's study fills in while it runs.
    let changes = expect_context::<Live>().changes();
    let study = Resource::new(
        move || (asked(), changes.get()),
        |(a, _)| async move {
            if a.x.trim().is_empty() || a.y.trim().is_empty() {
                return None;
            }
            Some(fetch_convergence(a.x, a.y, a.group, a.q, a.xis, a.yis).await)
        },
    );
    view! {
        <div class="converge">
            <h1>"Convergence study"</h1>
            <StudyForm asked=untrack(asked) />
            <Transition fallback=|| view! { <p class="muted">"Fitting…"</p> }>
                {move || {
                    study
                        .get()
                        .map(|answer| match answer {
                            None => {
                                view! {
                                    <p class="muted" data-testid="converge-hint">
                                        "Name an error (" <code>"error.max"</code> ", " <code>"meta.l2_error"</code>
                                        ") or a solution value as y, and a grid size or step size as x ("
                                        <code>"meta.N"</code> ", " <code>"meta.dt"</code>
                                        "); group by the method to fit one order per method."
                                    </p>
                                }
                                    .into_any()
                            }
                            Some(Ok(c)) => view! { <StudyView c /> }.into_any(),
                            Some(Err(e)) => {
                                view! { <p class="problem" data-testid="converge-error">{e.to_string()}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </div>
    }
}

/// The fields of the study, as a form that reloads the page with them (works before the page is hydrated).
#[component]
fn StudyForm(asked: Asked) -> impl IntoView {
    let fields = Resource::new(|| (), |()| run_fields());
    let options = move || {
        fields
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|f| view! { <option value=f.field></option> })
            .collect_view()
    };
    let input = |name: &'static str, value: String, hint: &'static str| {
        view! {
            <label>
                {name} " "
                <input name=name value=value placeholder=hint list="study-fields" autocomplete="off" />
            </label>
        }
    };
    view! {
        <form class="study-form" method="get" action="/converge" data-testid="study-form">
            {input("x", asked.x, "meta.N")}
            {input("y", asked.y, "error.max")}
            {input("group", asked.group, "meta.solver")}
            <label>
                "runs " <input name="q" value=asked.q placeholder="every run (a query)" class="wide" />
            </label>
            <input type="hidden" name="xis" value=asked.xis />
            <input type="hidden" name="yis" value=asked.yis />
            <button type="submit">"Fit"</button>
            <datalist id="study-fields">
                <Transition>{options}</Transition>
            </datalist>
        </form>
    }
}

#[component]
fn StudyView(c: Convergence) -> impl IntoView {
    let reading = format!(
        "{} read as {}; {} as {}. {} of {} runs taken{}.",
        c.x,
        if c.x_is_resolution {
            "a resolution (h = 1/x)"
        } else {
            "a step size"
        },
        c.y,
        if c.y_is_error {
            "an error"
        } else {
            "a solution value (Richardson extrapolation)"
        },
        c.matched - c.skipped,
        c.matched,
        if c.skipped > 0 {
            " (the others lack a usable x or y)"
        } else {
            ""
        },
    );
    let orders = c
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| view! { <Order i s=s.clone() /> })
        .collect_view();
    let rows = c
        .series
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.points.iter().map(move |p| {
                view! {
                    <tr data-testid="study-point">
                        <td><span class=colour(i)></span>{s.label().to_owned()}</td>
                        <td><a href=format!("/run/{}", p.run)>{p.name.clone()}</a></td>
                        <td class="num">{short_number(p.x)}</td>
                        <td class="num">{short_number(p.h)}</td>
                        <td class="num">{short_number(p.y)}</td>
                        <td class="num">{p.error.map(short_number).unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }
            })
        })
        .collect_view();
    let (x, y) = (c.x.clone(), c.y.clone());
    view! {
        <p class="small muted" data-testid="reading">{reading}</p>
        <ul class="orders">{orders}</ul>
        <StudyPlot c />
        <h2>"Runs"</h2>
        <div class="wide-table">
        <table class="study-points">
            <thead>
                <tr>
                    <th>"group"</th>
                    <th>"run"</th>
                    <th>{x}</th>
                    <th>"h"</th>
                    <th>{y}</th>
                    <th>"error"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
    }
}

/// One series's order: the fit's with its standard error, and for a solution value the extrapolation and the
/// grid convergence index.
#[component]
fn Order(i: usize, s: Series) -> impl IntoView {
    let runs = s.points.len();
    let fitted = match (&s.fit, &s.richardson) {
        (_, Some(r)) => format!(
            "p = {:.2} (Richardson, three finest grids); extrapolated {}, fine-grid GCI {:.2} %{}",
            r.order,
            short_number(r.extrapolated),
            100.0 * r.gci_fine,
            if r.monotonic {
                ""
            } else {
                "; oscillating convergence"
            },
        ),
        (Some(f), None) => format!("p = {} (least squares, {} runs)", f.describe(), f.points),
        (None, None) => format!("no order: {runs} run(s), at least two step sizes are needed"),
    };
    view! {
        <li data-testid="order" data-group=s.group.clone().unwrap_or_default()>
            <span class=colour(i)></span>
            <strong>{s.label().to_owned()}</strong>
            ": "
            {fitted}
        </li>
    }
}

/// The log–log plot, drawn in the browser at the canvas's size.
#[component]
fn StudyPlot(c: Convergence) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let size = use_canvas_size(canvas);
    let drawn = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let (Some(element), Some(size)) = (canvas.get(), size.get()) else {
            return;
        };
        let result = crate::ui::components::canvas::drawing_area(element, size)
            .and_then(|area| crate::plots::convergence::draw_convergence(&area, &c));
        drawn.set(result.is_ok());
        error.set(result.err());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (c, size);
    view! {
        <div class="plot">
            <canvas
                node_ref=canvas
                class="study-plot"
                width="800"
                height="480"
                data-testid="study-plot"
                data-drawn=move || drawn.get().to_string()
            ></canvas>
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}
