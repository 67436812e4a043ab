-- 001_init: the store's own bookkeeping.
-- schema_migrations is created by the migrator itself, before this runs.

-- Small facts about this installation (created_at, instance id, ...).
CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
