#!/bin/sh
# bench/skills — loading every skill as an agent's start does: the four
# sources read, each SKILL.md parsed (libyaml), eligibility checked.
#
#   bench/skills/run.sh [BIN]    (default build/oxios)
#
# Puts the 60 SKILL.md files of tests/data/skills/openclaw in a scratch
# user source (beside the 4 bundled ones) and times `oxios skills --json`
# N times (RUNS, default 20): the median and worst wall time, the peak
# RSS, and how many skills are ready / need setup.  Never asserts on
# time: the figures go to docs/benchmarks.md.
set -eu
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/oxios}")
RUNS=${RUNS:-20}
HOME_DIR=$(mktemp -d /tmp/oxios-bench-skills-XXXXXX)
trap 'rm -rf "$HOME_DIR"' EXIT
export OXIOS_HOME="$HOME_DIR"
mkdir -p "$HOME_DIR/skills"
find tests/data/skills/openclaw -name SKILL.md -printf '%h\n' |
	while read -r d; do cp -r "$d" "$HOME_DIR/skills/"; done
echo "skills: $(ls "$HOME_DIR/skills" | wc -l) in the user source, 4 bundled"
i=0
: > "$HOME_DIR/times"
while [ "$i" -lt "$RUNS" ]; do
	/usr/bin/time -f '%e %M' -a -o "$HOME_DIR/times" "$BIN" skills --json > /dev/null
	i=$((i + 1))
done
sort -n "$HOME_DIR/times" | awk -v n="$RUNS" '
	{ t[NR] = $1; if ($2 > rss) rss = $2 }
	END { printf "oxios skills --json: median %.3f s, worst %.3f s, peak RSS %d KB (%d runs)\n",
	      t[int((n + 1) / 2)], t[n], rss, n }'
"$BIN" skills --json | python3 -c '
import json, sys, collections
j = json.load(sys.stdin)
rows = j["skills"] if isinstance(j, dict) else j
print("status:", dict(collections.Counter(s["status"] for s in rows)))'
