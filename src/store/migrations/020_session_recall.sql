-- 020_session_recall: what a conversation has recalled from memory
-- (src/memory/recall.h).  Recall runs at a session's start and again
-- when its topic shifts, once per topic per session.

-- The topics of a session: the nearest topics of its messages (`turn`:
-- the last of its messages that had topics, counted from 1, whose
-- nearest topics they were) and whether the session has recalled them.
CREATE TABLE session_recall_topics (
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	topic TEXT NOT NULL,
	turn INTEGER NOT NULL,
	recalled INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (session_id, topic)
) WITHOUT ROWID;

-- The memories a session recalled, in order (`seq` from 1): every run of
-- the session carries them, newest first within memory.recall_tokens.
CREATE TABLE session_recall_memories (
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	memory_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (session_id, memory_id)
) WITHOUT ROWID;
