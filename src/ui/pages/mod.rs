//! The pages, one module per route.

pub mod compare;
pub mod run;
pub mod runs;
