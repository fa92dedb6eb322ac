//! A run's status as a coloured badge.

use leptos::prelude::*;

use crate::model::RunStatus;

#[component]
pub fn StatusBadge(status: Option<RunStatus>) -> impl IntoView {
    let text = status.map_or("unreadable", RunStatus::as_str);
    view! { <span class=format!("status status-{text}")>{text}</span> }
}
