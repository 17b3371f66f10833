//! The assembled application over HTTP, on both databases: one test binary
//! for the web crate (one link step instead of four).

// Tests are the edge: they read the clock to set their scenes
// (clippy.toml forbids reading it in the capabilities' own code).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod support;

mod authz_matrix;
mod care_web;
mod directory_search;
mod web_behaviour;
