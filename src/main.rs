#![forbid(unsafe_code)]
fn main() -> std::process::ExitCode {
    cabin::cli::main()
}
