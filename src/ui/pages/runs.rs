//! `/`: every run, newest first, updating live.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::model::RunSummary;
use crate::ui::components::status::StatusBadge;
use crate::ui::server_fns::list_runs;
use crate::ui::{format_timestamp, Live};

#[component]
pub fn RunsPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let runs = Resource::new(move || live.tick.get(), |_| list_runs());

    view! {
        <h1>"Runs"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                match runs.await {
                    Ok(runs) if runs.is_empty() => view! { <EmptyStorage /> }.into_any(),
                    Ok(runs) => view! { <RunTable runs /> }.into_any(),
                    Err(e) => view! { <p class="problem">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RunTable(runs: Vec<RunSummary>) -> impl IntoView {
    view! {
        <table class="runs">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Started"</th>
                    <th>"Equation"</th>
                    <th>"Compiled circuit"</th>
                    <th class="num">"Results"</th>
                    <th>"Status"</th>
                </tr>
            </thead>
            <tbody>
                {runs.into_iter().map(|run| view! { <RunRow run /> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn RunRow(run: RunSummary) -> impl IntoView {
    let href = format!("/run/{}", run.id);
    view! {
        <tr class="run" data-run-id=run.id.to_string()>
            <td class="name">
                <A href=href>{run.name}</A>
                {run.problem.map(|p| view! { <div class="problem">{p}</div> })}
            </td>
            <td class="time">{format_timestamp(&run.timestamp)}</td>
            <td>{run.equation.map(|e| view! { <code>{e}</code> })}</td>
            <td class="circuit">
                {run.circuit.map(|c| view! { <code title=c.clone()>{c.clone()}</code> })}
            </td>
            <td class="num" data-testid="result-count">{run.result_count}</td>
            <td>
                <StatusBadge status=run.status />
            </td>
        </tr>
    }
}

#[component]
fn EmptyStorage() -> impl IntoView {
    view! {
        <div class="empty">
            <p>"No runs in this storage yet. Results appear here the moment a simulation saves them."</p>
            <p>"Run the built-in example simulations into it, and watch them arrive:"</p>
            <pre>"asgard example --all --storage <this storage directory>"</pre>
            <p>"From Rust:"</p>
            <pre>
                "let storage = asgard::storage::AsgardStorage::open(\"storage\")?;\n"
                "let run = storage.create_run(\"heat\", Some(\"u_t = u_xx\"), None)?;\n"
                "storage.add_result(run.id, \"Solution1D\", [(\"x\".into(), x.into()), (\"computed\".into(), u.into())], json!({}))?;"
            </pre>
            <p>
                "Any language can write the files directly: see docs/storage-format.md in the Asgard repository."
            </p>
        </div>
    }
}
