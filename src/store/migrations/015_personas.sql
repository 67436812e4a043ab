-- 015_personas: the number the personas work holds (docs/agents.md);
-- empty on this branch so that 016 follows without a gap.
SELECT 1;
