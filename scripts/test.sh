#!/usr/bin/env bash
# Every test layer, in order of cost. Run through `npm test`, which bootstraps and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==== %s\n' "$*"; }

step "core purity (no wasm/JS crates in countersign-core)"
bash scripts/check-core-purity.sh

step "cargo test: public and shared vectors (Wycheproof, money, envelope, card, ledger, tempcard, energy), with their case counts"
cargo test --quiet -p countersign-core --test wycheproof --test money_vectors --test envelope_vectors --test card_vectors --test ledger_vectors --test tempcard_vectors --test energy_vectors -- --nocapture 2>&1 \
  | grep -E 'cases|steps|test result' || { echo "vector tests failed" >&2; exit 1; }

step "cargo test: everything (unit tests, vectors, property tests)"
cargo test --workspace --quiet

step "cargo clippy: the core's no-unwrap/no-panic lints"
cargo clippy --quiet -p countersign-core -p countersign-wasm --lib -- -D warnings
# The adapter of each one-system module (build.sh builds them) is clean on its own too.
for features in "" card ledger tempcard energy; do
  cargo clippy --quiet -p countersign-wasm --lib --no-default-features --features "$features" -- -D warnings
done

step "node --test: SDK (vectors, Wycheproof), COSE interop, packaging, headless Chromium"
node --test --test-concurrency=1 sdk-ts/test/ tests/interop/ tests/packaging/ tests/browser/
