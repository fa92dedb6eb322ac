//! One result on the run page: a renderer chosen by `result_type`, or a generic view of its fields.

use leptos::prelude::*;

use crate::model::{FieldStorage, GrowthState, ResultSummary, ResultType};
use crate::plots::format::short_number;
use crate::plots::has_plot;
use crate::ui::components::animation::AnimationPlot;
use crate::ui::components::export::Downloads;
use crate::ui::components::plot::ResultPlot;
use crate::ui::format_timestamp;

#[component]
pub fn ResultCard(summary: ResultSummary) -> impl IntoView {
    let heading = summary
        .title
        .clone()
        .unwrap_or_else(|| summary.result_type.to_string());
    let downloads = Downloads::of(&summary.fields);
    let body = match (&summary.problem, &summary.result_type) {
        (Some(problem), _) => view! { <p class="problem">{problem.clone()}</p> }.into_any(),
        (None, ResultType::PhysicsAnimation) => {
            let growing = summary.growing.is_some();
            view! { <AnimationPlot id=summary.id downloads growing /> }.into_any()
        }
        (None, t) if has_plot(t) => {
            let growing = summary.growing.is_some();
            view! { <ResultPlot id=summary.id result_type=t.clone() downloads growing /> }
                .into_any()
        }
        (None, _) => view! { <FieldTable summary=summary.clone() /> }.into_any(),
    };
    view! {
        <section
            class="result"
            data-result-id=summary.id.to_string()
            data-result-type=summary.result_type.to_string()
        >
            <header>
                <h2>{heading}</h2>
                <span class="type">{summary.result_type.to_string()}</span>
                <span class="muted">{format_timestamp(&summary.timestamp)}</span>
                {summary.growing.map(|g| view! { <Growth state=g /> })}
            </header>
            <StatLine stats=summary.stats.clone() />
            {body}
        </section>
    }
}

/// A growing result's state: still growing, or left open by a writer that stopped (the run ended, or its
/// writer was killed). The rows counted are those when the page read the run; the plot shows them as they come.
#[component]
fn Growth(state: GrowthState) -> impl IntoView {
    let (label, class, hint) = if state.open {
        (
            "growing",
            "growth open",
            "its writer appends rows; the plot takes them as they come",
        )
    } else {
        ("unfinished", "growth", "")
    };
    view! {
        <span class=class data-testid="growth" title=hint>
            {label}
        </span>
    }
}

/// The result's statistics, as the run list filters and sorts by them: `error.max 4e-4 · error.rms 2.3e-4`.
#[component]
fn StatLine(stats: Vec<(String, Option<f64>)>) -> impl IntoView {
    (!stats.is_empty()).then(|| {
        view! {
            <p class="result-stats" data-testid="result-stats">
                {stats
                    .into_iter()
                    .map(|(name, value)| {
                        let shown = value.map_or_else(|| "NaN".to_owned(), short_number);
                        let hint = format!("filter the run list with {name} < …");
                        view! {
                            <span title=hint>
                                <code>{name}</code>
                                " "
                                {shown}
                            </span>
                        }
                    })
                    .collect_view()}
            </p>
        }
    })
}

/// The generic renderer: every field with its shape, element type and where it is stored.
#[component]
fn FieldTable(summary: ResultSummary) -> impl IntoView {
    view! {
        <p class="muted">"This result type has no dedicated plot yet; its fields:"</p>
        <table class="fields">
            <thead>
                <tr>
                    <th>"Field"</th>
                    <th>"Shape"</th>
                    <th>"Type"</th>
                    <th>"Stored"</th>
                </tr>
            </thead>
            <tbody>
                {summary
                    .fields
                    .into_iter()
                    .map(|f| {
                        let shape = format!(
                            "[{}]",
                            f.shape.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                        );
                        let stored = match f.storage {
                            FieldStorage::Inline => "inline",
                            FieldStorage::Npy => ".npy file",
                        };
                        view! {
                            <tr>
                                <td>
                                    <code>{f.name}</code>
                                </td>
                                <td>{shape}</td>
                                <td>{f.dtype}</td>
                                <td>{stored}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
