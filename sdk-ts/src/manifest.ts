// The WebAssembly modules and the systems they hold, for the loader (loader.ts).
// Generated from systems.json by `node scripts/manifest.mjs write`: edit systems.json, not this (tests/manifest.test.mjs checks it is fresh).

/** A WebAssembly module the package ships (`init({ system })`). */
export type WasmModuleName = 'all' | 'primitives' | 'card' | 'ledger' | 'tempcard' | 'energy' | 'shelf';

/** A system (or primitive with its own feature) a module may hold, which SDK classes ask for. */
export type WasmSystem = 'card' | 'tempcard' | 'energy' | 'shelf' | 'ledger';

/** Every module, in manifest order (the everything-module first). */
export const MODULE_NAMES = ['all', 'primitives', 'card', 'ledger', 'tempcard', 'energy', 'shelf'] as const;

/** Every system a module may hold, in manifest order. */
export const SYSTEM_IDS = ['card', 'tempcard', 'energy', 'shelf', 'ledger'] as const;

/** The systems each module holds (closed under dependencies). */
export const MODULE_SYSTEMS: Readonly<Record<WasmModuleName, readonly WasmSystem[]>> = {
  all: ['card', 'ledger', 'tempcard', 'energy', 'shelf'],
  primitives: [],
  card: ['card'],
  ledger: ['ledger'],
  tempcard: ['tempcard', 'ledger'],
  energy: ['energy', 'ledger'],
  shelf: ['shelf'],
};

/** Each module's gzip -9 size budget in bytes (`scripts/build.sh` fails above it). */
export const MODULE_GZIP_BUDGET_BYTES: Readonly<Record<WasmModuleName, number>> = {
  all: 436224,
  primitives: 104448,
  card: 204800,
  ledger: 183296,
  tempcard: 232448,
  energy: 254976,
  shelf: 164864,
};

/** What each system is built on (direct dependencies). */
export const SYSTEM_DEPENDENCIES: Readonly<Record<WasmSystem, readonly WasmSystem[]>> = {
  card: [],
  tempcard: ['ledger'],
  energy: ['ledger'],
  shelf: [],
  ledger: [],
};

/** Each system's name, for messages. */
export const SYSTEM_NAMES: Readonly<Record<WasmSystem, string>> = {
  card: 'Card usage counter set by a companion app',
  tempcard: 'Limited-use temporary credit account',
  energy: 'E-money pre-authorisation for refuelling and EV charging',
  shelf: 'Untidy returns judged by weight',
  ledger: 'Ledger',
};
