//! Crisis plans, their sections and versions, and the person's consent to share (queries on [`crate::Tx`]).

#[allow(unused_imports)]
use crate::Tx;
