//! The tools above the run table that change the view: saved views, the column picker, grouping, "varying
//! only", and the CSV export of the filtered runs.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::location::Url;

use super::thousands;
use super::view::{goer, ListView};
use crate::ui::server_fns::{delete_view, list_views, run_fields, save_view};

/// Columns, grouping, "varying only" and the CSV export of the filtered runs.
#[component]
pub fn ViewTools(list: Memo<ListView>) -> impl IntoView {
    let go = goer();
    let (go_group, go_varying) = (go.clone(), go.clone());
    // Asked for when the picker is first opened, not on every page load.
    let (opened, set_opened) = signal(false);
    // Only in the browser (a local resource): read outside a `<Suspense/>`, a resource loaded during the
    // server's render would have to agree with it at hydration.
    let fields = LocalResource::new(move || {
        let open = opened.get();
        async move {
            if open {
                run_fields().await.unwrap_or_default()
            } else {
                Vec::new()
            }
        }
    });
    let csv = move || {
        let v = list.get();
        let mut params = Vec::new();
        for (name, value) in [("q", &v.q), ("sort", &v.sort), ("cols", &v.cols)] {
            if !value.is_empty() {
                params.push(format!("{name}={}", Url::escape(value)));
            }
        }
        format!("/api/runs/csv?{}", params.join("&"))
    };
    view! {
        <div class="view-tools">
            <SavedViews list />
            <details class="picker" on:toggle=move |_| set_opened.set(true)>
                <summary data-testid="columns">"Columns"</summary>
                <Transition fallback=|| view! { <p class="muted">"Loading fields…"</p> }>
                    <ul>
                        {move || {
                            fields
                                .get()
                                .unwrap_or_default()
                                .into_iter()
                                // Not the fields the table always shows.
                                .filter(|f| {
                                    !matches!(
                                        f.field.as_str(),
                                        "name" | "status" | "equation" | "circuit" | "created" | "results"
                                    )
                                })
                                .map(|f| {
                                    let go = go.clone();
                                    let field = f.field.clone();
                                    let checked = list.read_untracked().columns().contains(&field);
                                    view! {
                                        <li>
                                            <label>
                                                <input
                                                    type="checkbox"
                                                    data-field=field.clone()
                                                    prop:checked=checked
                                                    on:change=move |_| go(&list.get_untracked().toggle_column(&field))
                                                />
                                                {f.field.clone()}
                                                <span class="muted">{format!(" {}", thousands(f.runs))}</span>
                                            </label>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                </Transition>
            </details>
            <label>
                "Group by "
                <input
                    data-testid="group-by"
                    list="group-fields"
                    placeholder="meta.solver"
                    size="14"
                    prop:value=move || list.read().group.clone()
                    on:focus=move |_| set_opened.set(true)
                    on:change=move |ev| go_group(&ListView {
                        group: event_target_value(&ev).trim().to_owned(),
                        page: 1,
                        ..list.get_untracked()
                    })
                />
                <datalist id="group-fields">
                    {move || {
                        fields
                            .get()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|f| view! { <option value=f.field></option> })
                            .collect_view()
                    }}
                </datalist>
            </label>
            <label>
                <input
                    type="checkbox"
                    data-testid="varying"
                    prop:checked=move || list.read().varying
                    on:change=move |ev| go_varying(&ListView {
                        varying: event_target_checked(&ev),
                        ..list.get_untracked()
                    })
                />
                " Varying only"
            </label>
            <a data-testid="export-csv" href=csv download="runs.csv" rel="external">"Export CSV"</a>
        </div>
    }
}

/// The saved views (links to their addresses, each deletable) and "Save view" for the one shown.
#[component]
fn SavedViews(list: Memo<ListView>) -> impl IntoView {
    let (changed, set_changed) = signal(0u32);
    let views = Resource::new(move || changed.get(), |_| async move { list_views().await });
    let (error, set_error) = signal(None::<String>);
    let on_save = move |_| {
        let Some(name) = window()
            .prompt_with_message("Save this view of the runs as:")
            .ok()
            .flatten()
        else {
            return;
        };
        let saved = list.get_untracked().to_saved(name);
        leptos::task::spawn_local(async move {
            match save_view(saved).await {
                Ok(_) => {
                    set_error.try_set(None);
                    set_changed.try_update(|n| *n += 1);
                }
                Err(e) => {
                    set_error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    view! {
        <details class="picker views">
            <summary data-testid="views">"Views"</summary>
            <ul>
                <Transition fallback=|| ()>
                    {move || {
                        views
                            .get()
                            .map(|found| match found {
                                Ok(found) if found.is_empty() => {
                                    view! { <li class="muted">"No saved views yet"</li> }.into_any()
                                }
                                Ok(found) => {
                                    found
                                        .into_iter()
                                        .map(|v| {
                                            let href = ListView::of_saved(&v).href();
                                            let id = v.id.clone();
                                            let label = format!("Delete view {}", v.name);
                                            let remove = move |_| {
                                                let id = id.clone();
                                                leptos::task::spawn_local(async move {
                                                    if delete_view(id).await.is_ok() {
                                                        set_changed.try_update(|n| *n += 1);
                                                    }
                                                });
                                            };
                                            view! {
                                                <li data-testid="saved-view">
                                                    <A href=href>{v.name}</A>
                                                    <button
                                                        class="remove"
                                                        aria-label=label
                                                        on:click=remove
                                                    >
                                                        "×"
                                                    </button>
                                                </li>
                                            }
                                        })
                                        .collect_view()
                                        .into_any()
                                }
                                Err(e) => view! { <li class="problem">{e.to_string()}</li> }.into_any(),
                            })
                    }}
                </Transition>
                <li>
                    <button data-testid="save-view" on:click=on_save>
                        "Save this view…"
                    </button>
                </li>
                {move || error.get().map(|e| view! { <li class="problem">{e}</li> })}
            </ul>
        </details>
    }
}
