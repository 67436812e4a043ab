#!/bin/sh
# Regenerate the key table of docs/config.md from the schema in the binary
# (src/config/schema.c), between the schema:begin/end markers.
# Usage: scripts/gen-config-doc.sh [path/to/oxios]
set -eu
cd "$(dirname "$0")/.."
bin=${1:-build/oxios}
table=$(mktemp)
"$bin" config schema --markdown > "$table"
/usr/bin/python3 - "$table" docs/config.md <<'PY'
import re, sys
table = open(sys.argv[1]).read()
doc = open(sys.argv[2]).read()
new = re.sub(r'(<!-- schema:begin -->\n).*?(<!-- schema:end -->)',
             lambda m: m.group(1) + table + m.group(2), doc, flags=re.S)
open(sys.argv[2], 'w').write(new)
PY
rm -f "$table"
echo "docs/config.md updated"
