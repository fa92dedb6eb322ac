//! Components shared by the pages.

pub mod animation;
pub mod plot;
pub mod result_card;
pub mod status;
