/*
 * api_resources.c — /api/resources: the resource monitor's last sample
 * with the agents' workers, its history, and whether new runs are paused.
 */
#include "api/api.h"
#include "kernel/monitor.h"

static int
api_resources(struct http_req *r)
{
	return http_json(r, 200, monitor_json_current());
}

static int
api_resources_history(struct http_req *r)
{
	long limit;

	if (api_query_int(r, "limit", 1, MONITOR_MAX_HISTORY,
		MONITOR_MAX_HISTORY, &limit) != 0)
		return 0;
	return http_json(r, 200, monitor_json_history(limit));
}

static int
api_resources_overload(struct http_req *r)
{
	return http_json(r, 200, monitor_json_overload());
}

const struct route api_resources_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/resources",
	    .role = ROLE_VIEWER,
	    .handler = api_resources,
	    .tag = "resources",
	    .summary = "The last sample of the resource monitor: CPU, memory, "
		       "load, disk, and each running agent's worker tree.",
	    .response = "{sampled, sampled_at, cpu_percent, memory_percent, "
			"load, disk_free_mb, overloaded, reason, agents: "
			"[{id, pid, processes, cpu_ms, rss_kb}], ...}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/resources/history",
	    .role = ROLE_VIEWER,
	    .handler = api_resources_history,
	    .tag = "resources",
	    .summary = "The samples kept (monitor.history), oldest first; "
		       "?limit=N keeps the newest N.",
	    .response = "{samples: [{sampled_at, cpu_percent, ...}], "
			"capacity}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/resources/overload",
	    .role = ROLE_VIEWER,
	    .handler = api_resources_overload,
	    .tag = "resources",
	    .summary = "Whether the system is overloaded, why, and the limits: "
		       "while it is, new runs are refused with the reason.",
	    .response = "{overloaded, reason, sampled_at, limits: "
			"{max_cpu_percent, max_memory_percent, min_disk_mb}}",
	},
	{ .method = NULL },
};
