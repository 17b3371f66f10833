//! The `renkei` binary's integration tests, in one test binary: one link
//! step and one throw-away PostgreSQL cluster for all of them, instead of
//! one per file. `support` runs the real `renkei` executable, which Cargo
//! builds for integration tests and names in `CARGO_BIN_EXE_renkei`.

// Tests are the edge: they read the clock to set their scenes
// (clippy.toml forbids reading it in the capabilities' own code).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod support;

mod cli;
mod durability;
mod two_processes;
