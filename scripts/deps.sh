#!/bin/sh
# scripts/deps.sh — install the Debian packages Oxios needs to build, test
# and run.  Idempotent: only packages that are missing are installed, and a
# machine that has them all is left untouched (no apt-get update either).
#
# Usage: scripts/deps.sh [--check] [--bench]
#   --check   only report what is missing; exit 1 if anything is.
#   --bench   also the packages the benchmarks in bench/ compare against.
set -eu

PACKAGES="
build-essential
pkg-config
meson
ninja-build
clang
clang-format
libclang-rt-14-dev
valgrind
libjansson-dev
libsqlite3-dev
sqlite3
libsodium-dev
libcurl4-openssl-dev
libseccomp-dev
libyaml-dev
libedit-dev
libcmocka-dev
libmicrohttpd-dev
libssl-dev
python3
python3-pytest
python3-websockets
chromium
nodejs
"

BENCH_PACKAGES="
g++
libcpptoml-dev
hyperfine
wrk
libhnswlib-dev
"

check=0
for arg in "$@"; do
	case "$arg" in
	--check) check=1 ;;
	--bench) PACKAGES="$PACKAGES $BENCH_PACKAGES" ;;
	*)
		echo "usage: scripts/deps.sh [--check] [--bench]" >&2
		exit 2
		;;
	esac
done

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

# The browser tests (tests/e2e) need Node.js 20 or later: the nodejs of
# the configured apt sources (NodeSource's, which includes npm), never
# Debian's own nodejs 18 or its separate npm package.
node_ok() {
	v=$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p')
	if [ -z "$v" ] || [ "$v" -lt 20 ]; then
		echo "deps: Node.js 20 or later is needed, found" \
		    "'$(node --version 2>/dev/null || echo none)': configure" \
		    "an apt source with nodejs >= 20 (NodeSource)" >&2
		return 1
	fi
	if ! command -v npm >/dev/null 2>&1; then
		echo "deps: npm is missing (it comes with NodeSource's nodejs)" >&2
		return 1
	fi
}

if [ -z "$missing" ]; then
	node_ok || exit 1
	echo "deps: all $(echo $PACKAGES | wc -w) packages present"
	exit 0
fi

echo "deps: missing:$missing"
if [ "$check" = 1 ]; then
	exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: installing packages needs root; run as root or install" >&2
		echo "deps: sudo, or install them yourself: apt-get install$missing" >&2
		exit 1
	fi
else
	SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
echo "deps: installed:$missing"
node_ok
