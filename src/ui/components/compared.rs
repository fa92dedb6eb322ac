//! Several runs' results fetched for one figure of the compare page (`overlay`, `fields`, `timeline`): every
//! run's view reduced to the canvas, all requests in flight at once, again when the canvas's width or what is
//! asked for changes. Browser only.

use leptos::prelude::*;

use crate::model::ResultId;
use crate::plots::chart::Display;
use crate::plots::view::PlotData;
use crate::ui::components::canvas::CanvasSize;

/// Each run's view (`None` for a run without the result), once all have arrived.
pub type Views = Vec<Option<Result<PlotData, String>>>;

/// What every run's view is asked for, besides its width.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ask {
    /// The x range shown (a zoom), for every run.
    pub view: Option<(f64, f64)>,
    /// By run, an ensemble's histogram time index (a column of its reduced view); empty for the default.
    pub times: Vec<Option<usize>>,
}

/// Fetches every run's view reduced to `divide`-th of the canvas's width, all at once, again when the width
/// changes (in steps, so that a small resize does not re-fetch) or when `ask` does.
pub fn fetch_all(
    results: Vec<Option<ResultId>>,
    size: ReadSignal<Option<CanvasSize>>,
    divide: impl Fn() -> u32 + 'static,
    ask: impl Fn() -> Ask + 'static,
) -> LocalResource<Option<Views>> {
    let columns = RwSignal::new(None::<u32>);
    Effect::new(move |_| {
        let wanted = size
            .get()
            .map(|s| (s.buffer().0 / divide().max(1)).div_ceil(128) * 128);
        if wanted != columns.get_untracked() {
            columns.set(wanted);
        }
    });
    LocalResource::new(move || {
        let (columns, ask) = (columns.get(), ask());
        let results = results.clone();
        async move {
            let c = columns?;
            let each = results.into_iter().enumerate().map(|(i, r)| {
                let (view, time) = (ask.view, ask.times.get(i).copied().flatten());
                async move {
                    let id = r?;
                    Some(
                        crate::ui::server_fns::result_view(id.to_string(), c, view, None, time)
                            .await
                            .map_err(|e| e.to_string()),
                    )
                }
            });
            Some(futures::future::join_all(each).await)
        }
    })
}

/// Each run's view as `T`, with the first run's display; the first error otherwise.
pub fn parse<T>(
    views: &Views,
    of: impl Fn(&PlotData) -> Result<T, String>,
) -> Result<(Vec<Option<T>>, Display), String> {
    let mut display = None;
    let mut out = Vec::with_capacity(views.len());
    for view in views {
        out.push(match view {
            None => None,
            Some(view) => {
                let view = view.as_ref().map_err(Clone::clone)?;
                display.get_or_insert_with(|| Display::from_json(&view.payload.display_json));
                Some(of(view)?)
            }
        });
    }
    Ok((out, display.unwrap_or_default()))
}
