-- 018_memory_compaction: the compaction tree (src/memory/compact.h).
-- A summary is a memory of type "summary"; this row says which level it
-- is (daily, weekly, monthly, root) and which period (a day "2026-10-03",
-- an ISO week "2026-W40", a month "2026-10", or, for a root summary, its
-- topic), and the edges say which memories it covers.  Edges stay when
-- a source is pruned (the summary still says it covered it); they go with
-- the summary.
CREATE TABLE memory_summaries (
	memory_id INTEGER PRIMARY KEY,	-- the summary's memory
	level TEXT NOT NULL,		-- daily | weekly | monthly | root
	period TEXT NOT NULL,		-- the period's key, or the topic
	start_ms INTEGER NOT NULL,	-- the period covered, [start, end)
	end_ms INTEGER NOT NULL,
	made_ms INTEGER NOT NULL,	-- last written (the memory clock)
	version INTEGER NOT NULL DEFAULT 1,	-- +1 by every rewrite
	UNIQUE (level, period)
);

CREATE TABLE memory_summary_sources (
	summary_id INTEGER NOT NULL,
	source_id INTEGER NOT NULL,
	seen INTEGER NOT NULL DEFAULT 0,	-- the source's version then (0: raw,
						-- -1: the source is gone)
	PRIMARY KEY (summary_id, source_id)
) WITHOUT ROWID;
CREATE INDEX memory_summary_sources_source
	ON memory_summary_sources (source_id);

-- A summary forgotten takes its row and edges along: its sources are
-- uncovered again and the next compaction writes it anew.  A source gone
-- (pruned, merged, forgotten) keeps its edges, marked: memory ids may be
-- reused, and a new memory under an old id is covered by nothing.
CREATE TRIGGER memories_summary_ad AFTER DELETE ON memories BEGIN
	DELETE FROM memory_summaries WHERE memory_id = old.id;
	DELETE FROM memory_summary_sources WHERE summary_id = old.id;
	UPDATE memory_summary_sources SET seen = -1 WHERE source_id = old.id;
END;
