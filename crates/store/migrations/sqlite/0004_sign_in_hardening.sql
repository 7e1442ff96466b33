-- Sign-in hardening: case-insensitive usernames, and the last TOTP time step accepted per user (RFC 6238 §5.2).

-- Usernames are ASCII (the app refuses anything else), so lower() is their folded form on both backends.
-- The migration runner refuses clearly, before this runs, when existing names differ only in case.
CREATE UNIQUE INDEX users_username_folded ON users (lower(username));

-- The newest 30-second TOTP step a code was accepted for: a code for that step or an earlier one is refused.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
