-- 015_personas: personas (src/kernel/personas.c).  The shipped ones
-- (Dev, Review, Research) live in the code; a row here is a custom
-- persona or the edits of a shipped one (same id).  The id is the name
-- in lower case.  tools is a JSON array (NULL: every tool), traits a
-- JSON array of strings; template the capability template of the
-- persona's runs whose agent profile has no permissions of its own
-- (NULL: security.default_template).
CREATE TABLE personas (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	role TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	prompt TEXT NOT NULL,
	model TEXT,
	tools TEXT,
	traits TEXT NOT NULL DEFAULT '[]',
	template TEXT,
	updated_at INTEGER NOT NULL,
	updated_by TEXT NOT NULL
);

-- Which persona is the default (one row, key 'default'; none: Dev).
CREATE TABLE persona_settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- The session's active persona (its name; NULL: none chosen yet).
ALTER TABLE sessions ADD COLUMN persona TEXT;
