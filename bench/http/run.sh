#!/bin/sh
# bench/http — the daemon's HTTP path on loopback, with wrk.
#
#   bench/http/run.sh [BIN]      (default build/oxios; needs wrk:
#                                 scripts/deps.sh --bench)
#
# Prints: time from exec to the first answered /health, idle RSS, then
# requests/s and latency percentiles for GET /health (no auth),
# GET /api/status (bearer token, JSON), the dashboard's page and one of
# its modules revalidated (304), the dashboard's size, and RSS after the
# load.
# Never asserts on time: the figures go to docs/benchmarks.md.
set -eu
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/oxios}")
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
command -v wrk >/dev/null || { echo "wrk is missing: scripts/deps.sh --bench" >&2; exit 1; }

HOME_DIR=$(mktemp -d /tmp/oxios-bench-http-XXXXXX)
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$HOME_DIR"' EXIT
export OXIOS_HOME=$HOME_DIR
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$HOME_DIR/config.toml" <<CFG
[gateway]
port = $PORT
rate_limit_per_min = 0
[logging]
level = "warn"
CFG
TOKEN=$("$BIN" token rotate --quiet)

# Start to ready: exec the daemon, poll /health as fast as possible.
READY_MS=$(/usr/bin/python3 - "$BIN" "$PORT" <<'PY'
import socket, subprocess, sys, time
bin, port = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
p = subprocess.Popen([bin, 'start', '--foreground'],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=1)
        s.sendall(b'GET /health HTTP/1.0\r\n\r\n')
        if b' 200 ' in s.recv(100):
            break
    except OSError:
        time.sleep(0.0005)
print('%.1f %d' % ((time.perf_counter() - t0) * 1000, p.pid))
PY
)
PID=${READY_MS#* }
READY_MS=${READY_MS% *}
sleep 1
rss() { awk '/^VmRSS/ {print $2 / 1024 " MiB"}' /proc/$PID/status; }

echo "oxios http bench: $(nproc) cores, wrk -t2 -c$CONNS -d${DURATION}s, $(date -u +%F)"
echo "start to ready:        $READY_MS ms"
echo "idle RSS:              $(rss)"
# One load: a label, then wrk's extra arguments and the URL.  The
# per-client limit is off (gateway.rate_limit_per_min = 0): every request
# is served, none refused with a 429.
load() {
	label=$1
	shift
	out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$@")
	rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
	printf '%-30s %s req/s, p50 %s, p99 %s %s\n' "$label:" "$rps" "$p50" "$p99" "$errs"
}
URL=http://127.0.0.1:$PORT
load "GET /health" "$URL/health"
load "GET /api/status" -H "Authorization: Bearer $TOKEN" "$URL/api/status"
# The dashboard: its page (200) and a module a browser revalidates (304).
ETAG=$(curl -sI "$URL/assets/js/app.js" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
load "GET / (dashboard, 200)" "$URL/"
load "GET app.js (If-None-Match, 304)" -H "If-None-Match: $ETAG" "$URL/assets/js/app.js"
echo "dashboard: $(find web -type f | wc -l) files, $(cat $(find web -type f) | wc -c) bytes embedded"
echo "RSS after load:        $(rss)"
