//! lgrep's command-line contract (shared by every tool: bins/cli_contract.rs).

const BIN: &str = env!("CARGO_BIN_EXE_lgrep");
const NAME: &str = "lgrep";

include!("../../cli_contract.rs");
