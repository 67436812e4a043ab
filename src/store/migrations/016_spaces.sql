-- 016_spaces: named conversation contexts (src/kernel/spaces.h).  A
-- space has its conversation (the session new runs in it continue);
-- a session keeps the space it was given; the conversation buffer
-- keeps the summary of a session's older turns.
CREATE TABLE spaces (
	id TEXT PRIMARY KEY,		-- UUID
	name TEXT NOT NULL UNIQUE COLLATE NOCASE,
	emoji TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	paths TEXT NOT NULL DEFAULT '[]',	-- JSON array: globs or prefixes
	tags TEXT NOT NULL DEFAULT '[]',	-- JSON array of words
	session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

ALTER TABLE sessions ADD COLUMN space_id TEXT
	REFERENCES spaces (id) ON DELETE SET NULL;
-- The conversation buffer: the summary of the first summary_upto
-- messages of the session.
ALTER TABLE sessions ADD COLUMN summary TEXT;
ALTER TABLE sessions ADD COLUMN summary_upto INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_space ON sessions (space_id);
-- The knowledge bridge: the messages of the session its facts were
-- extracted from.
ALTER TABLE sessions ADD COLUMN bridge_upto INTEGER NOT NULL DEFAULT 0;
