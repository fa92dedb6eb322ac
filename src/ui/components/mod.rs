//! Components shared by the pages.

pub mod result_card;
pub mod solution1d;
pub mod status;
