#!/bin/sh
# bench/memory/run.sh — the HNSW index against hnswlib, side by side on the
# same data: N random vectors (uniform in [-1, 1]^D, normalised), the same
# queries, the same exact top-10, the same M, ef_construction and ef.
# Prints build rate, then recall@10 and queries/s per ef, and last at the
# default ef_search: auto, which Oxios tunes to recall@10 >= TARGET (0.95)
# on its own data; hnswlib is run at the ef Oxios picked.  Exact search
# (a scan of every vector) is the reference for queries/s.
#
# Environment: N (default 100000), D (256), M (16), EFC (200), Q (1000),
# EFS (the ef list, default "16,32,64,128,256"), DIST=clustered (gaussian
# blobs instead of uniform data; CLUSTERS, default 100).
# Needs a build in build/ (meson, debugoptimized = -O2), g++ and hnswlib
# (scripts/deps.sh --bench; Debian packages g++ and libhnswlib-dev).
set -eu
cd "$(dirname "$0")/../.."
N=${N:-100000}
D=${D:-256}
M=${M:-16}
EFC=${EFC:-200}
Q=${Q:-1000}
export Q

if ! command -v g++ >/dev/null 2>&1 ||
    [ ! -f /usr/include/hnswlib/hnswlib.h ]; then
	echo "hnswlib or g++ missing: run scripts/deps.sh --bench" \
	    "(packages g++ libhnswlib-dev)" >&2
	exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

ninja -C build hnsw_bench >/dev/null
g++ -O2 -march=x86-64-v2 -std=c++14 bench/memory/hnswlib_bench.cpp \
    -o "$out/hnswlib_bench"

echo "$N x $D, M=$M, efC=$EFC, $Q queries, k=10 ($(nproc) cores, one used)"
build/hnsw_bench "$N" "$D" "$M" "$EFC" "$out/data.bin" >"$out/oxios.txt"
grep -E '^(exact|tune)' "$out/oxios.txt"
auto=$(awk '/^tune ef/ { print $3 }' "$out/oxios.txt")
EFS=${EFS:-16,32,64,128,256}${auto:+,$auto} \
    "$out/hnswlib_bench" "$out/data.bin" "$M" "$EFC" >"$out/hnswlib.txt"

awk '
FNR == 1 { side++ }
/^build/ { rate[side] = $(NF - 1); secs[side] = $(NF - 3) }
/^ef / {
	if (side == 1)
		efs[++n] = $2
	rec[side, $2] = $4
	qps[side, $2] = $6
	if ($7 == "auto")
		auto = $2
}
END {
	printf "%-28s %14s %14s\n", "", "oxios", "hnswlib"
	printf "%-28s %14s %14s\n", "build (vectors/s)", rate[1], rate[2]
	printf "%-28s %14s %14s\n", "build (s)", secs[1], secs[2]
	printf "%-6s %21s %14s %14s %14s %8s\n", "ef", "oxios recall@10",
	    "hnswlib", "oxios q/s", "hnswlib q/s", "ratio"
	for (i = 1; i <= n; i++) {
		e = efs[i]
		if (e == auto && i < n)
			continue # measured again below, as the default
		printf "%-6s %21s %14s %14s %14s %8.2f%s\n", e, rec[1, e],
		    rec[2, e], qps[1, e], qps[2, e], qps[1, e] / qps[2, e],
		    e == auto ? "  <- default (auto)" : ""
	}
	# At equal recall: hnswlib q/s interpolated (linearly in recall,
	# between its two ef around it) at each recall oxios reached.
	printf "\n%-28s %14s %14s %8s\n", "at equal recall@10",
	    "oxios q/s", "hnswlib q/s", "ratio"
	for (i = 1; i <= n; i++) {
		r = rec[1, efs[i]]
		for (j = 1; j < n; j++) {
			lo = efs[j]
			hi = efs[j + 1]
			if (rec[2, lo] <= r && r <= rec[2, hi] &&
			    rec[2, hi] > rec[2, lo]) {
				t = (r - rec[2, lo]) / (rec[2, hi] - rec[2, lo])
				h = qps[2, lo] + t * (qps[2, hi] - qps[2, lo])
				printf "%-28s %14s %14.0f %8.2f\n", \
				    "recall " r " (oxios ef " efs[i] ")",
				    qps[1, efs[i]], h, qps[1, efs[i]] / h
				break
			}
		}
	}
}' "$out/oxios.txt" "$out/hnswlib.txt"
