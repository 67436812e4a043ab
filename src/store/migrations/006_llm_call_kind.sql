-- 006_llm_call_kind: what an llm_calls row was, a chat call ("chat") or an
-- embeddings request ("embedding"); rows from before were all chat calls.
ALTER TABLE llm_calls ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat';
