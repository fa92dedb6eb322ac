//! Components shared by the pages.

pub mod animation;
pub mod annotations;
pub mod canvas;
#[cfg(feature = "hydrate")]
mod compared;
pub mod export;
pub mod fields;
#[cfg(feature = "hydrate")]
pub mod growth;
pub mod histograms;
pub mod overlay;
pub mod plot;
pub mod result_card;
pub mod status;
pub mod stepper;
pub mod thumbnail;
pub mod timeline;

/// The CSS class of the `i`-th compared run's colour swatch (`style/main.css`: the plots' palette, in order, as
/// `plots::overlay::colour` draws it).
pub fn run_colour(i: usize) -> String {
    format!("run-colour c{}", i % 6)
}
