#!/bin/sh
# Regenerate docs/api.md from the route table: scripts/gen-api-doc.sh BIN
set -eu
bin=${1:-build/oxios}
cd "$(dirname "$0")/.."
"$bin" __api-doc > docs/api.md.tmp
mv docs/api.md.tmp docs/api.md
echo "docs/api.md updated"
