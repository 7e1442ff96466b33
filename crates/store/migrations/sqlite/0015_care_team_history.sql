-- Care teams with their history: a clinician's membership of a person's care team starts (when, by whom)
-- and ends (when, by whom, why); rows are never deleted, and only current rows (ended_at IS NULL) count.
-- Memberships recorded before this migration keep started_at 0 ("before history was kept").

CREATE TABLE care_team_history (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    started_at INTEGER NOT NULL,
    started_by INTEGER REFERENCES users(id),
    ended_at INTEGER,
    ended_by INTEGER REFERENCES users(id),
    ended_reason TEXT
);

INSERT INTO care_team_history (person_id, user_id, started_at)
    SELECT person_id, user_id, 0 FROM care_team;

DROP TABLE care_team;

ALTER TABLE care_team_history RENAME TO care_team;

-- One current membership per clinician and person; ended ones may repeat.
CREATE UNIQUE INDEX care_team_current ON care_team (person_id, user_id) WHERE ended_at IS NULL;
CREATE INDEX care_team_by_user ON care_team (user_id, person_id);
