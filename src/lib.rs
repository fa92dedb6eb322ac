//! Asgard Monitor: a live web dashboard over a storage directory of simulation runs and results.
//!
//! One crate built two ways: with `ssr` it is the `asgard` server (storage, index, watcher, REST, SSE and
//! server-side rendering); with `hydrate` it is the WASM front end that hydrates the pages and draws plots.

pub mod error;
pub mod export;
pub mod model;
pub mod plots;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod append;
#[cfg(feature = "ssr")]
pub mod bench;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod compare;
#[cfg(feature = "ssr")]
pub mod dump;
#[cfg(feature = "ssr")]
pub mod example;
#[cfg(feature = "ssr")]
pub mod index;
#[cfg(feature = "ssr")]
pub mod query;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod storage;

/// The browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    ui::panic::install();
    leptos::mount::hydrate_body(ui::App);
}
