//! renkei-emergency's integration tests, in one binary: one link step and
//! one throw-away PostgreSQL cluster for all of them.

// Tests are the edge: they read the clock to set their scenes
// (clippy.toml forbids reading it in the capabilities' own code).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod acp;
mod applications;
mod disaster;
mod records;
mod search;
mod support;
mod transport;
