//! renkei-store's integration tests, in one binary: one link step and one
//! throw-away PostgreSQL cluster (with its migrated template) for all of
//! them, instead of one per file. A new file here is a new `mod` line.

// Tests are the edge: they read the clock to set their scenes
// (clippy.toml forbids reading it in the capabilities' own code).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod audit_chain;
mod schema_parity;
mod sqlite_settings;
