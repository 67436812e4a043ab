-- 005_audit: the tamper-evident audit trail (src/security/audit.h).  Rows
-- are never changed or removed: triggers refuse it, and each row's fields
-- are bound by its leaf hash into a Merkle tree whose heads are signed.

CREATE TABLE audit_log (
	seq INTEGER PRIMARY KEY,	-- 1, 2, 3 ... without gaps
	ts_ms INTEGER NOT NULL,		-- wall clock
	actor TEXT NOT NULL,		-- user | system | agent:<id>
	action TEXT NOT NULL,		-- agent_spawn tool_call ...
	resource TEXT NOT NULL,
	detail TEXT NOT NULL,		-- JSON object, sanitised
	leaf BLOB NOT NULL		-- BLAKE2b(0x00 || canonical entry)
);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_actor ON audit_log (actor);

CREATE TABLE audit_heads (
	size INTEGER PRIMARY KEY,	-- entries covered
	root BLOB NOT NULL,		-- Merkle root of entries 1..size
	ts_ms INTEGER NOT NULL,
	signature BLOB NOT NULL,	-- Ed25519 over the canonical head
	public_key BLOB NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_heads_no_update BEFORE UPDATE ON audit_heads
BEGIN
	SELECT RAISE(ABORT, 'audit heads are append-only');
END;
CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
BEGIN
	SELECT RAISE(ABORT, 'audit heads are append-only');
END;
