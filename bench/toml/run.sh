#!/bin/sh
# bench/toml/run.sh — TOML parsing, side by side on the same document:
# Oxios's parser, cpptoml (C++), Python's tomllib.  Prints figures only.
# Needs: a build in build/ (make), g++ and libcpptoml-dev
# (scripts/deps.sh --bench installs them).
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
size=${1:-1048576}
/usr/bin/python3 bench/toml/gen.py "$size" > "$out/doc.toml"
cc -O2 -std=gnu17 -D_GNU_SOURCE -Isrc bench/toml/bench_toml.c \
    src/util/toml.c src/util/toml_scalar.c src/util/toml_lex.c src/util/toml_write.c \
    src/util/buf.c src/util/xalloc.c src/util/file.c src/util/time.c \
    -ljansson -lsodium -lm -o "$out/bench_toml"
"$out/bench_toml" "$out/doc.toml" 20
if [ -f /usr/include/cpptoml.h ]; then
	c++ -O2 -std=c++17 bench/toml/bench_cpptoml.cc -o "$out/bench_cpptoml"
	"$out/bench_cpptoml" "$out/doc.toml" 20
else
	echo "cpptoml: not installed (scripts/deps.sh --bench)"
fi
/usr/bin/python3 bench/toml/bench_tomllib.py "$out/doc.toml" 5
