-- Crisis contacts in full (drafts, versions), places of safety, and s136/s135 episodes.

-- The foundation's contact row becomes the shared record that every responder on a response contributes to.
ALTER TABLE crisis_contacts ADD COLUMN status TEXT NOT NULL DEFAULT 'final';
ALTER TABLE crisis_contacts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE crisis_contacts ADD COLUMN response_type TEXT;
ALTER TABLE crisis_contacts ADD COLUMN agencies TEXT NOT NULL DEFAULT '';
ALTER TABLE crisis_contacts ADD COLUMN person_description TEXT;
ALTER TABLE crisis_contacts ADD COLUMN presenting_needs TEXT NOT NULL DEFAULT '';
ALTER TABLE crisis_contacts ADD COLUMN physical_health_check INTEGER NOT NULL DEFAULT 0;
ALTER TABLE crisis_contacts ADD COLUMN outcomes TEXT NOT NULL DEFAULT '';
ALTER TABLE crisis_contacts ADD COLUMN conveyance TEXT;
ALTER TABLE crisis_contacts ADD COLUMN conveyance_reason TEXT;
ALTER TABLE crisis_contacts ADD COLUMN updated_at INTEGER;
ALTER TABLE crisis_contacts ADD COLUMN updated_by TEXT;
CREATE INDEX crisis_contacts_status ON crisis_contacts(status, owner_org_id);

-- Every saved version of a contact, as JSON, so an edit never loses what was there before.
CREATE TABLE crisis_contact_versions (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES crisis_contacts(id),
    version INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at INTEGER NOT NULL,
    UNIQUE (contact_id, version)
);

CREATE TABLE places_of_safety (
    id INTEGER PRIMARY KEY,
    owner_org_id INTEGER NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    open_24_7 INTEGER NOT NULL DEFAULT 0,
    opening_hours TEXT NOT NULL DEFAULT '',
    accepts_under_18 INTEGER NOT NULL DEFAULT 0,
    address_line TEXT NOT NULL DEFAULT '',
    postcode TEXT,
    notes TEXT NOT NULL DEFAULT '',
    synthetic INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- One s136/s135 episode. `record` is the domain's mha::Episode as JSON (the facts as recorded);
-- the columns beside it are what lists, the board and occupancy filter on.
CREATE TABLE mha_episodes (
    id INTEGER PRIMARY KEY,
    owner_org_id INTEGER NOT NULL REFERENCES organisations(id),
    person_id INTEGER REFERENCES people(id),
    contact_id INTEGER REFERENCES crisis_contacts(id),
    power TEXT NOT NULL,
    detained_at INTEGER NOT NULL,
    officer TEXT NOT NULL DEFAULT '',
    is_open INTEGER NOT NULL,
    ended_at INTEGER,
    current_place_id INTEGER REFERENCES places_of_safety(id),
    sex TEXT NOT NULL DEFAULT 'not_known',
    ethnicity TEXT NOT NULL DEFAULT 'not_stated',
    record TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    synthetic INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX mha_episodes_open ON mha_episodes(is_open, current_place_id);
CREATE INDEX mha_episodes_detained ON mha_episodes(detained_at);
