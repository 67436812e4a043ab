-- 011_seeds: the seeds of Ouroboros (src/ouroboros/seed_store.c).  A seed
-- is frozen: its spec (the JSON of seed_to_json()) and its place in the
-- lineage never change; only its status and stop reason do.  Generations
-- of one task share a root (the first generation's id).
CREATE TABLE seeds (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT REFERENCES seeds (id),
    root_id     TEXT NOT NULL,
    generation  INTEGER NOT NULL CHECK (generation >= 1),
    created_at  INTEGER NOT NULL,   -- Unix ms
    status      TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'passed', 'failed', 'superseded')),
    stop_reason TEXT,
    spec        TEXT NOT NULL,      -- the seed as JSON
    UNIQUE (root_id, generation)
);
CREATE INDEX seeds_created ON seeds (created_at);
CREATE INDEX seeds_parent ON seeds (parent_id);
CREATE TRIGGER seeds_frozen BEFORE UPDATE OF id, parent_id, root_id,
    generation, created_at, spec ON seeds
BEGIN
    SELECT RAISE(ABORT, 'a seed is frozen: only its status changes');
END;

-- What the evaluation found, per criterion (criterion_id NULL: a verdict
-- on the whole seed, such as the semantic judge's).
CREATE TABLE seed_results (
    id           INTEGER PRIMARY KEY,
    seed_id      TEXT NOT NULL REFERENCES seeds (id) ON DELETE CASCADE,
    criterion_id TEXT,
    stage        TEXT NOT NULL
                 CHECK (stage IN ('mechanical', 'semantic', 'consensus')),
    passed       INTEGER NOT NULL CHECK (passed IN (0, 1)),
    score        REAL,              -- 0..1, or NULL
    detail       TEXT,              -- JSON, or NULL
    at           INTEGER NOT NULL   -- Unix ms
);
CREATE INDEX seed_results_seed ON seed_results (seed_id, id);
