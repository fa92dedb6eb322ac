//! The pages, one module per route.

pub mod compare;
pub mod converge;
pub mod run;
pub mod runs;
pub mod sweep;
