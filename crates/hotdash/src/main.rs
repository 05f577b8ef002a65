//! The `hotdash` binary: everything lives in the library; see `hotdash::cli`.

// The webhook path allocates a few KB per request across threads (body, headers, batch
// statements); glibc's malloc spent ~9% of the ingest CPU in a perf profile on it, mostly in
// consolidation. mimalloc's per-thread free lists cut that (docs/benchmarks.md has the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hotdash::cli::main()
}
