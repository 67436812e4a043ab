-- 013_security: the policy layer above the sandbox (docs/security.md).
-- API tokens with roles (the admin token of auth/token.hash and
-- gateway.api_key stay outside this table), per-profile permissions,
-- the allow rules made by "allow always" answers, and the approvals
-- that tool calls wait for.  The approvals row is the truth: an answer,
-- an expiry and a cancel each update it only while it is pending.
CREATE TABLE api_tokens (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
	hash BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	expires_at INTEGER,
	revoked_at INTEGER,
	last_used_at INTEGER
);

CREATE TABLE agent_permissions (
	principal TEXT PRIMARY KEY,
	template TEXT NOT NULL,
	grants TEXT NOT NULL DEFAULT '[]',
	updated_at INTEGER NOT NULL,
	updated_by TEXT NOT NULL
);

CREATE TABLE policy_rules (
	id INTEGER PRIMARY KEY,
	principal TEXT NOT NULL,
	tool TEXT NOT NULL,
	match TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	approval_id TEXT,
	revoked_at INTEGER,
	revoked_by TEXT
);
CREATE INDEX policy_rules_principal_tool ON policy_rules (principal, tool);

CREATE TABLE approvals (
	id TEXT PRIMARY KEY,
	principal TEXT NOT NULL,
	agent_id TEXT,
	session_id TEXT,
	tool TEXT NOT NULL,
	input TEXT NOT NULL,
	summary TEXT NOT NULL,
	reason TEXT NOT NULL,
	danger TEXT,
	state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
	    ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
	scope TEXT CHECK (scope IS NULL OR scope IN ('once', 'always')),
	rule_id INTEGER,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	decided_at INTEGER,
	decided_by TEXT
);
CREATE INDEX approvals_state_created ON approvals (state, created_at);
