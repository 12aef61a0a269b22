//! logfmt lines (`key=value key2="quoted value"`).
