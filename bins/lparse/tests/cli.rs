//! lparse's command-line contract (shared by every tool: bins/cli_contract.rs).

const BIN: &str = env!("CARGO_BIN_EXE_lparse");
const NAME: &str = "lparse";

include!("../../cli_contract.rs");
