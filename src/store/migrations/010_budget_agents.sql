-- 010_budget_agents: budgets per agent principal and per session
-- (src/kernel/budget.c, budget_agent.c).  Each ledger row now says whose
-- call it was (the principal, "default" unless named; the session) and
-- how many calls it counts (1 for a call of the gate, 0 for a hold made
-- with POST /api/budget/{agent}/reserve).
ALTER TABLE budget_ledger ADD COLUMN principal TEXT NOT NULL DEFAULT 'default';
ALTER TABLE budget_ledger ADD COLUMN session_id TEXT;
ALTER TABLE budget_ledger ADD COLUMN calls INTEGER NOT NULL DEFAULT 1;
CREATE INDEX budget_ledger_principal ON budget_ledger (principal, at);
CREATE INDEX budget_ledger_session ON budget_ledger (session_id);

-- The limits of an agent principal, set at runtime (REST, `oxios budget
-- set`); 0 = no limit of that kind.  The window (period) counts from
-- the later of its start (UTC day or month; none for lifetime) and reset_at, the last
-- reset (0: never); the ledger rows before it are kept.
CREATE TABLE budget_agents (
    principal   TEXT PRIMARY KEY,
    tokens      INTEGER NOT NULL DEFAULT 0,
    calls       INTEGER NOT NULL DEFAULT 0,
    usd         REAL NOT NULL DEFAULT 0,
    period      TEXT NOT NULL DEFAULT 'lifetime'
                CHECK (period IN ('day', 'month', 'lifetime')),
    reset_at    INTEGER NOT NULL DEFAULT 0,  -- Unix ms
    updated_at  INTEGER NOT NULL              -- Unix ms
);

-- What an agent spent in ledger rows pruned for age (older than any day
-- or month window) since its last reset: its lifetime total is this plus
-- its rows.  A reset clears it.
CREATE TABLE budget_carry (
    principal   TEXT PRIMARY KEY,
    tokens      INTEGER NOT NULL DEFAULT 0,
    calls       INTEGER NOT NULL DEFAULT 0,
    usd         REAL NOT NULL DEFAULT 0
);
