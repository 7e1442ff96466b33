-- Single sign-on (SQLite): identities at OpenID Connect providers linked to users, and sign-in flows in
-- progress. A link is made only by a user who is signed in already (never an account made from a
-- provider's claims); a flow is single use and short-lived, keyed by the SHA-256 of its state.

CREATE TABLE external_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    linked_at INTEGER NOT NULL,
    last_used_at INTEGER,
    PRIMARY KEY (provider, subject)
);
CREATE UNIQUE INDEX external_identities_user ON external_identities(user_id, provider);

CREATE TABLE oidc_flows (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    link_user_id INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX oidc_flows_expiry ON oidc_flows(expires_at);
