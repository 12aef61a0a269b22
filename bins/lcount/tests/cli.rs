//! lcount's command-line contract (shared by every tool: bins/cli_contract.rs).

const BIN: &str = env!("CARGO_BIN_EXE_lcount");
const NAME: &str = "lcount";

include!("../../cli_contract.rs");
