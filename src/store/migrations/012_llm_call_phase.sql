-- 012_llm_call_phase: what each LLM call was for, as its request's
-- X-Oxios-Phase header said (llm_phase_valid(): triage, interview, seed,
-- execute, evaluate, evolve, chat, dream, embedding); rows from before
-- were chat calls or embeddings.
ALTER TABLE llm_calls ADD COLUMN phase TEXT NOT NULL DEFAULT 'chat';
UPDATE llm_calls SET phase = 'embedding' WHERE kind = 'embedding';
