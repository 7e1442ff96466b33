//! The Store trait and its SQLite and PostgreSQL implementations. All SQL lives here.
