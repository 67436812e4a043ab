-- 021_memory_topics_counted: a topic's row no longer lists every memory
-- id (a write recomputed the whole list: inserts slowed as a topic grew);
-- it keeps the id of the memory that gives its summary, and its count is
-- moved by one per write (src/memory/root.c).  The ids are in
-- memory_topic_links.  Rows from before have no summary id (0): the next
-- write to the topic finds it.
ALTER TABLE memory_topics DROP COLUMN ids;
ALTER TABLE memory_topics ADD COLUMN summary_id INTEGER NOT NULL DEFAULT 0;
