#!/usr/bin/env bash
# The SDK's API reference, generated from the TypeScript by TypeDoc (typedoc.json) into docs/api/
# (not committed). Any TypeDoc warning fails the run: a doc comment that names a symbol TypeDoc
# cannot find, a public type that refers to one the package does not export, a broken link.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf docs/api
npx --no-install typedoc --options typedoc.json "$@"
test -f docs/api/index.html || { echo "docs.sh: TypeDoc wrote no docs/api/index.html" >&2; exit 1; }
echo "API reference: docs/api/index.html"
