//! `renkei`: the one binary. The CLI is thin; everything it does is a call
//! into the capability crates.

mod bench;
mod bench_care;
mod cli;
mod config;
mod demo;
mod serve;

fn main() -> std::process::ExitCode {
    cli::main()
}
