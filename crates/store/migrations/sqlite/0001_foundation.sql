-- Foundation schema (SQLite). Times are INTEGER milliseconds since the Unix epoch (UTC) in both backends,
-- so ordering and range queries behave identically.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    ods_code TEXT,
    org_identifier TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    totp_enabled INTEGER NOT NULL DEFAULT 0,
    recovery_codes TEXT NOT NULL DEFAULT '',
    mfa_demo_exempt INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    role TEXT NOT NULL,
    UNIQUE (user_id, org_id, role)
);

CREATE TABLE sharing_agreements (
    id INTEGER PRIMARY KEY,
    from_org_id INTEGER NOT NULL REFERENCES organisations(id),
    to_org_id INTEGER NOT NULL REFERENCES organisations(id),
    categories TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    review_date TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    owner_org_id INTEGER NOT NULL REFERENCES organisations(id),
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    date_of_birth TEXT,
    nhs_number TEXT,
    sex TEXT,
    postcode TEXT,
    address_line TEXT,
    phone TEXT,
    email TEXT,
    synthetic INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX people_nhs ON people(nhs_number);
CREATE INDEX people_name_dob ON people(family_name, date_of_birth);
CREATE INDEX people_postcode ON people(postcode);

CREATE TABLE care_team (
    person_id INTEGER NOT NULL REFERENCES people(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (person_id, user_id)
);

CREATE TABLE neighbourhoods (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    postcode_district TEXT NOT NULL,
    grid_x INTEGER NOT NULL,
    grid_y INTEGER NOT NULL,
    population INTEGER NOT NULL
);

CREATE TABLE crisis_contacts (
    id INTEGER PRIMARY KEY,
    owner_org_id INTEGER NOT NULL REFERENCES organisations(id),
    person_id INTEGER REFERENCES people(id),
    called_at INTEGER NOT NULL,
    arrived_at INTEGER,
    source TEXT NOT NULL,
    setting TEXT NOT NULL,
    postcode TEXT,
    neighbourhood TEXT REFERENCES neighbourhoods(code),
    grid_x REAL,
    grid_y REAL,
    outcome TEXT NOT NULL,
    street_triage INTEGER NOT NULL DEFAULT 0,
    police_minutes INTEGER,
    synthetic INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX crisis_contacts_called ON crisis_contacts(called_at);
CREATE INDEX crisis_contacts_person ON crisis_contacts(person_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    membership_id INTEGER REFERENCES memberships(id),
    csrf_token TEXT NOT NULL,
    mfa_passed INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE sign_in_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start INTEGER NOT NULL
);

CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL,
    role TEXT,
    org_id INTEGER,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    person_id INTEGER,
    resource_kind TEXT NOT NULL,
    resource_id TEXT,
    reason TEXT,
    legal_basis TEXT,
    break_glass INTEGER NOT NULL DEFAULT 0,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_person ON audit_events(person_id, at);
CREATE INDEX audit_user ON audit_events(user_id, at);
CREATE INDEX audit_at ON audit_events(at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

-- One row: the head of the hash chain. Appending locks it, which serialises appends.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE break_glass_reviews (
    audit_seq INTEGER PRIMARY KEY REFERENCES audit_events(seq),
    reviewed_by INTEGER NOT NULL REFERENCES users(id),
    reviewed_at INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT ''
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
