#!/usr/bin/env node
// Reads systems.json, the one list of systems, primitives and WebAssembly modules, for the bash
// scripts (build.sh, test.sh), the bench and the tests, and generates the files that cannot read
// JSON themselves: sdk-ts/src/manifest.ts (the loader's table; a JSON import would need import
// attributes, which bundlers and browsers do not all accept) and the system list of
// examples-web/index.html (static, so the index works without a fetch). Cargo features cannot
// read JSON either: checkCargoFeatures() compares wasm/Cargo.toml with the manifest.
//
// No dependencies: it runs before `npm ci` in a fresh clone. Usage: `node scripts/manifest.mjs help`.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MANIFEST_PATH = path.join(REPO_ROOT, 'systems.json');
export const MANIFEST_TS_PATH = path.join(REPO_ROOT, 'sdk-ts', 'src', 'manifest.ts');
export const INDEX_HTML_PATH = path.join(REPO_ROOT, 'examples-web', 'index.html');
export const CARGO_TOML_PATH = path.join(REPO_ROOT, 'wasm', 'Cargo.toml');

// Named limits: the design brief has ten systems; these leave room without letting a broken
// manifest (or a dependency cycle) run away.
export const SYSTEMS_MAX = 64;
export const PRIMITIVES_MAX = 32;
export const MODULES_MAX = 64;
/** A module's budget can never be above this (the everything-module today is under 0.5 MB). */
export const GZIP_BUDGET_MAX_BYTES = 16 * 1024 * 1024;
/**
 * A module's `optLevel`: built for size ("s", "z") instead of the release profile's 3. For
 * browser-only modules whose pages decide a few operations at a time; the numbers that chose it
 * are in HACKING.md's table of size levers.
 */
export const OPT_LEVELS_FOR_SIZE = ['s', 'z'];
/** The module named so holds every system and sits at the root of the wasm directory. */
export const ALL_MODULE = 'all';
/**
 * Cargo feature that every system feature enables: the adapter's shared structured-value helpers
 * (serde <-> JS) are compiled when at least one system is (wasm/src/lib.rs).
 */
export const ANY_SYSTEM_FEATURE = 'any-system';
/** Parts every available system has (tests/manifest.test.mjs checks they exist). */
export const SYSTEM_PARTS = Object.freeze(['core', 'adapter', 'sdk', 'vectors', 'vectorTest', 'demo', 'docs']);
/** Parts of a primitive that has its own Cargo feature (a module can leave it out): the ledger. */
export const OPTIONAL_PRIMITIVE_PARTS = Object.freeze(['core', 'adapter', 'sdk', 'vectors', 'vectorTest', 'docs', 'demo']);
/** Where each part lives by convention; a different path needs an entry in `exceptions`. */
export const PART_CONVENTION = Object.freeze({
  core: (id) => `core/src/${id}/`,
  adapter: (id) => `wasm/src/${id}.rs`,
  sdk: (id) => `sdk-ts/src/${id}.ts`,
  vectors: (id) => `tests/vectors/${id}/`,
  vectorTest: (id) => `core/tests/${id}_vectors.rs`,
  demo: (id) => `examples-web/${id}.html`,
  docs: (id) => `docs/${id}.md`,
});

const ID_PATTERN = /^[a-z][a-z0-9]{0,31}$/;
/**
 * A module's name: a system's id, or `<system>-<part>` for the module of one API part
 * (`transfer-resolve`); the same spelling as the part's Cargo feature.
 */
const MODULE_NAME_PATTERN = /^[a-z][a-z0-9]{0,31}(-[a-z][a-z0-9]{0,31})?$/;
/**
 * API parts: a system whose JS API is two halves that pages use apart (transfer's resolver and
 * its lifecycle) declares them in `apiParts`; each half is a Cargo feature `<system>-<part>` and
 * can have modules of its own, named in a module's list as `<system>.<part>` (the system's id
 * alone still means every part). At most this many parts per system, at least two.
 */
export const API_PARTS_MAX = 8;
/** Between a system and its part in a module's list and in the SDK's `init({ systems })`. */
export const PART_SEPARATOR = '.';
/** What each API part lists (tests/manifest.test.mjs checks the files exist and the adapter is under the part's feature). */
export const API_PART_FIELDS = Object.freeze(['summary', 'adapter', 'sdk']);
/**
 * Issue 9's limit, 200 KiB gzip -9, for a module exporting one system or one API part: a system
 * that outgrows it is split into API parts with a module each (tests/manifest.test.mjs checks
 * the budgets). A module exporting several (the everything-module, a two-part module) has only
 * its own budget.
 */
export const SINGLE_API_BUDGET_MAX_BYTES = 200 * 1024;
const STATUSES = ['available', 'coming'];

function fail(message) {
  throw new Error(`systems.json: ${message}`);
}

/**
 * The manifest, checked for shape and consistency: unique ids, known dependencies without
 * cycles, budgets in range. A module's `systems` are the JS APIs it exports; what they depend on
 * (`dependsOn`) is core code compiled in with them, so a module need not list it (the energy
 * module runs a ledger inside its server but exports no `Ledger`).
 */
export function readManifest(file = MANIFEST_PATH) {
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  const { systems, primitives, modules } = manifest;
  if (!Array.isArray(systems) || systems.length === 0 || systems.length > SYSTEMS_MAX) fail(`systems: 1..${SYSTEMS_MAX} entries`);
  if (!Array.isArray(primitives) || primitives.length > PRIMITIVES_MAX) fail(`primitives: 0..${PRIMITIVES_MAX} entries`);
  if (!Array.isArray(modules) || modules.length === 0 || modules.length > MODULES_MAX) fail(`modules: 1..${MODULES_MAX} entries`);
  const ids = new Set();
  for (const entry of [...systems, ...primitives]) {
    if (typeof entry.id !== 'string' || !ID_PATTERN.test(entry.id)) fail(`bad id ${JSON.stringify(entry.id)}`);
    if (ids.has(entry.id)) fail(`id ${entry.id} listed twice`);
    ids.add(entry.id);
    if (typeof entry.name !== 'string' || entry.name === '') fail(`${entry.id}: name`);
  }
  const numbers = new Set();
  for (const system of systems) {
    if (!Number.isInteger(system.number) || system.number < 1 || numbers.has(system.number)) fail(`${system.id}: number must be a unique positive integer`);
    numbers.add(system.number);
    if (!STATUSES.includes(system.status)) fail(`${system.id}: status must be one of ${STATUSES.join(', ')}`);
    if (typeof system.summary !== 'string' || system.summary === '') fail(`${system.id}: summary`);
    if (system.status === 'coming' && system.parts !== undefined) fail(`${system.id}: a coming system lists no parts yet`);
    if (system.apiParts !== undefined) checkApiParts(system);
  }
  const unitIds = units(manifest).map((u) => u.id);
  const listable = exportables(manifest);
  for (const unit of units(manifest)) {
    for (const dep of unit.dependsOn) if (!unitIds.includes(dep)) fail(`${unit.id} depends on ${dep}, which no module can hold`);
  }
  for (const unit of units(manifest)) closure(manifest, [unit.id]); // throws on a cycle
  const names = new Set();
  for (const module of modules) {
    if (typeof module.name !== 'string' || !MODULE_NAME_PATTERN.test(module.name) || names.has(module.name)) fail(`bad or repeated module name ${JSON.stringify(module.name)}`);
    names.add(module.name);
    if (!Number.isInteger(module.gzipBudgetBytes) || module.gzipBudgetBytes <= 0 || module.gzipBudgetBytes > GZIP_BUDGET_MAX_BYTES) fail(`${module.name}: gzipBudgetBytes`);
    if (!Array.isArray(module.systems)) fail(`${module.name}: systems`);
    for (const id of module.systems) if (!listable.includes(id)) fail(`module ${module.name} exports ${id}, which is not an available system, an API part of one or an optional primitive`);
    if (new Set(module.systems).size !== module.systems.length) fail(`module ${module.name} lists a system twice`);
    // `transfer` already means every part of it: listing a part beside it says nothing more.
    const whole = module.systems.find((id) => id.includes(PART_SEPARATOR) && module.systems.includes(id.split(PART_SEPARATOR)[0]));
    if (whole !== undefined) fail(`module ${module.name} lists ${whole} and the whole of ${whole.split(PART_SEPARATOR)[0]}`);
    if (module.optLevel !== undefined && !OPT_LEVELS_FOR_SIZE.includes(module.optLevel)) fail(`${module.name}: optLevel must be one of ${OPT_LEVELS_FOR_SIZE.join(', ')}`);
    if (module.optLevel !== undefined && module.name === ALL_MODULE) fail(`${ALL_MODULE}: the everything-module (Node's) is built for speed, without optLevel`);
  }
  const all = modules.find((m) => m.name === ALL_MODULE);
  if (all === undefined) fail(`no module named ${ALL_MODULE}`);
  const allLeaves = leavesOf(manifest, all.systems);
  const notInAll = leaves(manifest).filter((id) => !allLeaves.includes(id));
  if (notInAll.length > 0) fail(`module ${ALL_MODULE} lacks ${notInAll.join(', ')}`);
  return manifest;
}

/** A system's `apiParts`: two to API_PARTS_MAX parts, each with its summary, adapter and SDK file. */
function checkApiParts(system) {
  const parts = system.apiParts;
  if (system.status !== 'available') fail(`${system.id}: only an available system has API parts`);
  if (typeof parts !== 'object' || parts === null || Array.isArray(parts)) fail(`${system.id}: apiParts must be an object of parts`);
  const names = Object.keys(parts);
  if (names.length < 2 || names.length > API_PARTS_MAX) fail(`${system.id}: apiParts: 2..${API_PARTS_MAX} parts (one part is the system itself)`);
  for (const name of names) {
    if (!ID_PATTERN.test(name)) fail(`${system.id}: bad API part name ${JSON.stringify(name)}`);
    for (const field of API_PART_FIELDS) if (typeof parts[name]?.[field] !== 'string' || parts[name][field] === '') fail(`${system.id}.${name}: ${field}`);
  }
}

/**
 * Every API part of the available systems, in manifest order: `id` as a module lists it
 * (`transfer.resolve`), its Cargo `feature` and the name of its own module (`transfer-resolve`),
 * and what systems.json says of it (summary, adapter, sdk).
 */
export function apiParts(manifest) {
  return manifest.systems
    .filter((s) => s.status === 'available' && s.apiParts !== undefined)
    .flatMap((s) =>
      Object.entries(s.apiParts).map(([part, fields]) => ({ ...fields, system: s.id, part, id: `${s.id}${PART_SEPARATOR}${part}`, feature: `${s.id}-${part}` })),
    );
}

/** What a module's list may name: the systems and optional primitives, then the API parts. */
export function exportables(manifest) {
  return [...units(manifest).map((u) => u.id), ...apiParts(manifest).map((p) => p.id)];
}

/**
 * The JS APIs that do not overlap, in manifest order: each system and optional primitive, a
 * system with API parts replaced by its parts. Every module exports a set of these.
 */
export function leaves(manifest) {
  return leavesOf(manifest, units(manifest).map((u) => u.id));
}

/** `entries` (a module's list) as leaves: a system with API parts becomes its parts. */
export function leavesOf(manifest, entries) {
  const parts = apiParts(manifest);
  return entries.flatMap((id) => {
    const own = parts.filter((p) => p.system === id).map((p) => p.id);
    return own.length > 0 ? own : [id];
  });
}

/** The Cargo feature of a module's list entry: the system's id, or `<system>-<part>` for `<system>.<part>`. */
export function featureOf(entry) {
  return entry.replace(PART_SEPARATOR, '-');
}

/**
 * What a module can export or leave out, in manifest order: the available systems, then the
 * primitives that have their own feature (`inEveryModule: false`, the ledger). Each becomes a
 * Cargo feature of wasm/ (its adapter, i.e. its JS API) and a `WasmSystem` of the SDK.
 */
export function units(manifest) {
  return [
    ...manifest.systems.filter((s) => s.status === 'available').map((s) => ({ id: s.id, name: s.name, dependsOn: s.dependsOn ?? [], kind: 'system' })),
    ...manifest.primitives.filter((p) => p.inEveryModule === false).map((p) => ({ id: p.id, name: p.name, dependsOn: p.dependsOn ?? [], kind: 'primitive' })),
  ];
}

/**
 * `ids` with everything they depend on in the core, transitively, in manifest order (what a
 * module holding `ids` compiles; it exports only `ids`); an API part counts as its system.
 * Throws on a cycle.
 */
export function closure(manifest, ids) {
  const all = units(manifest);
  const byId = new Map(all.map((u) => [u.id, u]));
  const found = new Set();
  const visit = (id, depth) => {
    // A chain longer than the number of units can only be a cycle.
    if (depth > all.length) fail(`dependency cycle through ${id}`);
    const unit = byId.get(id);
    if (unit === undefined) fail(`unknown system ${id}`);
    found.add(id);
    for (const dep of unit.dependsOn) visit(dep, depth + 1);
  };
  for (const id of ids) visit(id.split(PART_SEPARATOR)[0], 0);
  return all.map((u) => u.id).filter((id) => found.has(id));
}

export function moduleNamed(manifest, name) {
  const module = manifest.modules.find((m) => m.name === name);
  if (module === undefined) fail(`no module named ${JSON.stringify(name)} (modules: ${manifest.modules.map((m) => m.name).join(', ')})`);
  return module;
}

/**
 * A module's directory under the wasm output, '' for the everything-module. The same rule is
 * written in sdk-ts/src/loader.ts (moduleUrls) and in the package layout that apps may rely on.
 */
export function moduleDir(name) {
  return name === ALL_MODULE ? '' : name;
}

/** The wasm file of module `name` under `wasmDir`. */
export function moduleWasmPath(wasmDir, name) {
  return path.join(wasmDir, moduleDir(name), 'countersign_wasm_bg.wasm');
}

/**
 * `cargo build` arguments selecting module `name`'s features. The everything-module uses the
 * default features (checkCargoFeatures guarantees they are its systems), so `cargo build` and
 * `cargo test` without flags build the same thing and share one cache entry.
 */
export function cargoArgs(manifest, name) {
  const module = moduleNamed(manifest, name);
  if (module.name === ALL_MODULE) return [];
  const features = module.systems.length === 0 ? ['--no-default-features'] : ['--no-default-features', '--features', module.systems.map(featureOf).join(',')];
  return module.optLevel === undefined ? features : [...features, '--config', `profile.release.opt-level="${module.optLevel}"`];
}

/** The cargo integration tests that run shared vectors, in manifest order (primitives first). */
export function vectorTests(manifest) {
  const entries = [...manifest.primitives, ...manifest.systems.filter((s) => s.status === 'available')];
  return entries.filter((e) => e.parts?.vectorTest).map((e) => path.basename(e.parts.vectorTest, '.rs'));
}

/** Raw and `gzip -9` size of each module's wasm under `wasmDir`, against its budget. */
export function measureModules(manifest, wasmDir) {
  return manifest.modules.map((module) => {
    const file = moduleWasmPath(wasmDir, module.name);
    const rawBytes = statSync(file).size;
    // gzip(1) rather than node:zlib: the budgets and the docs quote `gzip -9` (zlib's level 9
    // comes out ~0.5 % larger on these modules). -n: no name or time in the header.
    const gzipBytes = execFileSync('gzip', ['-9', '-n', '-c', file], { maxBuffer: GZIP_BUDGET_MAX_BYTES * 4 }).length;
    // The module of one system in API parts says it holds them all; the everything-module's long row does not.
    const systems = module.systems.length === 1 ? [describeEntry(manifest, module.systems[0])] : module.systems;
    return { name: module.name, systems, rawBytes, gzipBytes, budgetBytes: module.gzipBudgetBytes, over: gzipBytes > module.gzipBudgetBytes };
  });
}

/** A module's list entry for the size table: a system with API parts says they are all in (`transfer (resolve + lifecycle)`). */
function describeEntry(manifest, id) {
  const parts = apiParts(manifest).filter((p) => p.system === id);
  return parts.length > 0 ? `${id} (${parts.map((p) => p.part).join(' + ')})` : id;
}

/** The size table as markdown (build.sh prints it; README's size table is this). */
export function sizeTable(rows) {
  const n = (x) => x.toLocaleString('en-US');
  return [
    '| module | systems | bytes raw | bytes gzip -9 | budget (gzip -9) | of budget |',
    '|---|---|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.name} | ${r.systems.join(', ') || '(primitives only)'} | ${n(r.rawBytes)} | ${n(r.gzipBytes)} | ${n(r.budgetBytes)} | ${r.over ? 'OVER BUDGET' : `${((100 * r.gzipBytes) / r.budgetBytes).toFixed(1)} %`} |`),
  ].join('\n');
}

// ---- generated files ---------------------------------------------------------------------------

const GENERATED_NOTE = 'Generated from systems.json by `node scripts/manifest.mjs write`: edit systems.json, not this (tests/manifest.test.mjs checks it is fresh).';

/** sdk-ts/src/manifest.ts: the loader's module table. */
export function generateManifestTs(manifest) {
  const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const all = units(manifest);
  const parts = apiParts(manifest);
  const names = manifest.modules.map((m) => m.name);
  const union = (items) => items.map(q).join(' | ') || 'never';
  // A key that is not an identifier (the module `transfer-resolve`) is quoted.
  const record = (entries) => entries.map(([k, v]) => `  ${/^[A-Za-z_$][\w$]*$/.test(k) ? k : q(k)}: ${v},`).join('\n');
  return `// The WebAssembly modules and the systems they hold, for the loader (loader.ts).
// ${GENERATED_NOTE}

/** A WebAssembly module the package ships (\`init({ system })\`). */
export type WasmModuleName = ${union(names)};

/** A system (or primitive with its own feature) whose JS API a module may export, which SDK classes ask for. */
export type WasmSystem = ${union(all.map((u) => u.id))};

/**
 * A part of a system's JS API that has modules of its own (\`init({ systems: ['transfer.resolve'] })\`):
 * \`<system>.<part>\`. The system's id alone means every one of its parts.
 */
export type WasmPart = ${union(parts.map((p) => p.id))};

/** Every module, in manifest order (the everything-module first). */
export const MODULE_NAMES = [${names.map(q).join(', ')}] as const;

/** Every system a module may hold, in manifest order. */
export const SYSTEM_IDS = [${all.map((u) => q(u.id)).join(', ')}] as const;

/** Every API part, in manifest order. */
export const PART_IDS = [${parts.map((p) => q(p.id)).join(', ')}] as const;

/** The API parts of each system built in parts (a module exporting the system exports them all). */
export const PARTS_OF_SYSTEM: Readonly<Partial<Record<WasmSystem, readonly WasmPart[]>>> = {
${record([...new Set(parts.map((p) => p.system))].map((id) => [id, `[${parts.filter((p) => p.system === id).map((p) => q(p.id)).join(', ')}]`]))}
};

/**
 * The systems (or API parts) whose JS API each module exports. What they are built on in the core
 * (energy and tempcard on the ledger) is compiled in but not exported: the energy module has no \`Ledger\`.
 */
export const MODULE_SYSTEMS: Readonly<Record<WasmModuleName, readonly (WasmSystem | WasmPart)[]>> = {
${record(manifest.modules.map((m) => [m.name, `[${m.systems.map(q).join(', ')}]`]))}
};

/** Each module's gzip -9 size budget in bytes (\`scripts/build.sh\` fails above it). */
export const MODULE_GZIP_BUDGET_BYTES: Readonly<Record<WasmModuleName, number>> = {
${record(manifest.modules.map((m) => [m.name, String(m.gzipBudgetBytes)]))}
};

/** Each system's name, for messages. */
export const SYSTEM_NAMES: Readonly<Record<WasmSystem, string>> = {
${record(all.map((u) => [u.id, q(u.name)]))}
};
`;
}

const INDEX_BEGIN = '<!-- systems: generated from systems.json by `node scripts/manifest.mjs write`; edit systems.json -->';
const INDEX_END = '<!-- end of generated systems -->';

function escapeHtml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The `<li>` of every system, available ones linked to their demo page. */
export function renderIndexSystems(manifest) {
  const indent = '        ';
  return manifest.systems
    .map((s) => {
      const name = `<span data-testid="system-name">${escapeHtml(s.name)}</span>`;
      const attrs = `data-testid="system" data-system="${s.id}" data-number="${s.number}" data-status="${s.status}"`;
      const heading =
        s.status === 'available'
          ? `<h3><a href="${escapeHtml(path.posix.relative('examples-web', s.parts.demo))}" data-testid="system-link">${name}</a> <span class="status available">available</span></h3>`
          : `<h3>${name} <span class="status coming">coming</span></h3>`;
      return [
        `${indent}<li ${s.status === 'available' ? 'class="available" ' : ''}${attrs}>`,
        `${indent}  ${heading}`,
        `${indent}  <p>${escapeHtml(s.summary)}</p>`,
        `${indent}</li>`,
      ].join('\n');
    })
    .join('\n');
}

/** `html` (examples-web/index.html) with the text between the markers regenerated. */
export function generateIndexHtml(manifest, html) {
  const begin = html.indexOf(INDEX_BEGIN);
  const end = html.indexOf(INDEX_END);
  if (begin < 0 || end < begin) throw new Error(`examples-web/index.html: the markers ${INDEX_BEGIN} ... ${INDEX_END} are missing`);
  return `${html.slice(0, begin + INDEX_BEGIN.length)}\n${renderIndexSystems(manifest)}\n        ${html.slice(end)}`;
}

/** Each generated file with its fresh content. */
export function generatedFiles(manifest) {
  return [
    { file: MANIFEST_TS_PATH, content: generateManifestTs(manifest) },
    { file: INDEX_HTML_PATH, content: generateIndexHtml(manifest, readFileSync(INDEX_HTML_PATH, 'utf8')) },
  ];
}

// ---- wasm/Cargo.toml ---------------------------------------------------------------------------

/** The `[features]` table of a Cargo.toml: name -> list (only the `name = [..]` form is used). */
export function parseCargoFeatures(toml) {
  const features = {};
  let inFeatures = false;
  for (const line of toml.split('\n')) {
    const trimmed = line.replace(/#.*$/, '').trim();
    if (trimmed.startsWith('[')) {
      inFeatures = trimmed === '[features]';
      continue;
    }
    if (!inFeatures || trimmed === '') continue;
    const match = /^([A-Za-z0-9_-]+)\s*=\s*\[(.*)\]$/.exec(trimmed);
    if (match === null) throw new Error(`wasm/Cargo.toml [features]: cannot read ${JSON.stringify(line)} (one line per feature)`);
    features[match[1]] = [...match[2].matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  }
  return features;
}

/**
 * Differences between wasm/Cargo.toml's features and the manifest, as sentences ([] = agree):
 * one feature per system, whose list is ANY_SYSTEM_FEATURE alone, or for a system with API parts
 * its parts' features `<system>-<part>`, each ANY_SYSTEM_FEATURE alone (a feature compiles the system's
 * adapter, its JS API; what the system depends on is core code, always compiled, so a feature
 * never enables another system's API); ANY_SYSTEM_FEATURE itself empty; `default` = the
 * everything-module's systems; nothing else.
 */
export function checkCargoFeatures(manifest, toml = readFileSync(CARGO_TOML_PATH, 'utf8')) {
  const features = parseCargoFeatures(toml);
  const problems = [];
  const sorted = (list) => [...list].sort().join(', ');
  const expected = { default: moduleNamed(manifest, ALL_MODULE).systems, [ANY_SYSTEM_FEATURE]: [] };
  const parts = apiParts(manifest);
  for (const unit of units(manifest)) {
    // A system built in API parts: its feature is all of them (the everything-module's default
    // lists the system), each part's feature compiles that part's adapter alone.
    const own = parts.filter((p) => p.system === unit.id);
    expected[unit.id] = own.length > 0 ? own.map((p) => p.feature) : [ANY_SYSTEM_FEATURE];
  }
  for (const part of parts) expected[part.feature] = [ANY_SYSTEM_FEATURE];
  for (const [name, list] of Object.entries(expected)) {
    if (features[name] === undefined) problems.push(`feature ${name} is missing (expected [${sorted(list)}])`);
    else if (sorted(features[name]) !== sorted(list)) problems.push(`feature ${name} = [${sorted(features[name])}], expected [${sorted(list)}]`);
  }
  for (const name of Object.keys(features)) if (expected[name] === undefined) problems.push(`feature ${name} is not in systems.json`);
  return problems;
}

// ---- command line ------------------------------------------------------------------------------

const HELP = `node scripts/manifest.mjs <command>
  modules              every module name, one a line (the everything-module first)
  systems              the available systems' ids
  units                what a module may export: available systems and optional primitives (Cargo features)
  parts                the API parts (<system>.<part>), each a Cargo feature <system>-<part>
  features <module>    the Cargo features of the JS APIs the module exports, comma-separated
  cargo-args <module>  the cargo build arguments selecting them, one a line
  dir <module>         its directory under the wasm output ('' for ${ALL_MODULE})
  budget <module>      its gzip -9 budget in bytes
  vector-tests         the cargo test targets that run shared vectors
  sizes <wasm-dir>     the size table of the modules built in <wasm-dir>; exit 1 if one is over budget
  write                regenerate sdk-ts/src/manifest.ts and the system list of examples-web/index.html
  check                exit 1 if a generated file is stale or wasm/Cargo.toml's features disagree

Adding a system: add it to "systems" in systems.json (status "coming" until it has every part),
then with status "available" its parts (core/src/<id>/, wasm/src/<id>.rs, sdk-ts/src/<id>.ts,
tests/vectors/<id>/ and core/tests/<id>_vectors.rs, examples-web/<id>.html, docs/<id>.md), a
feature in wasm/Cargo.toml (["${ANY_SYSTEM_FEATURE}"]) and \`mod <id>;\` in wasm/src/lib.rs, its
own module in "modules" listing only <id>, then \`node scripts/manifest.mjs write\`. A module's
"systems" are the JS APIs it exports; "dependsOn" (e.g. the ledger) is core code compiled in
with the system, not exported: a page that also uses the ledger's own API needs a module listing
both (today only ${ALL_MODULE}; add one only when a page needs it). tests/manifest.test.mjs says what is missing.
A system whose halves pages use apart (transfer: resolver, lifecycle) declares "apiParts"
(<part>: summary, adapter, sdk), a feature <id>-<part> per part with <id> = its parts'
features, and a module <id>-<part> per part listing "<id>.<part>" (HACKING.md, API parts).
Its serde types get the core's \`ts\` derive (export_to "<id>.ts"), its roots a line in
core/tests/ts_types.rs; \`bash scripts/types.sh\` writes sdk-ts/src/generated/<id>.ts for sdk-ts/src/<id>.ts.`;

function main(argv) {
  const [command, arg] = argv;
  const manifest = readManifest();
  const needArg = () => {
    if (arg === undefined) throw new Error(`${command} needs an argument\n${HELP}`);
    return arg;
  };
  switch (command) {
    case 'modules':
      return manifest.modules.map((m) => m.name).join('\n');
    case 'systems':
      return manifest.systems.filter((s) => s.status === 'available').map((s) => s.id).join('\n');
    case 'units':
      return units(manifest).map((u) => u.id).join('\n');
    case 'parts':
      return apiParts(manifest).map((p) => p.id).join('\n');
    case 'features':
      return moduleNamed(manifest, needArg()).systems.map(featureOf).join(',');
    case 'cargo-args':
      return cargoArgs(manifest, needArg()).join('\n');
    case 'dir':
      return moduleDir(moduleNamed(manifest, needArg()).name);
    case 'budget':
      return String(moduleNamed(manifest, needArg()).gzipBudgetBytes);
    case 'vector-tests':
      return vectorTests(manifest).join('\n');
    case 'sizes': {
      const rows = measureModules(manifest, needArg());
      const over = rows.filter((r) => r.over);
      const table = sizeTable(rows);
      if (over.length > 0) {
        process.exitCode = 1;
        return `${table}\n\nover budget (gzip -9): ${over.map((r) => `${r.name} ${r.gzipBytes} > ${r.budgetBytes} bytes`).join('; ')}`;
      }
      return table;
    }
    case 'write': {
      const changed = [];
      for (const { file, content } of generatedFiles(manifest)) {
        if (existsSync(file) && readFileSync(file, 'utf8') === content) continue;
        writeFileSync(file, content);
        changed.push(path.relative(REPO_ROOT, file));
      }
      return changed.length > 0 ? `wrote ${changed.join(', ')}` : 'generated files are up to date';
    }
    case 'check': {
      const problems = [...checkCargoFeatures(manifest)];
      for (const { file, content } of generatedFiles(manifest)) {
        if (!existsSync(file) || readFileSync(file, 'utf8') !== content) problems.push(`${path.relative(REPO_ROOT, file)} is stale: run node scripts/manifest.mjs write`);
      }
      if (problems.length > 0) {
        process.exitCode = 1;
        return `systems.json disagrees with:\n  ${problems.join('\n  ')}`;
      }
      return 'ok';
    }
    case 'help':
    case undefined:
      return HELP;
    default:
      throw new Error(`unknown command ${JSON.stringify(command)}\n${HELP}`);
  }
}

const invokedDirectly = process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url;
if (invokedDirectly) {
  try {
    const out = main(process.argv.slice(2));
    if (out !== '') console.log(out);
  } catch (err) {
    console.error(`manifest: ${err.message}`);
    process.exitCode = 2;
  }
}
