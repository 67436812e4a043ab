-- 003_agents_sessions: conversations and the agents that ran in them.

CREATE TABLE sessions (
	id TEXT PRIMARY KEY,		-- UUID
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	title TEXT,			-- the first request, cut short
	model TEXT,			-- the model used last
	input_tokens INTEGER NOT NULL DEFAULT 0,
	output_tokens INTEGER NOT NULL DEFAULT 0
);

-- One row per message, in order; content is the canonical JSON blocks
-- (src/llm/llm.h): text, tool_use, tool_result.
CREATE TABLE messages (
	id INTEGER PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	role TEXT NOT NULL,		-- user | assistant | tool
	content TEXT NOT NULL,
	agent_id TEXT,
	created_at TEXT NOT NULL,
	UNIQUE (session_id, seq)
);

CREATE TABLE agents (
	id TEXT PRIMARY KEY,		-- UUID
	parent_id TEXT REFERENCES agents (id),
	group_id TEXT,			-- the root agent of its group
	session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
	state TEXT NOT NULL,		-- queued running exited killed failed
	model TEXT,
	host_pid INTEGER,		-- the process running its brain
	worker_pid INTEGER,		-- its hands (sandboxed worker)
	created_at TEXT NOT NULL,
	started_at TEXT,
	ended_at TEXT,
	exit_reason TEXT,		-- why it stopped, in words
	iterations INTEGER NOT NULL DEFAULT 0,
	input_tokens INTEGER NOT NULL DEFAULT 0,
	output_tokens INTEGER NOT NULL DEFAULT 0,
	cost_usd REAL
);
CREATE INDEX agents_session ON agents (session_id);
CREATE INDEX agents_state ON agents (state);
