//! Record linkage engine: standardise, block, compare, Fellegi-Sunter, cluster, privacy-preserving Bloom filter encodings.
//! Pure Rust + rayon; no database, no HTTP.

pub mod cli;
pub mod synth;
