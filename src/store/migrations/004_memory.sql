-- 004_memory: what agents remember (src/memory/memory.h), its keyword
-- index, the statistics of the TF-IDF embedder, dream reports and the
-- reasoning bank.

CREATE TABLE memories (
	id INTEGER PRIMARY KEY,
	content TEXT NOT NULL,
	type TEXT NOT NULL,		-- user_profile preference decision ...
	tier TEXT NOT NULL DEFAULT 'warm',	-- hot warm cold
	importance REAL NOT NULL,	-- 0..1
	protection INTEGER NOT NULL DEFAULT 0,	-- 0 none .. 4 permanent
	access_count INTEGER NOT NULL DEFAULT 0,
	last_access_ms INTEGER NOT NULL,	-- wall clock
	created_ms INTEGER NOT NULL,
	session_id TEXT,
	agent_id TEXT,
	space TEXT,
	tags TEXT NOT NULL DEFAULT '[]',	-- JSON array of strings
	embedder TEXT NOT NULL,		-- "tfidf:256", "api:model:dim"
	embedding BLOB,			-- dim little-endian floats
	sources TEXT NOT NULL DEFAULT '[]'	-- ids merged into this one
);
CREATE INDEX memories_tier ON memories (tier);
CREATE INDEX memories_created ON memories (created_ms);

-- Provenance of merged memories: the merged content, kept.
CREATE TABLE memory_merged (
	id INTEGER PRIMARY KEY,		-- the merged memory's old id
	into_id INTEGER NOT NULL,	-- the memory it was merged into
	content TEXT NOT NULL,
	type TEXT NOT NULL,
	created_ms INTEGER NOT NULL,
	merged_ms INTEGER NOT NULL,
	similarity REAL NOT NULL
);

CREATE VIRTUAL TABLE memories_fts USING fts5(
	content, tags, content='memories', content_rowid='id');
CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
	INSERT INTO memories_fts (rowid, content, tags)
	VALUES (new.id, new.content, new.tags);
END;
CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
	INSERT INTO memories_fts (memories_fts, rowid, content, tags)
	VALUES ('delete', old.id, old.content, old.tags);
END;
CREATE TRIGGER memories_au AFTER UPDATE OF content, tags ON memories BEGIN
	INSERT INTO memories_fts (memories_fts, rowid, content, tags)
	VALUES ('delete', old.id, old.content, old.tags);
	INSERT INTO memories_fts (rowid, content, tags)
	VALUES (new.id, new.content, new.tags);
END;

-- Document frequencies for the TF-IDF embedder.
CREATE TABLE memory_terms (
	term TEXT PRIMARY KEY,
	df INTEGER NOT NULL
) WITHOUT ROWID;

-- Counters: 'docs' (documents in the IDF), 'generation' (bumped by every
-- change of the vectors, to tell a stale index file).
CREATE TABLE memory_meta (
	key TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO memory_meta VALUES ('docs', 0), ('generation', 0);

CREATE TABLE memory_dreams (
	id INTEGER PRIMARY KEY,
	started_at TEXT NOT NULL,
	duration_ms INTEGER NOT NULL,
	reason TEXT NOT NULL,
	report TEXT NOT NULL		-- JSON
);

CREATE TABLE reasoning (
	id INTEGER PRIMARY KEY,
	task TEXT NOT NULL,
	steps TEXT NOT NULL,		-- JSON array
	outcome TEXT NOT NULL,
	created_ms INTEGER NOT NULL,
	embedding BLOB
);
