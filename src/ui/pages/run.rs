//! `/run/{id}`: a run's header and each of its results drawn by type; new results appear live. `[` and `]` step
//! to the run with the previous or next value of a chosen metadata key (`?step=KEY`).

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::model::{RunDetail, RunId};
use crate::ui::components::annotations::{Annotations, Drafts};
use crate::ui::components::result_card::ResultCard;
use crate::ui::components::status::StatusBadge;
use crate::ui::components::stepper::Stepper;
use crate::ui::server_fns::{delete_run, fetch_run_detail};
use crate::ui::{format_timestamp, Live};

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let live = expect_context::<Live>();
    let version = live.run_version(id);
    // Drafts outlive the header's live redraws, not a change of run.
    let drafts = Drafts::new();
    provide_context(drafts);
    Effect::watch(id, move |_, _, _| drafts.clear(), false);
    let detail = Resource::new(
        move || (id(), version.get()),
        |(id, _)| fetch_run_detail(id),
    );

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading run…"</p> }>
            {move || {
                detail
                    .get()
                    .map(|result| match result {
                        Ok(detail) => view! { <RunHeader detail /> }.into_any(),
                        Err(e) => {
                            view! {
                                <p class="problem" data-testid="run-error">
                                    {e.to_string()}
                                </p>
                                <p>
                                    <a href="/">"Back to all runs"</a>
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
            <div class="results">
                <For
                    each=move || detail.get().and_then(Result::ok).map(|d| d.results).unwrap_or_default()
                    key=|summary| (summary.id, summary.problem.clone(), summary.growing.map(|g| g.open))
                    let(summary)
                >
                    <ResultCard summary />
                </For>
            </div>
        </Transition>
    }
}

#[component]
fn RunHeader(detail: RunDetail) -> impl IntoView {
    let run = detail.summary;
    let annotated = run.clone();
    let has_metadata = detail.metadata_json != "{}";
    view! {
        <div class="run-header" data-run-id=run.id.to_string()>
            <div class="title-row">
                <h1>{run.name}</h1>
                <StatusBadge status=run.status />
                <DeleteButton id=run.id />
            </div>
            <Annotations run=annotated />
            <dl class="facts">
                <dt>"Started"</dt>
                <dd>{format_timestamp(&run.timestamp)}</dd>
                <dt>"Results"</dt>
                <dd data-testid="result-count">{run.result_count}</dd>
                {run.equation.map(|e| view! { <dt>"Equation"</dt> <dd><code>{e}</code></dd> })}
            </dl>
            // A short circuit shows open; a long listing starts folded, so the results stay in view.
            {run.circuit.map(|c| {
                let short = c.lines().count() <= 12;
                view! {
                <details class="circuit" open=short>
                    <summary>"Compiled circuit"</summary>
                    <pre>{c}</pre>
                </details>
                }
            })}
            <Stepper id=run.id metadata_json=detail.metadata_json.clone() />
            {has_metadata.then(|| view! {
                <details class="metadata">
                    <summary>"Metadata"</summary>
                    <pre>{detail.metadata_json.clone()}</pre>
                </details>
            })}
            {run.problem.map(|p| view! { <p class="problem">{p}</p> })}
        </div>
    }
}

#[component]
fn DeleteButton(id: RunId) -> impl IntoView {
    let navigate = use_navigate();
    let (error, set_error) = signal(None::<String>);
    let (pending, set_pending) = signal(false);
    let on_click = move |_| {
        let confirmed = window()
            .confirm_with_message(
                "Delete this run, its results and their files? This cannot be undone.",
            )
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        set_pending.set(true);
        let navigate = navigate.clone();
        // Navigate from this task, not from an effect of the button: the deletion also reaches the page live
        // and may replace this header (and its effects) before the server's answer arrives.
        leptos::task::spawn_local(async move {
            match delete_run(id.to_string()).await {
                Ok(()) => navigate("/", Default::default()),
                Err(e) => {
                    set_error.try_set(Some(e.to_string()));
                    set_pending.try_set(false);
                }
            }
        });
    };
    view! {
        <button class="danger" on:click=on_click disabled=move || pending.get()>
            "Delete run"
        </button>
        {move || error.get().map(|e| view! { <span class="problem">{e}</span> })}
    }
}
