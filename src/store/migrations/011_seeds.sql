-- 011_seeds: a placeholder so that this branch builds alone; the seeds'
-- migration of the same name replaces it at merge.
SELECT 1;
