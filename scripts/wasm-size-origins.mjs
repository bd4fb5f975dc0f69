#!/usr/bin/env node
// Where the bytes of a wasm module come from: code bytes per origin (crate, countersign module,
// serde, BTreeMap monomorphs, core::fmt) and the largest functions, read from the module's `name`
// section. No tool to install (twiggy and wasm-tools would have to be built from crates.io).
//
// Needs a build whose function names survive (the release profile strips them):
//   CARGO_PROFILE_RELEASE_STRIP=false cargo build -p countersign-wasm --release \
//     --target wasm32-unknown-unknown $(node scripts/manifest.mjs cargo-args <module>)
//   node scripts/wasm-size-origins.mjs target/wasm32-unknown-unknown/release/countersign_wasm.wasm [top] [filter]
// (the profile change rebuilds the dependencies once, ~1 min; `top` rows per table, default 40;
// `filter` a regular expression over function names). Sizes are raw code bytes, before gzip:
// they rank what to cut, the gzip -9 table of `scripts/manifest.mjs sizes` says what it bought.
// HACKING.md "Wasm size budget" quotes its output.

import { readFileSync } from 'node:fs';

/** Larger than any module we build (1.3 MB raw today) by far; a guard against a wrong path. */
const FILE_BYTES_MAX = 64 * 1024 * 1024;
const WASM_MAGIC = '0061736d';
const SECTION_CUSTOM = 0;
const SECTION_IMPORT = 2;
const SECTION_CODE = 10;
const SECTION_DATA = 11;
const NAME_SUBSECTION_FUNCTIONS = 1;
const IMPORT_KIND_FUNCTION = 0;

const [file, topArg, filterArg] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node scripts/wasm-size-origins.mjs <unstripped.wasm> [top] [filter-regex]\n');
  process.exit(2);
}
const top = Number(topArg ?? 40);
const filter = filterArg === undefined ? null : new RegExp(filterArg);
const bytes = readFileSync(file);
if (bytes.length > FILE_BYTES_MAX || bytes.subarray(0, 4).toString('hex') !== WASM_MAGIC) {
  throw new Error(`${file}: not a wasm module of at most ${FILE_BYTES_MAX} bytes`);
}

let at = 8; // after magic and version
function leb() {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= bytes.length || shift > 28) throw new Error(`${file}: bad LEB128 at ${at}`);
    const byte = bytes[at++];
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return value >>> 0;
    shift += 7;
  }
}
function name() {
  const length = leb();
  const text = bytes.subarray(at, at + length).toString('utf8');
  at += length;
  return text;
}
/** Each count read from the file is bounded by the bytes left, so no loop runs away. */
function count() {
  const n = leb();
  if (n > bytes.length - at) throw new Error(`${file}: count ${n} at ${at} exceeds the file`);
  return n;
}

let importedFunctions = 0;
const bodySizes = [];
const functionNames = new Map();
let dataBytes = 0;
let namesFound = false;
while (at < bytes.length) {
  const id = bytes[at++];
  const size = leb();
  const end = at + size;
  if (id === SECTION_CUSTOM && name() === 'name') {
    namesFound = true;
    while (at < end) {
      const sub = bytes[at++];
      const subEnd = leb() + at;
      if (sub === NAME_SUBSECTION_FUNCTIONS) {
        for (let i = count(); i > 0; i--) functionNames.set(leb(), name());
      }
      at = subEnd;
    }
  } else if (id === SECTION_IMPORT) {
    for (let i = count(); i > 0; i--) {
      name();
      name();
      const kind = bytes[at++];
      if (kind === IMPORT_KIND_FUNCTION) {
        leb();
        importedFunctions++;
      } else if (kind === 1) { // table: reftype, limits
        at++;
        const flags = bytes[at++];
        leb();
        if (flags & 1) leb();
      } else if (kind === 2) { // memory: limits
        const flags = bytes[at++];
        leb();
        if (flags & 1) leb();
      } else { // global: valtype, mutability
        at += 2;
      }
    }
  } else if (id === SECTION_CODE) {
    for (let i = count(); i > 0; i--) {
      const bodySize = leb();
      bodySizes.push(bodySize);
      at += bodySize;
    }
  } else if (id === SECTION_DATA) {
    dataBytes = size;
  }
  at = end;
}
if (!namesFound) process.stderr.write(`${file}: no name section (a stripped build?): origins will be unknown\n`);

/**
 * Rust's legacy mangling (`_ZN…17h<hash>E`) to a path; v0 names (`_R…`) are left as they are. A
 * name wasm-bindgen already demangled from v0 (`countersign_core[1348605b8286dc46]::ledger::…`)
 * loses its crate disambiguators, so it is bucketed like a legacy one.
 */
function demangle(symbol) {
  if (!symbol.startsWith('_ZN')) return symbol.replace(/\[[0-9a-f]{16}\]/g, '');
  const parts = [];
  let i = 3;
  while (i < symbol.length && symbol[i] !== 'E') {
    const digits = /^\d+/.exec(symbol.slice(i));
    if (digits === null) break;
    i += digits[0].length;
    parts.push(symbol.slice(i, i + Number(digits[0])));
    i += Number(digits[0]);
  }
  if (parts.length > 0 && /^h[0-9a-f]{16}$/.test(parts.at(-1))) parts.pop();
  const escapes = { LT: '<', GT: '>', RF: '&', BP: '*', C: ',', u20: ' ', u27: "'", u3b: ';', u5b: '[', u5d: ']', u7b: '{', u7d: '}' };
  return parts
    .join('::')
    .replace(/\$([A-Za-z0-9]+)\$/g, (all, code) => escapes[code] ?? all)
    .replace(/\.\./g, '::')
    .replace(/^_</, '<');
}

/** The bucket a function's bytes count towards. Serde and BTreeMap first: their monomorphs carry
 *  the name of the crate that instantiated them, which would hide what they cost together. */
function origin(fn) {
  if (/serde|Serializ|Deserializ|Visitor/.test(fn)) return 'serde (all (de)serialisation code)';
  if (/alloc::collections::btree/.test(fn)) return 'BTreeMap/BTreeSet monomorphs';
  if (/core::fmt|fmt::Display|fmt::Debug|fmt::Write|flt2dec/.test(fn)) return 'core::fmt';
  const ours = /countersign_(core|wasm)::([a-z_0-9]+)/.exec(fn);
  if (ours !== null && fn.indexOf(ours[0]) <= 2) return `${ours[1]}::${ours[2]}`;
  const crate = /^<?[&*]*(?:impl )?([A-Za-z_][A-Za-z0-9_]*)::/.exec(fn);
  if (crate !== null) return crate[1];
  if (/_[0-9a-f]{16}$/.test(fn)) return 'exported entry points (adapter and the core code inlined into them)';
  return fn.startsWith('_R') ? 'std (v0-mangled)' : 'other';
}

const functions = bodySizes.map((size, i) => ({ size, name: demangle(functionNames.get(i + importedFunctions) ?? `#${i + importedFunctions}`) }));
const selected = functions.filter((f) => filter === null || filter.test(f.name));
const codeBytes = selected.reduce((sum, f) => sum + f.size, 0);
const byOrigin = new Map();
for (const f of selected) byOrigin.set(origin(f.name), (byOrigin.get(origin(f.name)) ?? 0) + f.size);

const row = (size, label) => `${String(size).padStart(9)}  ${label}`;
console.log(`${file}: ${bytes.length} bytes, data section ${dataBytes}, ${selected.length} functions with ${codeBytes} code bytes${filter ? ` matching ${filter}` : ''}`);
console.log('\ncode bytes by origin');
for (const [label, size] of [...byOrigin].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(row(size, label));
console.log('\nlargest functions');
for (const f of [...selected].sort((a, b) => b.size - a.size).slice(0, top)) console.log(row(f.size, f.name.slice(0, 160)));
