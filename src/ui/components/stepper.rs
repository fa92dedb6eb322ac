//! Stepping through a sweep from a run page: choose a metadata key (kept in the address as `?step=KEY`), then
//! `]` opens the run with the next value of that key and the same other parameters, `[` the one before
//! (`Index::step` on the server).

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::model::RunId;
use crate::ui::server_fns::step_run;

/// The top-level keys of a run's metadata with a number, text or boolean value, in order.
fn scalar_keys(metadata_json: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(metadata_json) {
        Ok(map) => map
            .into_iter()
            .filter(|(_, v)| v.is_number() || v.is_string() || v.is_boolean())
            .map(|(k, _)| k)
            .collect(),
        // Text for people (bare NaN): no keys to step through.
        Err(_) => Vec::new(),
    }
}

#[component]
pub fn Stepper(id: RunId, metadata_json: String) -> impl IntoView {
    let keys = scalar_keys(&metadata_json);
    if keys.is_empty() {
        return ().into_any();
    }
    let query = use_query_map();
    // The run to step from is the one in the address when the key is pressed: after `]` the address changes at
    // once, while this page stays until the next run's details arrive, and a second `]` must step from the new run.
    let params = use_params_map();
    let chosen = Memo::new(move |_| query.read().get("step").unwrap_or_default());
    let note = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let go = {
        let navigate = navigate.clone();
        move |forward: bool| {
            let key = chosen.get_untracked();
            if key.is_empty() {
                note.set(Some("choose a key to step through first".into()));
                return;
            }
            let from = params
                .with_untracked(|p| p.get("id"))
                .unwrap_or_else(|| id.to_string());
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                match step_run(from, key.clone(), forward).await {
                    Ok(Some(next)) => {
                        navigate(&format!("/run/{next}?step={key}"), Default::default())
                    }
                    Ok(None) => {
                        note.try_set(Some(format!(
                            "no run {} this one along {key}",
                            if forward { "after" } else { "before" }
                        )));
                    }
                    Err(e) => {
                        note.try_set(Some(e.to_string()));
                    }
                }
            });
        }
    };
    #[cfg(feature = "hydrate")]
    {
        let go = go.clone();
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if crate::ui::typing(&ev) {
                return;
            }
            match ev.key().as_str() {
                "]" => go(true),
                "[" => go(false),
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }
    let options = keys
        .into_iter()
        .map(|k| {
            let selected = {
                let k = k.clone();
                move || chosen.get() == k
            };
            view! { <option value=k.clone() selected=selected>{k.clone()}</option> }
        })
        .collect_view();
    let choose = move |ev: leptos::ev::Event| {
        let key = event_target_value(&ev);
        note.set(None);
        navigate(&format!("/run/{id}?step={key}"), Default::default());
    };
    let (back, on) = (go.clone(), go);
    view! {
        <div class="stepper" data-testid="stepper">
            <label>
                "Step through "
                <select aria-label="Key to step through" on:change=choose>
                    <option value="" selected=move || chosen.get().is_empty()>"a key…"</option>
                    {options}
                </select>
            </label>
            <button class="small" title="The run with the previous value ([)" on:click=move |_| back(false)>"‹ ["</button>
            <button class="small" title="The run with the next value (])" on:click=move |_| on(true)>"] ›"</button>
            {move || note.get().map(|n| view! { <span class="muted small" data-testid="step-note">{n}</span> })}
        </div>
    }
    .into_any()
}
