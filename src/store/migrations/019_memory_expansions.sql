-- 019_memory_expansions: query expansion's cache (src/memory/expand.c).
-- A search's short query, normalised (lower case, single spaces), and the
-- chat model that expanded it (engine.default_model) key the words the
-- model answered, space-separated; a repeated search asks nothing.  At
-- most 1000 rows, none older than 30 days (trimmed on every insert).
CREATE TABLE memory_expansions (
	id INTEGER PRIMARY KEY,
	query TEXT NOT NULL,
	model TEXT NOT NULL,
	terms TEXT NOT NULL,
	created_ms INTEGER NOT NULL,	-- wall clock of the answer
	UNIQUE (query, model)
);
CREATE INDEX memory_expansions_created ON memory_expansions (created_ms);
