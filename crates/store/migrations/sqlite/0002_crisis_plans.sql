-- Crisis plans, sections, versions and consent (filled by the crisis plans work).
SELECT 1;
