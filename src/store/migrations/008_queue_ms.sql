-- 008_queue_ms: how long each LLM call waited for the scheduler's
-- admission (src/kernel/scheduler.c), in ms; rows from before waited none.
ALTER TABLE llm_calls ADD COLUMN queue_ms INTEGER NOT NULL DEFAULT 0;
