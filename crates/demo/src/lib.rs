//! Deterministic synthetic demo region: a fictional integrated care system with people, organisations and three years of crisis activity. Pure; no database.
