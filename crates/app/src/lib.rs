//! Concordat's use cases: every operation takes an Actor, checks the policy and writes its audit event in the same transaction.
