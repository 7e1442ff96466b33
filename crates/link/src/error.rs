//! Errors the engine reports: each names the file, line and column (or the setting) that caused it.

use std::path::PathBuf;

/// Where in an input file a problem was found. Lines count from 1 and include the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: u64,
    /// Column name from the header, when the problem is in one field.
    pub column: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, line {}", self.file.display(), self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", column {c:?}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in a linkage run. Messages are written for the analyst running it.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: the file is empty (no header row)")]
    EmptyFile(PathBuf),
    #[error("{0}: the file has a header row but no records")]
    NoRecords(PathBuf),
    #[error("{at}: the row has {found} fields but the header has {expected}")]
    Ragged {
        at: Location,
        expected: u64,
        found: u64,
    },
    #[error("{at}: the text is not valid UTF-8 (save the file as UTF-8)")]
    NotUtf8 { at: Location },
    #[error("{at}: malformed CSV: {message}")]
    Csv { at: Location, message: String },
    #[error(
        "{file}: the column {column:?} set for {field} is not in the header (the header has: {header})"
    )]
    MissingColumn {
        file: PathBuf,
        field: String,
        column: String,
        header: String,
    },
    #[error(
        "{file}: no columns to link on were recognised (the header has: {header}); name them in a --config file"
    )]
    NoLinkColumns { file: PathBuf, header: String },
    #[error(
        "{file}: the header names the column {column:?} twice (columns {first} and {second}); rename or remove one, since which is meant would be a guess"
    )]
    DuplicateColumn {
        file: PathBuf,
        column: String,
        first: usize,
        second: usize,
    },
    #[error(
        "{at}: the record id {id:?} is already used at {first}; record ids must be unique across the inputs"
    )]
    DuplicateId {
        at: Box<Location>,
        id: String,
        first: Box<Location>,
    },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("invalid setting: {0}")]
    Setting(String),
    #[error("{path}: the key file must hold at least 32 bytes of secret; it holds {len}")]
    KeyLength { path: PathBuf, len: usize },
    #[error("{path}: {message}")]
    Model { path: PathBuf, message: String },
    #[error("{0}")]
    Input(String),
}

impl LinkError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Result alias for the engine.
pub type Result<T, E = LinkError> = std::result::Result<T, E>;
