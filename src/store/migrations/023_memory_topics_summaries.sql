-- 023_memory_topics_summaries: the daily, weekly and monthly summaries
-- of the compaction tree (untagged) no longer form a topic "summary" in
-- the ROOT index: they are reached down the tree from the root summary of
-- each topic (src/memory/root.c).  The index is emptied here and rebuilt
-- by memory_open() (root_heal()), as migration 017 left it.
DELETE FROM memory_topic_links;
DELETE FROM memory_topics;
