//! The `hotdash` binary: everything lives in the library; see `hotdash::cli`.

fn main() -> std::process::ExitCode {
    hotdash::cli::main()
}
