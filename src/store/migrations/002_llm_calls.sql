-- 002_llm_calls: every LLM call the gate made, with its usage and cost.
CREATE TABLE llm_calls (
	id INTEGER PRIMARY KEY,
	started_at TEXT NOT NULL,
	provider TEXT NOT NULL,
	model TEXT NOT NULL,
	input_tokens INTEGER NOT NULL DEFAULT 0,
	output_tokens INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens INTEGER NOT NULL DEFAULT 0,
	cache_write_tokens INTEGER NOT NULL DEFAULT 0,
	cost_usd REAL,			-- NULL when the model is not priced
	duration_ms INTEGER NOT NULL,
	attempts INTEGER NOT NULL,
	status TEXT NOT NULL,		-- "ok" or the error class
	error TEXT
);
CREATE INDEX llm_calls_started ON llm_calls (started_at);
