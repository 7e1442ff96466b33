//! The store contract ("story") test: one sequence of operations, run against SQLite always and against
//! PostgreSQL when CONCORDAT_TEST_POSTGRES_URL is set.

mod story;
