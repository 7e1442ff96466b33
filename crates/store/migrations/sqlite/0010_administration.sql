-- Administration in the browser (SQLite): organisations can be deactivated (never deleted once they hold
-- records) and carry a contact; invitations are single-use links stored only as SHA-256 hashes.

ALTER TABLE organisations ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE organisations ADD COLUMN contact_name TEXT;
ALTER TABLE organisations ADD COLUMN contact_email TEXT;
ALTER TABLE organisations ADD COLUMN contact_phone TEXT;

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    org_id INTEGER REFERENCES organisations(id),
    role TEXT,
    purpose TEXT NOT NULL DEFAULT 'staff',
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    used_by INTEGER REFERENCES users(id)
);
CREATE INDEX invitations_expires ON invitations(expires_at);
CREATE INDEX invitations_org ON invitations(org_id);
