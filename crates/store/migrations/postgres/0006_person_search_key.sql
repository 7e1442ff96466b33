-- People's family names as a search key: Unicode NFC and lower case, computed in Rust on every write
-- (SQLite's lower() folds ASCII only). The migration runner fills the key for existing rows in this
-- migration's transaction, and searches match on it.
ALTER TABLE people ADD COLUMN family_name_key TEXT;
CREATE INDEX people_name_key_dob ON people(family_name_key, date_of_birth);
