#!/usr/bin/env bash
# Regenerates the TypeScript declarations of the core's request, outcome and view types into
# sdk-ts/src/generated/ (one file per system or primitive) from the Rust types themselves:
# ts-rs, behind countersign-core's optional `ts` feature, honouring their serde attributes
# (core/tests/ts_types.rs). `--check` regenerates into a temporary directory and fails when a
# committed file differs, is missing or is no longer generated (scripts/test.sh runs it).
# Cost: one native debug build of the core with the feature (~1 min cold, seconds warm).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

case "${1:-}" in
  --check) unset COUNTERSIGN_WRITE_TYPES ;;
  "") export COUNTERSIGN_WRITE_TYPES=1 ;;
  *) echo "usage: scripts/types.sh [--check]" >&2; exit 2 ;;
esac
cargo test --quiet -p countersign-core --features ts --test ts_types
if [ -n "${COUNTERSIGN_WRITE_TYPES:-}" ]; then
  echo "types: wrote $(ls sdk-ts/src/generated | wc -l) files to sdk-ts/src/generated/"
else
  echo "types: sdk-ts/src/generated/ matches the Rust types"
fi
