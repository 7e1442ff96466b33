-- The alliance's members: organisations of every size (an org-id identifier each) and individuals,
-- experts by experience among them, each with the profile they chose to show and to whom.

CREATE TABLE alliance_members (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    org_identifier TEXT UNIQUE,
    org_size TEXT,
    user_id INTEGER UNIQUE REFERENCES users(id),
    invitation_id INTEGER UNIQUE REFERENCES invitations(id),
    expert_by_experience INTEGER NOT NULL DEFAULT 0,
    joined_on TEXT NOT NULL,
    contact_name TEXT,
    contact_email TEXT,
    contact_phone TEXT,
    offers TEXT,
    communities TEXT,
    lived_experience TEXT,
    contact_visibility TEXT NOT NULL DEFAULT 'coordinators',
    about_visibility TEXT NOT NULL DEFAULT 'alliance',
    lived_experience_visibility TEXT NOT NULL DEFAULT 'only_me',
    created_at INTEGER NOT NULL
);
