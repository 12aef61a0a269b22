fn main() -> std::process::ExitCode {
    logkit_common::cli::run("ltail", ltail::run)
}
