//! The conformance-vector runner of Fresnel: runs the consensus-specs phase 0 test vectors
//! (releases v0.12.3 and v1.0.1; see `tests/formats/**` of consensus-specs for the format) against
//! `types`, `bls`, `swap_or_not_shuffle` and `state_processing`.
//!
//! - [`discovery`] walks `<preset>/phase0/<runner>/<handler>/<suite>/<case>/` and reports every
//!   directory it does not recognise;
//! - [`cases`] has one module per runner;
//! - [`counts`] holds the expected number of cases per handler of the official trees;
//! - [`runner`] runs a tree in parallel and builds the report;
//! - [`self_test`] proves that corrupted expectations are noticed.

pub mod cases;
pub mod context;
pub mod counts;
pub mod diff;
pub mod discovery;
pub mod files;
pub mod runner;
pub mod self_test;
pub mod skips;

pub use context::{Preset, Suite};
pub use runner::{run, Options, Report, Status, Tally};
