//! A run's status as a coloured badge, and a running computation's progress as a bar with the time left.

use leptos::prelude::*;

use crate::model::{Progress, RunStatus};

#[component]
pub fn StatusBadge(status: Option<RunStatus>) -> impl IntoView {
    let text = status.map_or("unreadable", RunStatus::as_str);
    view! { <span class=format!("status status-{text}")>{text}</span> }
}

/// How far along a running computation is (its writer's `set_progress`): a bar, the percentage and the time left
/// at the rate so far; the message in the tooltip.
#[component]
pub fn ProgressBar(progress: Progress, started: String) -> impl IntoView {
    let percent = (progress.fraction * 100.0).clamp(0.0, 100.0);
    let left = progress
        .seconds_left(&started)
        .filter(|_| progress.fraction < 1.0)
        .map(|s| format!(" · {} left", duration(s)))
        .unwrap_or_default();
    let text = format!("{percent:.0}%{left}");
    let title = if progress.message.is_empty() {
        text.clone()
    } else {
        format!("{text}: {}", progress.message)
    };
    view! {
        <div class="progress" data-testid="progress" data-fraction=progress.fraction.to_string() title=title>
            <div class="progress-bar">
                <span style=format!("width: {percent:.1}%")></span>
            </div>
            <span class="progress-text">{text}</span>
        </div>
    }
}

/// A duration for people: `42 s`, `3 min`, `1 h 20 min`, `2 d 3 h`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", (s + 30) / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(0.4), "0 s");
        assert_eq!(duration(42.0), "42 s");
        assert_eq!(duration(185.0), "3 min");
        assert_eq!(duration(4_800.0), "1 h 20 min");
        assert_eq!(duration(2.0 * 86_400.0 + 3.0 * 3600.0), "2 d 3 h");
        assert_eq!(duration(-5.0), "0 s");
    }
}
