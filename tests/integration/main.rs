//! Integration tests: the storage through its public API, the HTTP API through the router, and live updates
//! through a real server, the watcher and writers in other processes.

mod api;
mod bad_input;
mod bucket;
mod cli;
mod compare;
mod converge;
mod download;
mod everyday;
mod examples;
mod explorer;
mod faults;
mod fuzz_corpus;
mod growing;
mod labels;
mod live;
mod query;
mod s3;
mod security;
mod snapshot;
mod stats;
mod storage;
mod support;
mod sweep;
