#!/usr/bin/env bash
# Builds the core to WebAssembly, generates the JS glue with the pinned wasm-bindgen CLI, and
# compiles the TypeScript SDK. Run scripts/bootstrap.sh first (npm run build does both).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[build] %s\n' "$*"; }

log "cargo build (wasm32, release: opt-level 3 + LTO)"
cargo build --quiet -p countersign-wasm --release --target wasm32-unknown-unknown

# One glue (target web) serves both Node and browsers: the Node entry of the SDK instantiates the
# very same .wasm bytes synchronously with initSync, so every platform runs identical code.
log "wasm-bindgen (--target web --weak-refs)"
rm -rf sdk-ts/wasm
wasm-bindgen --target web --weak-refs --out-dir sdk-ts/wasm --out-name countersign_wasm \
  target/wasm32-unknown-unknown/release/countersign_wasm.wasm

log "tsc (sdk-ts)"
rm -rf sdk-ts/dist
npx --no-install tsc -p sdk-ts/tsconfig.json

wasm_file=sdk-ts/wasm/countersign_wasm_bg.wasm
raw=$(stat -c %s "$wasm_file")
gz=$(gzip -9 -c "$wasm_file" | wc -c)
log "wasm: $raw bytes raw, $gz bytes gzip -9"
# Size budget (gzip): a regression here is a product regression for every mobile user.
wasm_gzip_bytes_max=163840
if [ "$gz" -gt "$wasm_gzip_bytes_max" ]; then
  log "wasm is over its budget: $gz > $wasm_gzip_bytes_max bytes gzip"; exit 1
fi
