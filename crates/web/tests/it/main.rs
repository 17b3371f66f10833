//! The assembled application over HTTP, on both databases: one test binary
//! for the web crate (one link step instead of four).

mod support;

mod authz_matrix;
mod care_web;
mod directory_search;
mod web_behaviour;
