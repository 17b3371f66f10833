//! renkei-identity's integration tests, in one binary: one link step and one
//! throw-away PostgreSQL cluster (with its migrated template) for all of
//! them, instead of one per file. A new file here is a new `mod` line.

mod identity_flows;
