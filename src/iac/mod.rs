//! (placeholder: owned by its module; see docs/architecture.md)
pub mod config;
