#!/usr/bin/env bash
# Every test layer, in order of cost. Run through `npm test`, which bootstraps and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==== %s\n' "$*"; }

step "core purity (no wasm/JS crates in countersign-core)"
bash scripts/check-core-purity.sh

# The systems, their vector tests and their modules come from systems.json (scripts/manifest.mjs).
mapfile -t vector_tests < <(node scripts/manifest.mjs vector-tests)
mapfile -t modules < <(node scripts/manifest.mjs modules)
[ "${#vector_tests[@]}" -gt 0 ] && [ "${#modules[@]}" -gt 0 ] || { echo "systems.json lists no vector test or no module" >&2; exit 1; }

test_args=()
for name in "${vector_tests[@]}"; do test_args+=(--test "$name"); done

step "generated TypeScript types (sdk-ts/src/generated/) match the Rust types"
bash scripts/types.sh --check

step "cargo test: public and shared vectors (${vector_tests[*]}), with their case counts"
cargo test --quiet -p countersign-core "${test_args[@]}" -- --nocapture 2>&1 \
  | grep -E 'cases|steps|test result' || { echo "vector tests failed" >&2; exit 1; }

step "cargo test: everything (unit tests, vectors, property tests)"
cargo test --workspace --quiet

step "cargo clippy: the core's no-unwrap/no-panic lints"
cargo clippy --quiet -p countersign-core -p countersign-wasm --lib -- -D warnings
# The adapter of each module (build.sh builds them) is clean on its own too; the everything-module
# is the default features, linted just above.
for module in "${modules[@]}"; do
  mapfile -t cargo_args < <(node scripts/manifest.mjs cargo-args "$module")
  [ "${#cargo_args[@]}" -gt 0 ] || continue
  cargo clippy --quiet -p countersign-wasm --lib "${cargo_args[@]}" -- -D warnings
done

step "cargo fuzz: every decoder target for 10 s (a crash input is saved to core/fuzz/regressions/)"
bash scripts/fuzz.sh --seconds 10

step "API reference (TypeDoc, warnings are errors)"
bash scripts/docs.sh

step "node --test: SDK (vectors, Wycheproof, hostile inputs), COSE interop, packaging, Vite bundle, headless Chromium"
# Inside a throw-away PostgreSQL server (scripts/postgres.sh: started here, stopped and removed
# whatever the outcome) for the PostgresStorage tests; or the user's COUNTERSIGN_TEST_DATABASE_URL.
bash scripts/postgres.sh run -- node --test --test-concurrency=1 tests/manifest.test.mjs sdk-ts/test/ tests/interop/ tests/packaging/ tests/bundler/ tests/browser/
