//! renkei-directory's integration tests, in one binary: one link step and
//! one throw-away PostgreSQL cluster (with its migrated template) for all of
//! them, instead of one per file. A new file here is a new `mod` line.
//!
//! `import_care_offices` installs a counting global allocator for the whole
//! binary; it counts per thread, so the other tests are not measured by it
//! and only pay a thread-local addition per allocation.

// Tests are the edge: they read the clock to set their scenes
// (clippy.toml forbids reading it in the capabilities' own code).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod export;
mod import_care_offices;
mod import_medical;
mod live_index;
mod same_facility;
mod support;
mod upkeep;
