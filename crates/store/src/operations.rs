//! Crisis contacts in full, s136/s135 episodes and places of safety (queries on [`crate::Tx`]).

#[allow(unused_imports)]
use crate::Tx;
