//! The run table: fixed columns, the chosen ones (sortable by a click, a second key by shift-click, hidden when
//! the same in every shown run if asked), groups that fold.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::components::A;

use super::keys::ListState;
use super::thousands;
use super::view::{goer, ListView};
use crate::model::{CellValue, Group, RunPage, RunSummary, Stats};
use crate::plots::format::short_number;
use crate::ui::components::annotations::RowAnnotations;
use crate::ui::components::status::{ProgressBar, StatusBadge};
use crate::ui::format_timestamp;

/// Whether every shown run has the same value (or none) in a column.
fn constant(values: &[Option<CellValue>]) -> bool {
    values.windows(2).all(|w| w[0] == w[1])
}

/// A value exactly as stored (the shortest text that reads back as the same number): a group's key, a cell's
/// tooltip.
fn cell_text(value: &Option<CellValue>) -> String {
    value.as_ref().map(CellValue::to_string).unwrap_or_default()
}

/// A value as a person reads it in the table: numbers to six significant digits, without float noise
/// (`0.00039999999999995595` reads `0.0004`; the tooltip has the number as stored).
fn cell_shown(value: &Option<CellValue>) -> String {
    match value {
        Some(CellValue::Number(v)) => short_number(*v),
        other => cell_text(other),
    }
}

/// "mean 1.2e-3 · 1e-4 … 5e-3" for a group's numbers in one column.
fn stats_text(stats: &Option<Stats>) -> String {
    stats.map_or(String::new(), |s| {
        format!(
            "mean {} · {} … {}",
            short_number(s.mean),
            short_number(s.min),
            short_number(s.max)
        )
    })
}

#[component]
pub fn RunTable(
    page: RunPage,
    list: ListView,
    folded: RwSignal<HashSet<String>>,
    state: ListState,
) -> impl IntoView {
    let columns: Vec<usize> = (0..page.columns.len())
        .filter(|&i| !(list.varying && page.runs.len() > 1 && constant(&page.columns[i].values)))
        .collect();
    let header = |label: &'static str, field: &'static str, class: &'static str| {
        view! { <SortHeader label=label.to_owned() field=field.to_owned() class list=list.clone() /> }
    };
    let extra_headers = columns
        .iter()
        .map(|&i| {
            let field = page.columns[i].field.clone();
            view! { <SortHeader label=field.clone() field class="num" list=list.clone() /> }
        })
        .collect_view();
    let mut rows = Vec::new();
    for (r, run) in page.runs.into_iter().enumerate() {
        let group = page.group_of.get(r).copied();
        let first_of_group =
            group.is_some() && (r == 0 || page.group_of.get(r - 1).copied() != group);
        if let (true, Some(g)) = (first_of_group, group.and_then(|g| page.groups.get(g))) {
            rows.push(
                view! { <GroupRow group=g.clone() columns=columns.clone() folded /> }.into_any(),
            );
        }
        let key = group
            .and_then(|g| page.groups.get(g))
            .map(|g| cell_text(&g.value));
        let cells: Vec<Option<CellValue>> = columns
            .iter()
            .map(|&i| page.columns[i].values[r].clone())
            .collect();
        let hidden = move || key.as_ref().is_some_and(|k| folded.read().contains(k));
        rows.push(view! { <RunRow run cells hidden=Signal::derive(hidden) state /> }.into_any());
    }
    view! {
        <table class="runs">
            <colgroup>
                <col class="col-name" />
                <col class="col-time" />
                <col class="col-equation" />
                <col class="col-circuit" />
                <col class="col-count" />
                <col class="col-status" />
            </colgroup>
            <thead>
                <tr>
                    {header("Name", "name", "")}
                    {header("Started", "created", "")}
                    <th>"Equation"</th>
                    <th>"Compiled circuit"</th>
                    {header("Results", "results", "num")}
                    {header("Status", "status", "")}
                    {extra_headers}
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// A column header that sorts by its field: a click sorts by it alone (again: the other way), a shift-click adds
/// it as a further key. Shows the direction, and the key's rank when there are several.
#[component]
fn SortHeader(label: String, field: String, class: &'static str, list: ListView) -> impl IntoView {
    let sorted = list.sorted_by(&field);
    let several = list.sort.contains(',');
    let mark = sorted.map(|(rank, descending)| {
        let arrow = if descending { "▼" } else { "▲" };
        if several {
            format!(" {arrow}{rank}")
        } else {
            format!(" {arrow}")
        }
    });
    let aria = match sorted {
        Some((_, true)) => "descending",
        Some((_, false)) => "ascending",
        None => "none",
    };
    let title = format!("Sort by {field} (shift-click: as a further key)");
    let go = goer();
    let data_field = field.clone();
    view! {
        <th class=class aria-sort=aria data-field=data_field>
            <button
                class="sort"
                title=title
                on:click=move |ev| go(&list.click_sort(&field, ev.shift_key()))
            >
                {label}
                {mark}
            </button>
        </th>
    }
}

/// A group's header row: its value, how many runs, each numeric column's mean and range; a click folds it.
#[component]
fn GroupRow(group: Group, columns: Vec<usize>, folded: RwSignal<HashSet<String>>) -> impl IntoView {
    let key = cell_text(&group.value);
    let label = if group.value.is_some() {
        key.clone()
    } else {
        "(none)".to_owned()
    };
    let toggle_key = key.clone();
    let is_folded = Signal::derive(move || folded.read().contains(&key));
    let stats: Vec<String> = columns
        .iter()
        .map(|&i| stats_text(group.stats.get(i).unwrap_or(&None)))
        .collect();
    view! {
        <tr class="group" data-testid="group">
            <td colspan=6>
                <button
                    class="fold"
                    aria-expanded=move || (!is_folded.get()).to_string()
                    on:click=move |_| {
                        folded.update(|f| {
                            if !f.remove(&toggle_key) {
                                f.insert(toggle_key.clone());
                            }
                        })
                    }
                >
                    {move || if is_folded.get() { "▸ " } else { "▾ " }}
                    <span data-testid="group-value">{label}</span>
                </button>
                <span class="muted" data-testid="group-count">
                    {format!(" {} runs", thousands(group.count))}
                </span>
            </td>
            {stats.into_iter().map(|s| view! { <td class="num stats">{s}</td> }).collect_view()}
        </tr>
    }
}

#[component]
fn RunRow(
    run: RunSummary,
    cells: Vec<Option<CellValue>>,
    hidden: Signal<bool>,
    state: ListState,
) -> impl IntoView {
    let id = run.id;
    let href = format!("/run/{}", run.id);
    // The whole text on hover: names and equations are cut to two lines, circuits to one.
    let name_title = run.name.clone();
    let annotated = run.clone();
    view! {
        <tr
            class="run"
            data-run-id=run.id.to_string()
            class:folded=move || hidden.get()
            class:cursor=move || state.cursor.get() == Some(id)
            class:selected=move || state.selected.read().contains(&id)
        >
            <td class="name">
                <input
                    type="checkbox"
                    class="select"
                    aria-label="Select this run"
                    prop:checked=move || state.selected.read().contains(&id)
                    on:change=move |_| state.toggle(id)
                />
                <A href=href attr:class="clamp" attr:title=name_title>
                    {run.name}
                </A>
                <RowAnnotations run=annotated />
                {run.problem.map(|p| view! { <div class="problem">{p}</div> })}
            </td>
            <td class="time">{format_timestamp(&run.timestamp)}</td>
            <td class="equation">
                {run.equation.map(|e| view! { <code class="clamp" title=e.clone()>{e.clone()}</code> })}
            </td>
            <td class="circuit">
                {run.circuit.map(|c| view! { <code title=c.clone()>{c.clone()}</code> })}
            </td>
            <td class="num" data-testid="result-count">{run.result_count}</td>
            <td>
                <StatusBadge status=run.status />
                {(run.status == Some(crate::model::RunStatus::Running))
                    .then(|| run.progress.clone())
                    .flatten()
                    .map(|progress| view! { <ProgressBar progress started=run.timestamp.clone() /> })}
            </td>
            {cells
                .into_iter()
                .map(|c| {
                    view! {
                        <td class="num" data-testid="cell" title=cell_text(&c)>
                            {cell_shown(&c)}
                        </td>
                    }
                })
                .collect_view()}
        </tr>
    }
}
