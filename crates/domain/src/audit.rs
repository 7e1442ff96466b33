//! Audit events and the hash chain that makes tampering evident.
//!
//! Each stored event carries SHA-256 over the previous event's hash and its own canonical content.
//! Changing, removing or reordering any row breaks every later link, which `verify_chain` reports.

pub mod actions;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash that precedes the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Whether the operation was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Allowed,
    Denied,
}

impl AuditOutcome {
    pub fn code(self) -> &'static str {
        match self {
            AuditOutcome::Allowed => "allowed",
            AuditOutcome::Denied => "denied",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "allowed" => Some(Self::Allowed),
            "denied" => Some(Self::Denied),
            _ => None,
        }
    }
}

/// An event before it is chained: who did what to which record, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDraft {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub user_id: Option<i64>,
    /// The username, or "system" for jobs and migrations.
    pub username: String,
    /// The role the user acted in.
    pub role: Option<String>,
    pub org_id: Option<i64>,
    /// A stable action code such as "person.view" or "user.sign_in".
    pub action: String,
    pub outcome: AuditOutcome,
    pub person_id: Option<i64>,
    pub resource_kind: String,
    pub resource_id: Option<String>,
    /// The reason given (mandatory for break-glass) or the denial reason.
    pub reason: Option<String>,
    pub legal_basis: Option<String>,
    pub break_glass: bool,
    pub request_id: Option<String>,
}

/// A stored event: the draft plus its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub seq: i64,
    #[serde(flatten)]
    pub draft: AuditDraft,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditDraft {
    /// Canonical content: JSON of the fields in a fixed order, with the sequence number.
    /// Field order is fixed by the struct definition, and serde_json escapes every string the same way each time.
    pub fn canonical(&self, seq: i64) -> String {
        let value = serde_json::json!([
            seq,
            self.at,
            self.user_id,
            self.username,
            self.role,
            self.org_id,
            self.action,
            self.outcome.code(),
            self.person_id,
            self.resource_kind,
            self.resource_id,
            self.reason,
            self.legal_basis,
            self.break_glass,
            self.request_id,
        ]);
        value.to_string()
    }

    /// SHA-256 over the previous hash and this event's canonical content, as lower-case hex.
    pub fn chain_hash(&self, seq: i64, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        h.update(prev_hash.as_bytes());
        h.update(b"\n");
        h.update(self.canonical(seq).as_bytes());
        hex::encode(h.finalize())
    }
}

/// Where and why a chain fails verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit event {seq}: its recorded previous hash does not match event {prev_seq}'s hash")]
    BrokenLink { seq: i64, prev_seq: i64 },
    #[error("audit event {seq}: its content does not match its hash (the row was altered)")]
    AlteredRow { seq: i64 },
    #[error(
        "audit event {seq}: expected sequence number {expected} (a row is missing or out of order)"
    )]
    Gap { seq: i64, expected: i64 },
}

/// Incremental verifier: feed events in sequence order.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev_hash: String,
    prev_seq: i64,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            prev_hash: GENESIS_HASH.to_string(),
            prev_seq: 0,
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next event; the first error is the first broken link.
    pub fn push(&mut self, ev: &AuditEvent) -> Result<(), ChainError> {
        if ev.seq != self.prev_seq + 1 {
            return Err(ChainError::Gap {
                seq: ev.seq,
                expected: self.prev_seq + 1,
            });
        }
        if ev.prev_hash != self.prev_hash {
            return Err(ChainError::BrokenLink {
                seq: ev.seq,
                prev_seq: self.prev_seq,
            });
        }
        if ev.draft.chain_hash(ev.seq, &ev.prev_hash) != ev.hash {
            return Err(ChainError::AlteredRow { seq: ev.seq });
        }
        self.prev_hash.clone_from(&ev.hash);
        self.prev_seq = ev.seq;
        self.checked += 1;
        Ok(())
    }

    /// How many events verified so far.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The hash of the last verified event (compare with the stored chain head).
    pub fn head(&self) -> (i64, &str) {
        (self.prev_seq, &self.prev_hash)
    }
}

/// A copy of the chain head kept outside the database (`concordat audit anchor`).
///
/// The chain alone cannot show that its newest events were deleted and the stored head moved back:
/// what is left is still a valid chain. An anchor the operator keeps elsewhere (another machine,
/// write-once storage, a ticket) records that event `seq` existed with hash `hash`; `audit verify
/// --anchor` then checks the chain still reaches it with the same hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

/// The first word of every anchor line, so a stray file is not mistaken for anchors.
pub const ANCHOR_TAG: &str = "concordat-audit-anchor";

/// Why an anchor line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct AnchorParseError {
    pub line: usize,
    pub message: String,
}

impl Anchor {
    /// One line for the anchor file: `concordat-audit-anchor seq=N hash=HEX at=WHEN`.
    pub fn to_line(&self, at: &str) -> String {
        format!("{ANCHOR_TAG} seq={} hash={} at={at}", self.seq, self.hash)
    }

    /// Reads every anchor in a file's text; blank lines and lines starting with `#` are skipped.
    pub fn parse_all(text: &str) -> Result<Vec<Anchor>, AnchorParseError> {
        let mut out = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: &str| AnchorParseError {
                line: i + 1,
                message: message.to_string(),
            };
            let mut words = line.split_whitespace();
            if words.next() != Some(ANCHOR_TAG) {
                return Err(err(&format!("expected a line starting with {ANCHOR_TAG}")));
            }
            let (mut seq, mut hash) = (None, None);
            for w in words {
                match w.split_once('=') {
                    Some(("seq", v)) => seq = v.parse::<i64>().ok().filter(|n| *n >= 0),
                    Some(("hash", v))
                        if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) =>
                    {
                        hash = Some(v.to_ascii_lowercase());
                    }
                    _ => {}
                }
            }
            match (seq, hash) {
                (Some(seq), Some(hash)) => out.push(Anchor { seq, hash }),
                _ => {
                    return Err(err(
                        "expected seq=<number> and hash=<64 hexadecimal digits>",
                    ));
                }
            }
        }
        if out.is_empty() {
            return Err(AnchorParseError {
                line: 0,
                message: "the file holds no anchors".into(),
            });
        }
        Ok(out)
    }
}

/// An anchor the chain no longer reaches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    #[error(
        "the anchor records audit event {seq}, but the chain ends at event {chain_ends} (events were removed from the end)"
    )]
    Missing { seq: i64, chain_ends: i64 },
    #[error(
        "audit event {seq} no longer has the hash the anchor recorded (the chain was rewritten)"
    )]
    Differs { seq: i64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(action: &str) -> AuditDraft {
        AuditDraft {
            at: 1_700_000_000_000,
            user_id: Some(1),
            username: "nurse".into(),
            role: Some("triage_clinician".into()),
            org_id: Some(2),
            action: action.into(),
            outcome: AuditOutcome::Allowed,
            person_id: Some(3),
            resource_kind: "person".into(),
            resource_id: Some("3".into()),
            reason: None,
            legal_basis: Some("direct_care".into()),
            break_glass: false,
            request_id: Some("r1".into()),
        }
    }

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let d = draft(&format!("person.view.{seq}"));
                let hash = d.chain_hash(seq, &prev);
                let ev = AuditEvent {
                    seq,
                    draft: d,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                ev
            })
            .collect()
    }

    fn verify(events: &[AuditEvent]) -> Result<u64, ChainError> {
        let mut v = ChainVerifier::default();
        for e in events {
            v.push(e)?;
        }
        Ok(v.checked())
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn altered_content_is_caught() {
        let mut c = chain(5);
        c[2].draft.username = "someone else".into();
        assert_eq!(verify(&c), Err(ChainError::AlteredRow { seq: 3 }));
    }

    #[test]
    fn rehashed_row_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].draft.break_glass = true;
        c[2].hash = c[2].draft.chain_hash(3, &c[2].prev_hash);
        assert_eq!(
            verify(&c),
            Err(ChainError::BrokenLink {
                seq: 4,
                prev_seq: 3
            })
        );
    }

    #[test]
    fn deleted_row_is_caught() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify(&c),
            Err(ChainError::Gap {
                seq: 3,
                expected: 2
            })
        );
    }

    #[test]
    fn canonical_form_escapes_separators() {
        let mut a = draft("x");
        a.reason = Some("a\",\"b".into());
        let mut b = draft("x");
        b.reason = Some("a".into());
        b.legal_basis = Some("b".into());
        assert_ne!(a.canonical(1), b.canonical(1));
    }

    #[test]
    fn anchor_lines_round_trip_and_bad_lines_name_the_line() {
        let a = Anchor {
            seq: 42,
            hash: "ab".repeat(32),
        };
        let text = format!(
            "# kept by the operator\n\n{}\n",
            a.to_line("2026-12-07T17:00:00Z")
        );
        assert_eq!(Anchor::parse_all(&text), Ok(vec![a]));
        let e = Anchor::parse_all("concordat-audit-anchor seq=1 hash=zz").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(Anchor::parse_all("hello").is_err());
        assert!(Anchor::parse_all("# nothing\n").is_err());
    }
}
