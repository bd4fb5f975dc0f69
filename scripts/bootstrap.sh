#!/usr/bin/env bash
# Idempotent bootstrap: installs whatever is missing for `npm run demo` / `npm test` on a fresh
# machine, from the package registries only (crates.io, npm, PyPI, Debian). Every step checks
# first and does nothing when its tool is already there, so running it twice costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[bootstrap] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

# 1. The wasm32 target for the core's WebAssembly build.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "installing the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. The wasm-bindgen CLI at exactly the version Cargo.lock pins for the wasm-bindgen crate: the
#    glue it writes must match the crate's ABI byte for byte. Installed from crates.io, never the
#    prebuilt-binary download wasm-pack would attempt.
wanted_bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have_bindgen=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ -z "$wanted_bindgen" ]; then
  log "Cargo.lock has no wasm-bindgen entry"; exit 1
fi
if [ "$have_bindgen" != "$wanted_bindgen" ]; then
  log "installing wasm-bindgen-cli $wanted_bindgen (found: ${have_bindgen:-none})"
  cargo install --locked wasm-bindgen-cli --version "=$wanted_bindgen"
fi

# 3. npm packages from the committed lock file; re-run only when the lock file changed.
lock_stamp="node_modules/.countersign-lock.sha256"
lock_sum=$(sha256sum package-lock.json | awk '{ print $1 }')
if [ ! -f "$lock_stamp" ] || [ "$(cat "$lock_stamp")" != "$lock_sum" ]; then
  log "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund
  echo "$lock_sum" > "$lock_stamp"
fi

# 4. Debian's Chromium for the browser and packaging tests (never a browser download).
if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi

# 4b. Debian's PostgreSQL server for the PostgresStorage tests: scripts/postgres.sh initdb's a
#     throw-away cluster from its binaries (`pg_config --bindir`; they are not on PATH). Not needed
#     when the tests are pointed at a server of the user's own (COUNTERSIGN_TEST_DATABASE_URL).
if [ -z "${COUNTERSIGN_TEST_DATABASE_URL:-}" ] \
  && { ! command -v pg_config >/dev/null || [ ! -x "$(pg_config --bindir)/initdb" ]; }; then
  log "installing Debian's postgresql"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
fi

# 4c. Debian's xmllint (libxml2-utils): System 7's test validates generated pain.001 messages
#     against the official XSD (sdk-ts/test/transfer-xsd.test.mjs).
if ! command -v xmllint >/dev/null; then
  log "installing Debian's libxml2-utils (xmllint)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libxml2-utils
fi

# 5. A Python venv with pycose for the COSE interoperability test, and sepaxml (whose wheel ships
#    the official pain.001.001.09 XSD) and schwifty for System 7's tests and vector generator.
venv=".cache/pyenv"
req="tests/interop/requirements.txt"
req_transfer="tests/vectors/transfer/requirements.txt"
if [ -f "$req" ]; then
  req_sum=$(cat "$req" "$req_transfer" 2>/dev/null | sha256sum | awk '{ print $1 }')
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$req_sum" ]; then
    log "creating the Python venv for the COSE interop test and System 7's XSD"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    if [ -f "$req_transfer" ]; then
      "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req_transfer"
    fi
    echo "$req_sum" > "$venv/.requirements.sha256"
  fi
fi
# 6. cargo-fuzz for scripts/fuzz.sh (coverage-guided fuzzing of the core's decoders), pinned to
#    0.13.x: it runs on the stable toolchain with `--sanitizer none`. From crates.io, --locked.
wanted_fuzz="0.13.2"
have_fuzz=$(cargo fuzz --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have_fuzz" != "$wanted_fuzz" ]; then
  log "installing cargo-fuzz $wanted_fuzz (found: ${have_fuzz:-none})"
  cargo install --locked cargo-fuzz --version "=$wanted_fuzz"
fi
log "ready"
