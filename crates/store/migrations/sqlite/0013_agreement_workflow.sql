-- Sharing agreements as a workflow (SQLite): drafted by one party, agreed once each party's signatory has
-- signed, in force between two dates, then ended (or withdrawn while still a draft). Rows from before
-- this migration were recorded at the command line and honoured at once: they become agreed, in force
-- from the day they were recorded, with agreed_how = 'recorded' (agreed outside Concordat).

ALTER TABLE sharing_agreements ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE sharing_agreements ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
ALTER TABLE sharing_agreements ADD COLUMN status TEXT NOT NULL DEFAULT 'agreed';
ALTER TABLE sharing_agreements ADD COLUMN agreed_how TEXT NOT NULL DEFAULT 'recorded';
ALTER TABLE sharing_agreements ADD COLUMN in_force_from TEXT NOT NULL DEFAULT '1970-01-01';
ALTER TABLE sharing_agreements ADD COLUMN in_force_until TEXT;
ALTER TABLE sharing_agreements ADD COLUMN drafted_by INTEGER REFERENCES users(id);
ALTER TABLE sharing_agreements ADD COLUMN ended_at INTEGER;
ALTER TABLE sharing_agreements ADD COLUMN ended_by INTEGER REFERENCES users(id);
ALTER TABLE sharing_agreements ADD COLUMN end_reason TEXT;

UPDATE sharing_agreements SET in_force_from = date(created_at / 1000, 'unixepoch');

CREATE INDEX sharing_agreements_to ON sharing_agreements(to_org_id, status);

-- One signature per party: the signatory's name and role as they were when they signed.
CREATE TABLE agreement_signatures (
    id INTEGER PRIMARY KEY,
    agreement_id INTEGER NOT NULL REFERENCES sharing_agreements(id),
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    user_id INTEGER REFERENCES users(id),
    signatory_name TEXT NOT NULL,
    signatory_role TEXT NOT NULL,
    position TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    UNIQUE (agreement_id, org_id)
);
