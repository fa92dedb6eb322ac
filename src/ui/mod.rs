//! The dashboard: the HTML shell, the routes, and the pages and components they render.

mod components;
mod live;
mod pages;
#[cfg(feature = "hydrate")]
pub mod panic;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

pub use live::Live;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: a header with the live-connection indicator, and the routed page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let live = live::provide_live_updates();

    view! {
        <Stylesheet id="leptos" href="/pkg/asgard.css" />
        <Title text="Asgard Monitor" />
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    "Asgard Monitor"
                </A>
                <span
                    class="live"
                    data-live=move || if live.connected.get() { "connected" } else { "offline" }
                    title="Updates arrive live while this is green"
                >
                    {move || if live.connected.get() { "live" } else { "offline" }}
                </span>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="problem">"No such page."</p> }>
                    <Route path=path!("/") view=pages::runs::RunsPage />
                    <Route path=path!("/run/:id") view=pages::run::RunPage />
                    <Route path=path!("/compare") view=pages::compare::ComparePage />
                    <Route path=path!("/converge") view=pages::converge::ConvergePage />
                    <Route path=path!("/sweep") view=pages::sweep::SweepPage />
                </Routes>
            </main>
        </Router>
    }
}

/// Whether a key press belongs to a text field (or carries a modifier), not to the page's own keys.
#[cfg(feature = "hydrate")]
pub(crate) fn typing(ev: &leptos::ev::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    let editable = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.is_content_editable()
        });
    editable || ev.ctrl_key() || ev.meta_key() || ev.alt_key()
}

/// `2026-11-27T00:13:37.123456Z` → `2026-11-27 00:13:37 UTC`; anything else is shown as it is.
pub fn format_timestamp(ts: &str) -> String {
    match (ts.get(..10), ts.get(11..19)) {
        (Some(date), Some(time)) if ts.as_bytes().get(10) == Some(&b'T') => {
            let zone = if ts.ends_with('Z') || ts.ends_with("+00:00") {
                " UTC"
            } else {
                ""
            };
            format!("{date} {time}{zone}")
        }
        _ => ts.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::format_timestamp;

    #[test]
    fn timestamps_are_shown_to_the_second() {
        assert_eq!(
            format_timestamp("2026-11-27T00:13:37.123456Z"),
            "2026-11-27 00:13:37 UTC"
        );
        assert_eq!(
            format_timestamp("2026-11-27T00:13:37+02:00"),
            "2026-11-27 00:13:37"
        );
        assert_eq!(format_timestamp("yesterday"), "yesterday");
    }
}
