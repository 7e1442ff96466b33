-- The crisis line of each organisation: the number a responder calls when a person's crisis plan is
-- withheld from them, shown on the person's page with the reason (issue 12). Optional: not every
-- organisation runs a crisis line.

ALTER TABLE organisations ADD COLUMN crisis_line TEXT;
