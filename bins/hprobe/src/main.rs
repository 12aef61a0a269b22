fn main() -> std::process::ExitCode {
    logkit_common::cli::run("hprobe", hprobe::run)
}
