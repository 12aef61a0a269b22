//! ltail's command-line contract (shared by every tool: bins/cli_contract.rs).

const BIN: &str = env!("CARGO_BIN_EXE_ltail");
const NAME: &str = "ltail";

include!("../../cli_contract.rs");
