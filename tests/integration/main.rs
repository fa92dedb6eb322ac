//! Integration tests: the storage through its public API, the HTTP API through the router, and live updates
//! through a real server, the watcher and writers in other processes.

mod api;
mod cli;
mod examples;
mod live;
mod storage;
mod support;
