//! A panic in the browser code leaves a hydrated page dead: no live updates, plots or buttons. Instead of dying
//! silently, the page says so at the top, with how to recover; the details still go to the console.

use std::panic::PanicHookInfo;

use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::Element;

/// Installs the panic hook: the console report of `console_error_panic_hook`, then the notice on the page.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show(info);
    }));
}

/// Puts the notice on the page (once). Built from DOM nodes with text content, so the message (which may hold
/// data) is never read as HTML; nothing here may panic again.
fn show(info: &PanicHookInfo) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id("asgard-panic").is_some() {
        return;
    }
    let Some(body) = document.body() else {
        return;
    };
    let element = |tag: &str, text: &str| {
        let e = document.create_element(tag).ok()?;
        e.set_text_content(Some(text));
        Some(e)
    };
    let append = |parent: &Element, child: Option<Element>| {
        let child: web_sys::Node = child?.into();
        parent.append_child(&child).ok()
    };
    let notice = (|| {
        let notice = document.create_element("div").ok()?;
        notice.set_id("asgard-panic");
        notice.set_class_name("panic");
        notice.set_attribute("role", "alert").ok()?;
        append(&notice, element("strong", "This page stopped working. "))?;
        append(
            &notice,
            element(
                "span",
                "An error in its browser code stopped live updates, plots and buttons. Nothing in the \
                 storage was changed. ",
            ),
        )?;
        let reload = element("a", "Reload the page")?;
        reload.set_attribute("href", &document.url().ok()?).ok()?;
        append(&notice, Some(reload))?;
        append(&notice, element("span", " to recover."))?;
        let details = element("details", "")?;
        append(&details, element("summary", "Details"))?;
        append(&details, element("pre", &info.to_string()))?;
        append(&notice, Some(details))?;
        Some(notice)
    })();
    if let Some(notice) = notice {
        let _ = body.append_child(&notice);
    }
}

/// Panics on purpose: the end-to-end tests call it to check what a panic shows. It can only stop the page of
/// the browser that calls it.
#[wasm_bindgen]
pub fn asgard_panic_for_test(message: String) {
    panic!("{message}");
}
