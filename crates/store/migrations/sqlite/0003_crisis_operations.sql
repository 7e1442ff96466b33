-- Crisis contacts in full, s136/s135 episodes and places of safety (filled by the crisis operations work).
SELECT 1;
