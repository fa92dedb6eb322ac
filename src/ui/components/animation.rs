//! The `PhysicsAnimation` player: play/pause, a frame scrubber, speed and loop, drawing each frame on a canvas.

use leptos::html::Canvas;
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
use browser::Pointer;
#[cfg(not(feature = "hydrate"))]
use inert::Pointer;

use crate::model::ResultId;
use crate::ui::components::canvas::use_canvas_size;
use crate::ui::components::export::{Downloads, ExportLinks};

#[component]
pub fn AnimationPlot(
    id: ResultId,
    downloads: Downloads,
    /// Whether the result grows: the player then takes new frames as they are written, and shows the newest
    /// while it is paused on the last one.
    #[prop(optional)]
    growing: bool,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let player = Player {
        frame: RwSignal::new(0),
        count: RwSignal::new(0),
        playing: RwSignal::new(false),
        speed: RwSignal::new(1.0),
        looping: RwSignal::new(true),
        drawn: RwSignal::new(false),
        error: RwSignal::new(None),
        readout: RwSignal::new(None),
    };
    let pointer = Pointer::start(id, growing, canvas, use_canvas_size(canvas), player);
    // The read-out names what lies under the pointer in the frame shown (it does not follow a playing frame).
    let on_move = move |event: leptos::ev::MouseEvent| {
        player
            .readout
            .set(pointer.readout(&event, player.frame.get_untracked()));
    };
    let Player {
        frame,
        count,
        playing,
        speed,
        looping,
        drawn,
        error,
        readout,
    } = player;

    view! {
        <div class="plot animation">
            <canvas
                node_ref=canvas
                width=800
                height=440
                data-drawn=move || drawn.get().to_string()
                data-frame=move || frame.get().to_string()
                data-frames=move || count.get().to_string()
                on:mousemove=on_move
                on:mouseleave=move |_| readout.set(None)
            ></canvas>
            <div class="controls">
                <PlayControls frame count playing label="Frame" />
                <label>
                    "Speed "
                    <select
                        class="speed"
                        on:change=move |ev| speed.set(event_target_value(&ev).parse().unwrap_or(1.0))
                    >
                        <option value="0.25">"¼×"</option>
                        <option value="0.5">"½×"</option>
                        <option value="1" selected>"1×"</option>
                        <option value="2">"2×"</option>
                        <option value="4">"4×"</option>
                    </select>
                </label>
                <label>
                    <input
                        type="checkbox"
                        class="loop"
                        prop:checked=move || looping.get()
                        on:change=move |ev| looping.set(event_target_checked(&ev))
                    />
                    " Loop"
                </label>
                <span class="muted">
                    {move || format!("frame {} of {}", frame.get() + 1, count.get())}
                </span>
            </div>
            <div class="readout" data-testid="readout">
                {move || readout.get().unwrap_or_default()}
            </div>
            <ExportLinks id canvas downloads />
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}

/// Play/pause and the scrubber over `count` frames: scrubbing pauses and shows the frame chosen. Shared by the
/// player and the compare page's timeline.
#[component]
pub fn PlayControls(
    frame: RwSignal<usize>,
    count: RwSignal<usize>,
    playing: RwSignal<bool>,
    /// What the scrubber moves through, for assistive technology: `Frame`, `Time`.
    label: &'static str,
) -> impl IntoView {
    view! {
        <button class="play" on:click=move |_| playing.update(|p| *p = !*p)>
            {move || if playing.get() { "Pause" } else { "Play" }}
        </button>
        <input
            type="range"
            class="scrubber"
            aria-label=label
            min="0"
            max=move || count.get().saturating_sub(1).to_string()
            prop:value=move || frame.get().to_string()
            on:input=move |ev| {
                if let Ok(f) = event_target_value(&ev).parse() {
                    playing.set(false);
                    frame.set(f);
                }
            }
        />
    }
}

/// The player's state, shared by the controls and the browser loop.
#[derive(Clone, Copy)]
struct Player {
    frame: RwSignal<usize>,
    count: RwSignal<usize>,
    playing: RwSignal<bool>,
    speed: RwSignal<f64>,
    looping: RwSignal<bool>,
    drawn: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    readout: RwSignal<Option<String>>,
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;
    use std::time::Duration;

    use leptos::html::Canvas;
    use leptos::prelude::*;

    use super::Player;
    use crate::model::ResultId;
    use crate::plots::animation::{draw_frame, Animation};
    use crate::plots::chart::{Display, Frame2D};
    use crate::ui::components::canvas::{drawing_area, CanvasSize};

    /// The animation drawn last and where its axes lay, for the read-out.
    #[derive(Clone, Copy)]
    pub struct Pointer {
        shown: RwSignal<Option<(Arc<Animation>, Frame2D)>>,
    }

    impl Pointer {
        pub fn readout(&self, event: &web_sys::MouseEvent, frame: usize) -> Option<String> {
            let (animation, axes) = self.shown.get_untracked()?;
            let (x, y) = axes.data_xy(event.offset_x(), event.offset_y())?;
            animation.readout(frame, x, y)
        }

        /// Fetches the frames (reduced to the canvas on the server; a growing result's new frames as they are
        /// written, `growth`), then draws the frame the player shows.
        pub fn start(
            id: ResultId,
            growing: bool,
            canvas: NodeRef<Canvas>,
            size: ReadSignal<Option<CanvasSize>>,
            player: Player,
        ) -> Pointer {
            let pointer = Pointer {
                shown: RwSignal::new(None),
            };
            // Frames larger than the canvas come reduced to one cell per block; a resize by a step re-fetches.
            let columns = RwSignal::new(None::<u32>);
            Effect::new(move |_| {
                let wanted = size.get().map(|s| s.buffer().0.div_ceil(256) * 256);
                if wanted != columns.get_untracked() {
                    columns.set(wanted);
                }
            });
            let inputs = crate::ui::components::growth::FeedInputs {
                columns,
                view: RwSignal::new(None),
                y_view: RwSignal::new(None),
                follow: RwSignal::new(false),
                time: Signal::derive(|| None),
            };
            let data = crate::ui::components::growth::feed(id, growing, inputs).data;
            let loaded: RwSignal<Option<(Arc<Animation>, Arc<Display>)>> = RwSignal::new(None);
            let ticking = StoredValue::new(false);

            Effect::new(move |_| {
                let parsed = data.with(|d| match d {
                    None => None,
                    Some(Err(e)) => Some(Err(e.clone())),
                    Some(Ok(view)) => Some(
                        Animation::from_view(view)
                            .map(|a| (a, Display::from_json(&view.payload.display_json))),
                    ),
                });
                match parsed {
                    None => {}
                    Some(Ok((animation, display))) => {
                        // Paused on the last frame of a growing animation: stay on the last one as frames
                        // arrive.
                        let before = player.count.get_untracked();
                        let at_end = player.frame.get_untracked() + 1 >= before;
                        player.count.set(animation.count);
                        if growing && at_end && !player.playing.get_untracked() && before > 0 {
                            player.frame.set(animation.count.saturating_sub(1));
                        }
                        if !ticking.get_value() {
                            ticking.set_value(true);
                            tick_every(Duration::from_secs_f64(1.0 / animation.fps), player);
                        }
                        player.error.set(None);
                        loaded.set(Some((Arc::new(animation), Arc::new(display))));
                    }
                    // A growing animation opened before its first frame: only early.
                    Some(Err(_)) if growing && player.count.get_untracked() == 0 => {}
                    Some(Err(e)) => player.error.set(Some(e)),
                }
            });

            Effect::new(move |_| {
                let (Some(loaded), Some(element), Some(size), frame) =
                    (loaded.get(), canvas.get(), size.get(), player.frame.get())
                else {
                    return;
                };
                let (animation, display) = loaded;
                let drawn = drawing_area(element, size)
                    .and_then(|area| draw_frame(&area, &animation, frame, &display));
                match drawn {
                    Ok(axes) => {
                        pointer.shown.set(Some((animation, axes)));
                        player.drawn.set(true);
                    }
                    Err(e) => player.error.set(Some(e)),
                }
            });
            pointer
        }
    }

    /// Advances the frame while playing, `speed` frames per tick on average.
    fn tick_every(interval: Duration, player: Player) {
        let owed = std::cell::Cell::new(0.0);
        let handle = set_interval_with_handle(
            move || {
                if !player.playing.get_untracked() {
                    return;
                }
                let due = owed.get() + player.speed.get_untracked();
                let steps = due.floor();
                owed.set(due - steps);
                let (count, frame) = (player.count.get_untracked(), player.frame.get_untracked());
                let next = frame + steps as usize;
                if next < count {
                    player.frame.set(next);
                } else if player.looping.get_untracked() {
                    player.frame.set(next % count.max(1));
                } else {
                    player.frame.set(count.saturating_sub(1));
                    player.playing.set(false);
                }
            },
            interval,
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    }
}

/// On the server the player is only markup: nothing is fetched or drawn there, and no pointer event arrives.
#[cfg(not(feature = "hydrate"))]
mod inert {
    use leptos::ev::MouseEvent;
    use leptos::html::Canvas;
    use leptos::prelude::*;

    use super::Player;
    use crate::model::ResultId;
    use crate::ui::components::canvas::CanvasSize;

    #[derive(Clone, Copy)]
    pub struct Pointer;

    impl Pointer {
        pub fn start(
            _id: ResultId,
            _growing: bool,
            _canvas: NodeRef<Canvas>,
            _size: ReadSignal<Option<CanvasSize>>,
            _player: Player,
        ) -> Self {
            Self
        }

        pub fn readout(&self, _event: &MouseEvent, _frame: usize) -> Option<String> {
            None
        }
    }
}
