#![forbid(unsafe_code)]

/// mimalloc instead of glibc's allocator: the simulator's rounds and the cockpit's snapshots
/// free large numbers of short-lived JSON trees; glibc keeps the freed pages (a 10,000-pod
/// simulator held ~120 MB it no longer used), mimalloc hands them back to the OS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cabin::cli::main()
}
