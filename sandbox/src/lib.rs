//! Placeholder for the emulator.
#![deny(missing_docs)]
