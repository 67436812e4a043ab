-- 017_memory_topics: the ROOT index (src/memory/root.h).  A memory's
-- topics are its tags (lower-cased, trimmed), else its type; each topic
-- keeps a one-line summary (its most important memory's content, cut),
-- its memories' ids and count, and when it last changed.  Kept by every
-- memory write in the write's transaction; rebuilt by dream.
CREATE TABLE memory_topics (
	topic TEXT PRIMARY KEY,
	summary TEXT NOT NULL,
	ids TEXT NOT NULL DEFAULT '[]',	-- JSON array, most important first
	count INTEGER NOT NULL,
	touched_ms INTEGER NOT NULL	-- wall clock of the last change
) WITHOUT ROWID;

-- Which memory is under which topic (to find a memory's old topics).
CREATE TABLE memory_topic_links (
	topic TEXT NOT NULL,
	memory_id INTEGER NOT NULL,
	PRIMARY KEY (topic, memory_id)
) WITHOUT ROWID;
CREATE INDEX memory_topic_links_memory ON memory_topic_links (memory_id);

-- What is already there is indexed by memory_open() (root_rebuild()).
