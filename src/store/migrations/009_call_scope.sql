-- 009_call_scope: who each LLM call was made for (kernel/scope.h): the
-- running agent (NULL for calls outside an agent: dream, `oxios llm`),
-- its principal (the agent profile, "default" unless named) and its
-- priority class.
ALTER TABLE llm_calls ADD COLUMN agent_id TEXT;
ALTER TABLE llm_calls ADD COLUMN principal TEXT NOT NULL DEFAULT 'default';
ALTER TABLE llm_calls ADD COLUMN class TEXT NOT NULL DEFAULT 'background';
CREATE INDEX llm_calls_agent ON llm_calls (agent_id);
