-- 014_skills: a placeholder on the personas branch so that 015 follows
-- 014 (migrations are numbered without gaps); the skills branch holds
-- the real file.
SELECT 1;
