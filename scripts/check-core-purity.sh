#!/usr/bin/env bash
# The core holds no platform code: its normal dependency tree (on every target) must not contain
# any wasm/JS binding crate. Those belong to wasm/ only.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
forbidden='^(wasm-bindgen|js-sys|web-sys|serde-wasm-bindgen|getrandom)$'
tree=$(cargo tree -p countersign-core -e normal --target all --prefix none --format '{p}' | awk '{ print $1 }' | sort -u)
if hits=$(printf '%s\n' "$tree" | grep -E "$forbidden"); then
  echo "core purity: FAILED: countersign-core depends on: $hits" >&2
  exit 1
fi
echo "core purity: ok ($(printf '%s\n' "$tree" | wc -l) crates in countersign-core's normal tree, none of wasm-bindgen/js-sys/web-sys/serde-wasm-bindgen/getrandom)"
