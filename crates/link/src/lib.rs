//! Record linkage engine: standardise, block, compare, Fellegi-Sunter, cluster, privacy-preserving Bloom filter encodings.
//! Pure Rust + rayon; no database, no HTTP.
//!
//! The usual path:
//!
//! ```no_run
//! use concordat_link::{Dataset, LinkConfig, dedupe, evaluate};
//! # fn main() -> Result<(), concordat_link::LinkError> {
//! let mut cfg = LinkConfig::default();
//! cfg.columns.truth = Some("person_id".into());
//! let ds = Dataset::load(&["records.csv".into()], &cfg)?;
//! let result = dedupe(&ds, &cfg)?;
//! if let Some(truth) = ds.truth_labels() {
//!     let pred: Vec<u64> = result.clusters.labels.iter().map(|&l| u64::from(l)).collect();
//!     let e = evaluate(&pred, &truth);
//!     println!("cluster F1 {:.4}", e.cluster.f1);
//! }
//! # Ok(()) }
//! ```

pub mod block;
pub mod cli;
pub mod cluster;
pub mod compare;
pub mod config;
pub mod dataset;
pub mod error;
pub mod evaluate;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod privacy;
pub mod privacy_fs;
pub mod progress;
pub mod standardise;
pub mod synth;
pub mod synth_census;
pub mod util;

pub use block::{BlockingRule, RuleReport};
pub use cluster::ScoredPair;
pub use config::{ClusterMethod, ColumnMap, EncodeConfig, LinkConfig};
pub use dataset::{Dataset, Field, RawRecord};
pub use error::{LinkError, Result};
pub use evaluate::{Evaluation, Prf, evaluate, evaluate_pairs};
pub use model::Model;
pub use pipeline::{Clusters, LinkResult, Mode, Summary, dedupe, estimate_model, link_only, run};
