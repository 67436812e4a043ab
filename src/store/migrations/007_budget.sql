-- 007_budget: the budget ledger (src/kernel/budget.c).  One row per LLM
-- call admitted by the gate: first a reservation (the estimate, until
-- expires_at), then, once the call is over, what it really spent.  Every
-- process sharing this file (the daemon, an embedded `oxios run`) checks
-- its limits against the same rows, inside BEGIN IMMEDIATE.
CREATE TABLE budget_ledger (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,   -- Unix ms, when reserved
    run_id      TEXT,               -- the run (its agent id); NULL outside
    provider    TEXT NOT NULL,
    model       TEXT NOT NULL,
    tokens      INTEGER NOT NULL,   -- estimated, then real
    usd         REAL NOT NULL,      -- estimated, then real (0 unpriced)
    state       TEXT NOT NULL CHECK (state IN ('reserved', 'spent')),
    expires_at  INTEGER             -- a reservation counts until then
);
CREATE INDEX budget_ledger_at ON budget_ledger (at);
CREATE INDEX budget_ledger_run ON budget_ledger (run_id);
