//! Cross-crate tests live in tests/tests/ (fault, abuse, property and sandbox-effect matrices);
//! the release benchmark driver behind `cargo xtask bench` is the `bench` binary in src/bin/.
#![deny(missing_docs)]
