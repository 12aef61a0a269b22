fn main() -> std::process::ExitCode {
    logkit_common::cli::run("lgrep", lgrep::run)
}
