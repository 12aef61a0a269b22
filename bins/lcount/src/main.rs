fn main() -> std::process::ExitCode {
    logkit_common::cli::run("lcount", lcount::run)
}
