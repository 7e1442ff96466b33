-- Crisis contacts that partners can find, and places of safety that tell the truth (SQLite).

-- The organisations that joined a contact as partners (a paramedic arriving after the police). The owner is
-- not listed here: it is `crisis_contacts.owner_org_id`.
CREATE TABLE crisis_contact_partners (
    contact_id INTEGER NOT NULL REFERENCES crisis_contacts(id),
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    joined_by INTEGER REFERENCES users(id),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (contact_id, org_id)
);
CREATE INDEX crisis_contact_partners_org ON crisis_contact_partners(org_id);

-- A phone number to ring ahead, and who last changed a place's availability (a detention arriving,
-- moving on or ending there) and when.
ALTER TABLE places_of_safety ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE places_of_safety ADD COLUMN availability_updated_at INTEGER;
ALTER TABLE places_of_safety ADD COLUMN availability_updated_by INTEGER REFERENCES users(id);
ALTER TABLE places_of_safety ADD COLUMN availability_updated_org INTEGER REFERENCES organisations(id);
