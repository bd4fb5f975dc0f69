#!/usr/bin/env bash
# Every test layer, in order of cost. Run through `npm test`, which bootstraps and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==== %s\n' "$*"; }

step "core purity (no wasm/JS crates in countersign-core)"
bash scripts/check-core-purity.sh

step "cargo test: core unit tests, Wycheproof, shared vectors, property tests"
cargo test --workspace --quiet

step "cargo clippy: the core's no-unwrap/no-panic lints"
cargo clippy --quiet -p countersign-core -p countersign-wasm --lib -- -D warnings

step "node --test: SDK (vectors, Wycheproof), COSE interop, packaging, headless Chromium"
node --test --test-concurrency=1 sdk-ts/test/ tests/interop/ tests/packaging/ tests/browser/
