//! `renkei`: the one binary. The CLI is thin; everything it does is a call
//! into the capability crates.

// The edge: the CLI, the job loops and the benchmarks read the clock and
// pass the moment down to the services (clippy.toml forbids it below).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod bench;
mod bench_care;
mod bench_emergency;
mod cli;
mod config;
mod demo;
mod serve;

fn main() -> std::process::ExitCode {
    cli::main()
}
