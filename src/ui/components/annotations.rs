//! A run's star, tags and note, edited in place: each change goes to the server at once (`annotate_run`, the
//! same change as `PATCH /api/run`), under the run's lock, and shows what the server kept.

use leptos::prelude::*;

use crate::model::{RunId, RunPatch, RunSummary};
use crate::ui::server_fns::annotate_run;

/// What is being typed, kept by the run page while its header is redrawn live (a result arriving while a note
/// is typed must not lose it): the note being edited (`None`: not edited), the tag being typed, whether the
/// note was just saved.
#[derive(Clone, Copy)]
pub struct Drafts {
    note: RwSignal<Option<String>>,
    tag: RwSignal<String>,
    saved: RwSignal<bool>,
}

impl Drafts {
    pub fn new() -> Self {
        Self {
            note: RwSignal::new(None),
            tag: RwSignal::new(String::new()),
            saved: RwSignal::new(false),
        }
    }

    /// Forgets every draft (another run is shown).
    pub fn clear(&self) {
        self.note.set(None);
        self.tag.set(String::new());
        self.saved.set(false);
    }
}

impl Default for Drafts {
    fn default() -> Self {
        Self::new()
    }
}

/// The star, tags and note of the run page's header; drafts live in the page's [`Drafts`] context.
#[component]
pub fn Annotations(run: RunSummary) -> impl IntoView {
    let id: RunId = run.id;
    let drafts = use_context::<Drafts>().unwrap_or_default();
    let (starred, set_starred) = signal(run.starred);
    let (tags, set_tags) = signal(run.tags.clone());
    let (note, set_note) = signal(run.note.clone().unwrap_or_default());
    let (draft, set_draft) = (drafts.tag.read_only(), drafts.tag.write_only());
    let (error, set_error) = signal(None::<String>);
    let saved = drafts.saved;
    let note_draft = drafts.note;

    // Sends a change; on success the page shows what the server kept (trimmed tags, the note as written).
    let send = move |patch: RunPatch| {
        set_error.set(None);
        leptos::task::spawn_local(async move {
            match annotate_run(id.to_string(), patch).await {
                Ok(run) => {
                    set_starred.try_set(run.starred);
                    set_tags.try_set(run.tags);
                    set_note.try_set(run.note.unwrap_or_default());
                }
                Err(e) => {
                    set_error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let add_tag = move || {
        let tag = draft.get_untracked().trim().to_owned();
        if !tag.is_empty() {
            set_draft.set(String::new());
            send(RunPatch {
                add_tags: vec![tag],
                ..RunPatch::default()
            });
        }
    };

    view! {
        <div class="annotations">
            <button
                class="star"
                data-testid="star"
                aria-pressed=move || starred.get().to_string()
                title=move || if starred.get() { "Unstar this run" } else { "Star this run" }
                on:click=move |_| send(RunPatch {
                    starred: Some(!starred.get_untracked()),
                    ..RunPatch::default()
                })
            >
                {move || if starred.get() { "★" } else { "☆" }}
            </button>
            <ul class="tags" data-testid="tags">
                <For each=move || tags.get() key=|tag| tag.clone() let(tag)>
                    <li class="tag" data-testid="tag">
                        <span>{tag.clone()}</span>
                        <button
                            aria-label=format!("Remove tag {tag}")
                            on:click=move |_| send(RunPatch {
                                remove_tags: vec![tag.clone()],
                                ..RunPatch::default()
                            })
                        >
                            "×"
                        </button>
                    </li>
                </For>
            </ul>
            <input
                class="tag-input"
                data-testid="tag-input"
                placeholder="Add a tag ⏎"
                maxlength="64"
                prop:value=move || draft.get()
                on:input=move |ev| set_draft.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" {
                        add_tag();
                    }
                }
            />
            <details
                class="note"
                open=!note.get_untracked().is_empty() || note_draft.get_untracked().is_some()
            >
                <summary>"Note"</summary>
                <textarea
                    data-testid="note"
                    rows="3"
                    maxlength="4000"
                    prop:value=move || note_draft.get().unwrap_or_else(|| note.get())
                    on:input=move |ev| {
                        saved.set(false);
                        note_draft.set(Some(event_target_value(&ev)));
                    }
                ></textarea>
                <button
                    data-testid="save-note"
                    on:click=move |_| {
                        let text = note_draft.get_untracked().unwrap_or_else(|| note.get_untracked());
                        set_error.set(None);
                        leptos::task::spawn_local(async move {
                            let patch = RunPatch { note: Some(text), ..RunPatch::default() };
                            match annotate_run(id.to_string(), patch).await {
                                Ok(run) => {
                                    set_note.try_set(run.note.unwrap_or_default());
                                    note_draft.try_set(None);
                                    saved.try_set(true);
                                }
                                Err(e) => {
                                    set_error.try_set(Some(e.to_string()));
                                }
                            }
                        });
                    }
                >
                    "Save note"
                </button>
                {move || saved.get().then(|| view! { <span class="muted">"Saved"</span> })}
            </details>
            {move || error.get().map(|e| view! { <span class="problem" data-testid="annotation-error">{e}</span> })}
        </div>
    }
}

/// The star and tags of a run-list row.
#[component]
pub fn RowAnnotations(run: RunSummary) -> impl IntoView {
    let star = run
        .starred
        .then(|| view! { <span class="star" title="Starred">"★"</span> });
    view! {
        {star}
        {run
            .tags
            .into_iter()
            .map(|tag| view! { <span class="tag" data-testid="row-tag">{tag}</span> })
            .collect_view()}
    }
}
