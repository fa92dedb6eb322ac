//! Components shared by the pages.

pub mod animation;
pub mod annotations;
pub mod canvas;
pub mod export;
pub mod overlay;
pub mod plot;
pub mod result_card;
pub mod status;
pub mod stepper;
pub mod thumbnail;
pub mod timeline;
