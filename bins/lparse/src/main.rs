fn main() -> std::process::ExitCode {
    logkit_common::cli::run("lparse", lparse::run)
}
