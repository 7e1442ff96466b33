-- Editing a person's identity keeps what it replaced: one row per save, holding the identity as it was
-- at `version` (given and family names, date of birth, NHS number, postcode), and who saved the change
-- that replaced it and when. Append-only; people.version is the current version.
CREATE TABLE person_versions (
    person_id INTEGER NOT NULL REFERENCES people(id),
    version INTEGER NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    date_of_birth TEXT,
    nhs_number TEXT,
    postcode TEXT,
    saved_by TEXT NOT NULL,
    saved_at INTEGER NOT NULL,
    PRIMARY KEY (person_id, version)
);
CREATE TRIGGER person_versions_no_update BEFORE UPDATE ON person_versions
BEGIN SELECT RAISE(ABORT, 'person_versions is append-only'); END;
