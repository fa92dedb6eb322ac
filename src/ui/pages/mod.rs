//! The pages, one module per route.

pub mod run;
pub mod runs;
