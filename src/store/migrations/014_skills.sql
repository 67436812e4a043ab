-- 014_skills: the state of skills (docs/skills.md).  A skill without a
-- row is enabled; a row records the last enable or disable and the
-- content hash (BLAKE2b-256 of SKILL.md) at that time, so that a skill
-- changed since it was enabled is shown as changed.
CREATE TABLE skill_state (
	name TEXT PRIMARY KEY,
	enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
	hash TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	updated_by TEXT NOT NULL
);
