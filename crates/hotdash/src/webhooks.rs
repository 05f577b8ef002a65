//! The inbound webhook pipeline: [`verify`] each source's signature over the raw bytes,
//! [`ingest`] the delivery durably (group commit) before answering, then [`process`] it from
//! the job queue into typed tables via [`payload`], which turns vendor JSON into effects.

pub mod ingest;
pub mod payload;
pub mod process;
pub mod rejection;
pub mod source;
pub mod verify;

pub use source::Source;
