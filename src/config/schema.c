/*
 * schema.c — every configuration key: type, default, range, meaning.
 *
 * This table is the single source of truth: `oxios config schema`,
 * the template written on first use, docs/config.md and shell completion
 * are generated from it.  Keep it sorted by section.
 *
 * CK_PLANNED marks a key no code reads yet (config.h): it is accepted, its
 * setting warns, and docs/config.md says "Not yet enforced".
 */
#include <string.h>

#include "config/config.h"

#define NORANGE 1, 0
#define R(lo, hi) (lo), (hi)

/* clang-format off */
const struct config_key config_schema[] = {
	/* [kernel] */
	{ "kernel.max_agents", CT_INT, "8", R(1, 1024), NULL, NULL, 0,
	  "Agents running at once; more wait in a queue" },
	{ "kernel.max_agent_depth", CT_INT, "3", R(1, 8), NULL, NULL, 0,
	  "How deep sub-agents may nest" },
	{ "kernel.agent_timeout_secs", CT_INT, "1800", R(1, 604800), NULL, NULL, 0,
	  "Wall-clock limit of one agent run" },
	{ "kernel.zombie_secs", CT_INT, "900", R(0, 604800), NULL, NULL, 0,
	  "An agent with no progress (no model delta or answer, no tool "
	  "call starting or ending) for this long is reaped as a zombie; "
	  "inside a tool call exec.timeout_secs is added. 0: never" },
	{ "kernel.shutdown_grace_secs", CT_INT, "10", R(0, 3600), NULL, NULL, 0,
	  "On stop, how long running agents get to finish" },
	{ "kernel.worker_pool", CT_INT, "2", R(0, 64), NULL, NULL, 0,
	  "Warm workers the daemon keeps started, so that an agent does not wait for its worker's exec; 0: start each on demand" },
	{ "kernel.workspace", CT_STRING, "\"\"", NORANGE, NULL, NULL, CK_FORMAT(CF_DIR),
	  "Agents' workspace directory; empty means $OXIOS_HOME/workspace" },

	/* [engine] */
	{ "engine.default_model", CT_STRING, "\"anthropic/claude-sonnet-4-5\"", NORANGE, NULL, NULL, CK_FORMAT(CF_MODEL),
	  "Model used when none is given, as provider/model" },
	{ "engine.fallback_models", CT_STRINGS, "[]", NORANGE, NULL, NULL, CK_FORMAT(CF_MODEL),
	  "Models (provider/model) tried in order, each through the gate, when a call's provider is unavailable: its circuit breaker refuses the call, or the call was its probe and failed" },
	{ "engine.max_iterations", CT_INT, "50", R(1, 10000), NULL, NULL, 0,
	  "Most LLM turns in one agent run" },
	{ "engine.repeat_guard", CT_INT, "3", R(1, 100), NULL, NULL, 0,
	  "Stop a run after this many identical tool calls in a row" },
	{ "engine.tool_output_max_chars", CT_INT, "30000", R(1000, 10000000), NULL, NULL, 0,
	  "Tool output longer than this is truncated (and says so)" },
	{ "engine.max_tokens", CT_INT, "8192", R(1, 1000000), NULL, NULL, 0,
	  "max_tokens of each LLM request" },
	{ "engine.temperature", CT_FLOAT, "0.0", R(0, 2), NULL, NULL, 0,
	  "Sampling temperature" },
	{ "engine.connect_timeout_secs", CT_INT, "10", R(1, 300), NULL, NULL, 0,
	  "Time allowed to connect to a provider" },
	{ "engine.idle_timeout_secs", CT_INT, "120", R(1, 3600), NULL, NULL, 0,
	  "A stream silent this long is abandoned" },
	{ "engine.max_retries", CT_INT, "4", R(0, 20), NULL, NULL, 0,
	  "Retries of a transient or rate-limited provider call" },
	{ "engine.retry_base_ms", CT_INT, "500", R(1, 60000), NULL, NULL, 0,
	  "First retry backoff; it doubles each time, with jitter" },
	{ "engine.retry_max_secs", CT_INT, "120", R(1, 3600), NULL, NULL, 0,
	  "No retry starts once a call has taken this long" },

	/* [providers.*] */
	{ "providers.anthropic.api_key", CT_STRING, NULL, NORANGE, NULL, "ANTHROPIC_API_KEY", CK_SECRET | CK_FORMAT(CF_TOKEN),
	  "Anthropic API key (better: the environment variable)" },
	{ "providers.anthropic.base_url", CT_STRING, "\"https://api.anthropic.com\"", NORANGE, NULL, "ANTHROPIC_BASE_URL", CK_FORMAT(CF_URL),
	  "Anthropic API base URL, without /v1" },
	{ "providers.openai.api_key", CT_STRING, NULL, NORANGE, NULL, "OPENAI_API_KEY", CK_SECRET | CK_FORMAT(CF_TOKEN),
	  "OpenAI API key (better: the environment variable)" },
	{ "providers.openai.base_url", CT_STRING, "\"https://api.openai.com/v1\"", NORANGE, NULL, "OPENAI_BASE_URL", CK_FORMAT(CF_URL),
	  "OpenAI-compatible API base URL, with /v1" },
	{ "providers.*.kind", CT_STRING, "\"openai\"", NORANGE, "anthropic|openai", NULL, 0,
	  "Wire format of an extra provider (e.g. [providers.local])" },
	{ "providers.*.base_url", CT_STRING, NULL, NORANGE, NULL, NULL, CK_FORMAT(CF_URL),
	  "Base URL of an extra provider" },
	{ "providers.*.api_key", CT_STRING, NULL, NORANGE, NULL, NULL, CK_SECRET | CK_FORMAT(CF_TOKEN),
	  "API key of an extra provider, if it needs one" },
	{ "providers.*.rpm", CT_INT, NULL, R(0, 1000000000), NULL, NULL, 0,
	  "Requests per minute this provider allows (the scheduler admits no more); unset or 0: scheduler.rpm" },
	{ "providers.*.tpm", CT_INT, NULL, R(0, 1000000000), NULL, NULL, 0,
	  "Tokens per minute this provider allows (input + output; the scheduler admits no more); unset or 0: scheduler.tpm" },
	{ "providers.*.max_concurrent", CT_INT, NULL, R(0, 10000), NULL, NULL, 0,
	  "LLM calls in flight at once to this provider; unset or 0: scheduler.max_concurrent" },
	{ "providers.*.models.*.rpm", CT_INT, NULL, R(0, 1000000000), NULL, NULL, 0,
	  "Requests per minute one model of this provider allows (e.g. [providers.openai.models.\"gpt-4.1\"]); unset or 0: none of its own" },
	{ "providers.*.models.*.tpm", CT_INT, NULL, R(0, 1000000000), NULL, NULL, 0,
	  "Tokens per minute one model of this provider allows; unset or 0: none of its own" },
	{ "providers.*.models.*.max_concurrent", CT_INT, NULL, R(0, 10000), NULL, NULL, 0,
	  "LLM calls in flight at once to one model of this provider; unset or 0: none of its own" },
	{ "providers.*.api_key_env", CT_STRING, NULL, NORANGE, NULL, NULL, CK_FORMAT(CF_ENVNAME),
	  "Environment variable holding that provider's key" },

	/* [gateway] */
	{ "gateway.host", CT_STRING, "\"127.0.0.1\"", NORANGE, NULL, NULL, CK_FORMAT(CF_HOST),
	  "Address the daemon listens on" },
	{ "gateway.port", CT_INT, "4200", R(1, 65535), NULL, NULL, 0,
	  "Port the daemon listens on" },
	{ "gateway.api_key", CT_STRING, NULL, NORANGE, NULL, "OXIOS_API_KEY", CK_SECRET | CK_FORMAT(CF_TOKEN),
	  "Extra bearer token accepted by the API (for scripts and CI)" },
	{ "gateway.max_body_bytes", CT_INT, "1048576", R(1024, 1073741824), NULL, NULL, 0,
	  "Largest request body accepted (413 beyond)" },
	{ "gateway.rate_limit_per_min", CT_INT, "600", R(0, 1000000), NULL, NULL, 0,
	  "Requests per minute per client address (429 beyond; 0: no limit)" },
	{ "gateway.cors_origins", CT_STRINGS, "[]", NORANGE, NULL, NULL, CK_FORMAT(CF_ORIGIN),
	  "Origins allowed to call the API from a browser" },
	{ "gateway.header_timeout_secs", CT_INT, "10", R(1, 300), NULL, NULL, 0,
	  "A connection must send a complete request head within this (closed beyond)" },

	/* [exec] */
	{ "exec.allowlist", CT_STRINGS,
	  "[\"ls\", \"cat\", \"head\", \"tail\", \"wc\", \"grep\", \"find\", \"sort\", \"diff\", \"git\", \"make\", \"python3\", \"node\"]",
	  NORANGE, NULL, NULL, CK_FORMAT(CF_PROGRAM),
	  "Programs the exec tool may run in structured mode" },
	{ "exec.allow_shell", CT_BOOL, "false", NORANGE, NULL, NULL, 0,
	  "Whether the exec tool may run shell command lines" },
	{ "exec.timeout_secs", CT_INT, "60", R(1, 86400), NULL, NULL, 0,
	  "Default time limit of one command" },
	{ "exec.max_output_bytes", CT_INT, "1048576", R(1024, 1073741824), NULL, NULL, 0,
	  "Command output kept beyond this is cut" },

	/* [security] */
	{ "security.sandbox", CT_STRING, "\"auto\"", NORANGE, "auto|required|off", NULL, 0,
	  "auto: the worker's filesystem view, Landlock and seccomp where the kernel allows (warnings otherwise); required: refuse to start a worker without all three; off: no filesystem view (Landlock, seccomp and rlimits still apply)" },
	{ "security.allow_network", CT_BOOL, "false", NORANGE, NULL, NULL, 0,
	  "Whether agent workers may open network sockets" },
	{ "security.approval", CT_STRING, "\"dangerous\"", NORANGE, "never|dangerous|always", NULL, 0,
	  "Which tool calls wait for a human approval" },
	{ "security.approval_timeout_secs", CT_INT, "120", R(1, 86400), NULL, NULL, 0,
	  "Seconds a tool call waits for a human answer before it is denied" },
	{ "security.tools.*.approval", CT_STRING, NULL, NORANGE, "auto|ask|deny", NULL, 0,
	  "A tool's own policy, over security.approval: auto (no wait), ask (always waits), deny (never runs)" },
	{ "security.default_template", CT_STRING, "\"trusted\"", NORANGE, "minimal|worker|standard|trusted|supervisor", NULL, 0,
	  "The capability template of an agent profile without permissions of its own" },
	{ "security.worker_cpu_secs", CT_INT, "300", R(1, 86400), NULL, NULL, 0,
	  "CPU-time limit of an agent's worker process" },
	{ "security.worker_memory_mb", CT_INT, "2048", R(64, 1048576), NULL, NULL, 0,
	  "Address-space limit of an agent's worker process" },
	{ "security.worker_max_procs", CT_INT, "256", R(16, 4194303), NULL, NULL, 0,
	  "Processes an agent's worker and its commands may hold at once (cgroup pids.max where delegated, else the PID namespace's pid_max, at least 300, and RLIMIT_NPROC when not root)" },
	{ "security.workspace_growth_mb", CT_INT, "1024", R(0, 1073741824), NULL, NULL, 0,
	  "Bytes (MiB) one run's commands and writes may add to the workspace; a command past it is killed; 0: no cap" },
	{ "security.ssrf_allow", CT_STRINGS, "[]", NORANGE, NULL, NULL, 0,
	  "Outbound requests Oxios may make to addresses that are not public (loopback, private, link-local, metadata ...): host, host:port, [IPv6]:port, an address or a CIDR such as 10.1.0.0/16. A name allows every address it resolves to" },
	{ "security.ssrf_max_redirects", CT_INT, "5", R(0, 20), NULL, NULL, 0,
	  "Redirects a guarded outbound request follows, each re-resolved and re-checked" },
	{ "security.ssrf_max_bytes", CT_INT, "10485760", R(1, 1073741824), NULL, NULL, 0,
	  "Largest response body of a guarded outbound request; a longer one fails" },
	{ "security.ssrf_timeout_secs", CT_INT, "30", R(1, 3600), NULL, NULL, 0,
	  "Time allowed for a guarded outbound request, its redirects included" },

	/* [ouroboros] */
	{ "ouroboros.mode", CT_STRING, "\"auto\"", NORANGE, "auto|always|never", "OXIOS_OUROBOROS_MODE", 0,
	  "Which `oxios run` requests go through the Ouroboros protocol: auto (a triage call decides), always, never (--spec and --no-spec override it)" },
	{ "ouroboros.max_generations", CT_INT, "3", R(1, 30), NULL, NULL, 0,
	  "Most seed generations of one Ouroboros run" },
	{ "ouroboros.ambiguity_threshold", CT_FLOAT, "0.2", R(0, 1), NULL, NULL, 0,
	  "Above this ambiguity the interview asks; a non-interactive run marks its seed degraded" },
	{ "ouroboros.interview", CT_BOOL, "true", NORANGE, NULL, NULL, 0,
	  "Whether the protocol scores the request's clarity before the seed" },
	{ "ouroboros.judge_models", CT_STRINGS, "[]", NORANGE, NULL, NULL, CK_FORMAT(CF_MODEL),
	  "The models (provider/model) of the consensus's further judges, in turn; empty: the run's model" },

	/* [orchestrator]: deprecated aliases of [ouroboros] (config.c) */
	{ "orchestrator.max_generations", CT_INT, "3", R(1, 30), NULL, NULL, 0,
	  "Deprecated: ouroboros.max_generations" },
	{ "orchestrator.ambiguity_threshold", CT_FLOAT, "0.2", R(0, 1), NULL, NULL, 0,
	  "Deprecated: ouroboros.ambiguity_threshold" },
	{ "orchestrator.interview", CT_BOOL, "true", NORANGE, NULL, NULL, 0,
	  "Deprecated: ouroboros.interview" },

	/* [memory] */
	{ "memory.enabled", CT_BOOL, "true", NORANGE, NULL, NULL, 0,
	  "Whether agents remember across sessions" },
	{ "memory.hot_tokens", CT_INT, "3000", R(0, 100000), NULL, NULL, 0,
	  "Token budget of the hot tier loaded into every context" },
	{ "memory.recall_shift", CT_FLOAT, "0.5", R(0, 1), NULL, NULL, 0,
	  "Recall again in a conversation when more than this share of a message's nearest topics is new (0: any new topic; 1: only at a session's start)" },
	{ "memory.recall_tokens", CT_INT, "1000", R(0, 100000), NULL, NULL, 0,
	  "Token budget (chars/4) of the memories a session recalled, in each of its runs' context (the newest recalls first)" },
	{ "memory.toc_tokens", CT_INT, "300", R(0, 10000), NULL, NULL, 0,
	  "Token budget (chars/4) of the memory's table of contents (its topics) in every context; 0: none" },
	{ "memory.embedder", CT_STRING, "\"local\"", NORANGE, "tfidf|local|api", NULL, 0,
	  "local (word vectors built in, offline), tfidf (hashed TF-IDF, offline) or api (an OpenAI-compatible /v1/embeddings)" },
	{ "memory.query_expansion", CT_STRING, "\"auto\"", NORANGE, "off|auto|on", NULL, 0,
	  "Before a CLI or REST search, a query of at most 6 words is expanded into related words by engine.default_model, through the gate (background priority, budgeted, cached per query and model); auto: when that model's provider has a key, on: always try, off: never. A refusal or an error searches without, and says so" },
	{ "memory.embedding_dim", CT_INT, "256", R(8, 8192), NULL, NULL, 0,
	  "Vector dimension of the tfidf embedder" },
	{ "memory.embedding_url", CT_STRING, NULL, NORANGE, NULL, NULL, CK_FORMAT(CF_URL),
	  "Base URL of the api embedder (e.g. http://127.0.0.1:11434/v1)" },
	{ "memory.embedding_model", CT_STRING, NULL, NORANGE, NULL, NULL, CK_FORMAT(CF_NAME),
	  "Model of the api embedder (e.g. nomic-embed-text)" },
	{ "memory.embedding_api_key", CT_STRING, NULL, NORANGE, NULL, "OXIOS_EMBEDDING_API_KEY", CK_SECRET | CK_FORMAT(CF_TOKEN),
	  "Key of the api embedder, if it needs one" },
	{ "memory.hnsw_m", CT_INT, "16", R(2, 128), NULL, NULL, 0,
	  "HNSW graph degree M" },
	{ "memory.hnsw_ef_construction", CT_INT, "200", R(8, 4096), NULL, NULL, 0,
	  "HNSW ef at insert time" },
	{ "memory.hnsw_ef_search", CT_INT, "0", R(0, 4096), NULL, NULL, 0,
	  "HNSW ef at query time; 0: auto, tuned to memory.hnsw_target_recall" },
	{ "memory.hnsw_target_recall", CT_FLOAT, "0.95", R(0.5, 0.999), NULL, NULL, 0,
	  "Recall@10 the auto ef_search is tuned to, measured against exact search" },
	{ "memory.dream_interval_mins", CT_INT, "360", R(0, 100000), NULL, NULL, 0,
	  "Minutes between background consolidations; 0 turns them off" },
	{ "memory.prune_threshold", CT_FLOAT, "0.05", R(0, 1), NULL, NULL, 0,
	  "Unprotected memories whose retention falls below this are pruned" },
	{ "memory.compaction", CT_BOOL, "true", NORANGE, NULL, NULL, 0,
	  "Whether dream rolls raw memories up into daily, weekly, monthly and per-topic root summaries (the compaction tree; needs engine.default_model)" },
	{ "memory.compaction_max_calls", CT_INT, "256", R(1, 100000), NULL, NULL, 0,
	  "Model calls one compaction makes at most; the periods left wait for the next run" },
	{ "memory.covered_decay", CT_FLOAT, "2.0", R(1, 100), NULL, NULL, 0,
	  "How many times faster a raw memory that a summary covers decays" },
	{ "memory.prune_covered_days", CT_INT, "0", R(0, 100000), NULL, NULL, 0,
	  "Unprotected raw memories a summary covers are pruned this many days after they were made; 0: never" },

	/* [monitor] */
	{ "monitor.interval_secs", CT_INT, "10", R(1, 3600), NULL, NULL, 0,
	  "Seconds between two samples of the resource monitor (CPU, memory, load, disk, the agents' workers)" },
	{ "monitor.history", CT_INT, "360", R(1, 10000), NULL, NULL, 0,
	  "Samples the resource monitor keeps (GET /api/resources/history)" },
	{ "monitor.max_cpu_percent", CT_FLOAT, "0.0", R(0, 100), NULL, NULL, 0,
	  "System CPU busy share over which new runs are paused; 0 turns the check off" },
	{ "monitor.max_memory_percent", CT_FLOAT, "95.0", R(0, 100), NULL, NULL, 0,
	  "Share of memory in use over which new runs are paused; 0 turns the check off" },
	{ "monitor.min_disk_mb", CT_INT, "64", R(0, 1000000000), NULL, NULL, 0,
	  "Free megabytes on the disk of $OXIOS_HOME under which new runs are paused; 0 turns the check off" },

	/* [spaces] */
	{ "spaces.classify", CT_BOOL, "false", NORANGE, NULL, NULL, 0,
	  "Whether a message no space's path, tag or name matches is classified into a space by the model" },
	{ "spaces.buffer_tokens", CT_INT, "24000", R(1000, 10000000), NULL, NULL, 0,
	  "Estimated tokens (4 characters each) of a session's history over which its older turns are summarised" },
	{ "spaces.bridge", CT_BOOL, "false", NORANGE, NULL, NULL, 0,
	  "Whether durable facts of a space's conversation are extracted into memory (origin: the space) after each of its runs" },
	{ "spaces.keep_turns", CT_INT, "6", R(1, 1000), NULL, NULL, 0,
	  "User turns kept whole when a session's history is summarised" },

	/* [cron] */
	{ "cron.enabled", CT_BOOL, "true", NORANGE, NULL, NULL, CK_PLANNED,
	  "Whether scheduled jobs run" },
	{ "cron.timezone", CT_STRING, "\"local\"", NORANGE, NULL, NULL, CK_PLANNED,
	  "Time zone of cron expressions: local, UTC or a zone name" },

	/* [scheduler] */
	{ "scheduler.admission", CT_BOOL, "true", NORANGE, NULL, NULL, 0,
	  "Whether LLM calls wait for the scheduler's admission; false: each call goes at once and retries alone (the breaker and budgets still apply)" },
	{ "scheduler.max_concurrent", CT_INT, "8", R(1, 10000), NULL, NULL, 0,
	  "LLM calls in flight at once per provider without its own providers.NAME.max_concurrent; more wait for admission" },
	{ "scheduler.rpm", CT_INT, "0", R(0, 1000000000), NULL, NULL, 0,
	  "Requests per minute admitted per provider without its own providers.NAME.rpm; 0: unknown, learned from 429s" },
	{ "scheduler.tpm", CT_INT, "0", R(0, 1000000000), NULL, NULL, 0,
	  "Tokens per minute (input + output) admitted per provider without its own providers.NAME.tpm; 0: unknown" },
	{ "scheduler.aging_secs", CT_INT, "30", R(1, 86400), NULL, NULL, 0,
	  "A call waiting for admission rises one priority class (background > subagent > run > interactive) per this many seconds" },
	{ "scheduler.breaker_failures", CT_INT, "5", R(1, 1000), NULL, NULL, 0,
	  "Consecutive transient failures (network, timeout, 5xx, 429) of one gate call each that open a provider's circuit breaker" },
	{ "scheduler.breaker_cooldown_secs", CT_INT, "30", R(1, 86400), NULL, NULL, 0,
	  "How long an open breaker refuses calls before it lets one probe through" },
	{ "scheduler.breaker_error_rate", CT_FLOAT, "0.0", R(0, 1), NULL, NULL, 0,
	  "Share of a provider's calls within scheduler.breaker_window_secs that failed (0..1) that opens its breaker; 0: only consecutive failures do" },
	{ "scheduler.breaker_window_secs", CT_INT, "60", R(1, 86400), NULL, NULL, 0,
	  "The window of the breaker's error rate" },
	{ "scheduler.breaker_min_calls", CT_INT, "10", R(1, 1000000), NULL, NULL, 0,
	  "Calls within the window before the error rate may open a breaker" },

	/* [budget] */
	{ "budget.daily_usd", CT_FLOAT, "0.0", R(0, 1e9), NULL, NULL, 0,
	  "Spending limit per UTC day in USD, over all runs; 0 means none" },
	{ "budget.monthly_usd", CT_FLOAT, "0.0", R(0, 1e9), NULL, NULL, 0,
	  "Spending limit per UTC month in USD, over all runs; 0 means none" },
	{ "budget.max_tokens_per_run", CT_INT, "0", R(0, 1e12), NULL, NULL, 0,
	  "Token limit of one agent run, its sub-agents included; 0 means none" },
	{ "budget.max_calls_per_run", CT_INT, "0", R(0, 1e9), NULL, NULL, 0,
	  "LLM call limit of one agent run, its sub-agents included; 0 means none" },
	{ "budget.session_tokens", CT_INT, "0", R(0, 1e12), NULL, NULL, 0,
	  "Token limit of one session, over all its runs and chats; 0 means none" },
	{ "budget.session_calls", CT_INT, "0", R(0, 1e9), NULL, NULL, 0,
	  "LLM call limit of one session, over all its runs and chats; 0 means none" },
	{ "budget.session_usd", CT_FLOAT, "0.0", R(0, 1e9), NULL, NULL, 0,
	  "Spending limit of one session in USD, over all its runs and chats; 0 means none" },

	/* [audit] */
	{ "audit.enabled", CT_BOOL, "true", NORANGE, NULL, NULL, 0,
	  "Whether the tamper-evident audit log is kept" },
	{ "audit.sign_interval_secs", CT_INT, "300", R(1, 86400), NULL, NULL, 0,
	  "How often a signed tree head is published" },

	/* [logging] */
	{ "logging.level", CT_STRING, "\"info\"", NORANGE, "debug|info|warn|error|off", "OXIOS_LOG_LEVEL", 0,
	  "Least severe level written" },
	{ "logging.format", CT_STRING, "\"text\"", NORANGE, "text|json", NULL, 0,
	  "text lines or JSON lines" },
	{ "logging.target", CT_STRING, "\"file\"", NORANGE, "file|stderr", NULL, 0,
	  "file: $OXIOS_HOME/logs/oxios.log; stderr: standard error" },

	/* [mcp.servers.*] */
	{ "mcp.servers.*.command", CT_STRING, NULL, NORANGE, NULL, NULL, CK_PLANNED,
	  "Program of a stdio MCP server" },
	{ "mcp.servers.*.args", CT_STRINGS, "[]", NORANGE, NULL, NULL, CK_PLANNED,
	  "Its arguments" },
	{ "mcp.servers.*.env", CT_STRMAP, "{}", NORANGE, NULL, NULL, CK_PLANNED,
	  "Extra environment for it" },
	{ "mcp.servers.*.url", CT_STRING, NULL, NORANGE, NULL, NULL, CK_PLANNED,
	  "URL of an HTTP MCP server (instead of command)" },
	{ "mcp.servers.*.enabled", CT_BOOL, "true", NORANGE, NULL, NULL, CK_PLANNED,
	  "Whether the server is used" },

	/* [channels] */
	{ "channels.telegram.enabled", CT_BOOL, "false", NORANGE, NULL, NULL, CK_PLANNED,
	  "Whether the Telegram channel runs" },
	{ "channels.telegram.bot_token", CT_STRING, NULL, NORANGE, NULL, "TELEGRAM_BOT_TOKEN", CK_SECRET | CK_PLANNED,
	  "Telegram bot token" },
	{ "channels.telegram.allowed_chats", CT_INTS, "[]", NORANGE, NULL, NULL, CK_PLANNED,
	  "Chat ids that may talk to agents; empty means none" },
};
/* clang-format on */

const size_t config_schema_len = sizeof config_schema / sizeof config_schema[0];

const char *
config_type_name(enum config_type t)
{
	switch (t) {
	case CT_STRING:
		return "string";
	case CT_INT:
		return "integer";
	case CT_FLOAT:
		return "float";
	case CT_BOOL:
		return "boolean";
	case CT_STRINGS:
		return "array of strings";
	case CT_INTS:
		return "array of integers";
	case CT_STRMAP:
		return "table of strings";
	}
	return "unknown";
}

size_t
config_segment_len(const char *k)
{
	size_t i;

	if (*k != '"')
		return strcspn(k, ".");
	for (i = 1; k[i] != '\0' && k[i] != '"'; i++) {
		if (k[i] == '\\' && k[i + 1] != '\0')
			i++;
	}
	return k[i] == '"' ? i + 1 : i;
}

/*
 * Compare dotted `key` with schema pattern `pat` segment by segment; '*'
 * matches one segment.  With `prefix`, `key` need only match the first
 * segments of `pat` (it names a table above the leaf).
 */
static int
config_schema_match(const char *pat, const char *key, int prefix)
{
	const char *p = pat, *k = key;
	size_t pl, kl;

	for (;;) {
		pl = strcspn(p, ".");
		kl = config_segment_len(k);
		if (!(pl == 1 && p[0] == '*') &&
		    (pl != kl || memcmp(p, k, kl) != 0))
			return 0;
		p += pl;
		k += kl;
		if (*k == '\0')
			return prefix ? *p == '.' : *p == '\0';
		if (*p == '\0')
			return 0;
		p++;
		k++;
	}
}

const struct config_key *
config_schema_find(const char *key)
{
	size_t i;

	/* An exact entry wins over a wildcard one (providers.openai.*). */
	for (i = 0; i < config_schema_len; i++) {
		if (strcmp(config_schema[i].key, key) == 0)
			return &config_schema[i];
	}
	for (i = 0; i < config_schema_len; i++) {
		if (config_schema_match(config_schema[i].key, key, 0))
			return &config_schema[i];
	}
	return NULL;
}

int
config_schema_is_table(const char *prefix)
{
	size_t i;

	for (i = 0; i < config_schema_len; i++) {
		if (config_schema_match(config_schema[i].key, prefix, 1))
			return 1;
	}
	return 0;
}

json_t *
config_key_json(const struct config_key *k)
{
	json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:b, s:s}", "key",
	    k->key, "type", config_type_name(k->type), "default", k->def, "env",
	    k->env, "secret", (k->flags & CK_SECRET) != 0, "planned",
	    (k->flags & CK_PLANNED) != 0, "doc", k->doc);

	if (k->choices != NULL)
		json_object_set_new(o, "choices", json_string(k->choices));
	if (k->min <= k->max) {
		json_object_set_new(o, "min", json_real(k->min));
		json_object_set_new(o, "max", json_real(k->max));
	}
	if (config_format_doc(CK_FORMAT_OF(k->flags)) != NULL)
		json_object_set_new(o, "format",
		    json_string(config_format_doc(CK_FORMAT_OF(k->flags))));
	return o;
}
