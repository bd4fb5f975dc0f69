// The WebAssembly modules and the systems they hold, for the loader (loader.ts).
// Generated from systems.json by `node scripts/manifest.mjs write`: edit systems.json, not this (tests/manifest.test.mjs checks it is fresh).

/** A WebAssembly module the package ships (`init({ system })`). */
export type WasmModuleName = 'all' | 'primitives' | 'card' | 'ledger' | 'tempcard' | 'energy' | 'shelf' | 'dose' | 'dose-device' | 'dose-escalation' | 'custody' | 'custody-book' | 'custody-liabilities' | 'custody-keys' | 'ecash' | 'relay' | 'transfer' | 'transfer-resolve' | 'transfer-lifecycle' | 'pos' | 'terminal';

/** A system (or primitive with its own feature) whose JS API a module may export, which SDK classes ask for. */
export type WasmSystem = 'card' | 'tempcard' | 'energy' | 'pos' | 'relay' | 'ecash' | 'transfer' | 'custody' | 'dose' | 'shelf' | 'ledger';

/**
 * A part of a system's JS API that has modules of its own (`init({ systems: ['transfer.resolve'] })`):
 * `<system>.<part>`. The system's id alone means every one of its parts.
 */
export type WasmPart = 'transfer.resolve' | 'transfer.lifecycle' | 'custody.book' | 'custody.liabilities' | 'custody.keys' | 'dose.device' | 'dose.escalation';

/** Every module, in manifest order (the everything-module first). */
export const MODULE_NAMES = ['all', 'primitives', 'card', 'ledger', 'tempcard', 'energy', 'shelf', 'dose', 'dose-device', 'dose-escalation', 'custody', 'custody-book', 'custody-liabilities', 'custody-keys', 'ecash', 'relay', 'transfer', 'transfer-resolve', 'transfer-lifecycle', 'pos', 'terminal'] as const;

/** Every system a module may hold, in manifest order. */
export const SYSTEM_IDS = ['card', 'tempcard', 'energy', 'pos', 'relay', 'ecash', 'transfer', 'custody', 'dose', 'shelf', 'ledger'] as const;

/** Every API part, in manifest order. */
export const PART_IDS = ['transfer.resolve', 'transfer.lifecycle', 'custody.book', 'custody.liabilities', 'custody.keys', 'dose.device', 'dose.escalation'] as const;

/** The API parts of each system built in parts (a module exporting the system exports them all). */
export const PARTS_OF_SYSTEM: Readonly<Partial<Record<WasmSystem, readonly WasmPart[]>>> = {
  transfer: ['transfer.resolve', 'transfer.lifecycle'],
  custody: ['custody.book', 'custody.liabilities', 'custody.keys'],
  dose: ['dose.device', 'dose.escalation'],
};

/**
 * The systems (or API parts) whose JS API each module exports. What they are built on in the core
 * (energy and tempcard on the ledger) is compiled in but not exported: the energy module has no `Ledger`.
 */
export const MODULE_SYSTEMS: Readonly<Record<WasmModuleName, readonly (WasmSystem | WasmPart)[]>> = {
  all: ['card', 'ledger', 'tempcard', 'energy', 'shelf', 'dose', 'custody', 'ecash', 'relay', 'transfer', 'pos'],
  primitives: [],
  card: ['card'],
  ledger: ['ledger'],
  tempcard: ['tempcard'],
  energy: ['energy'],
  shelf: ['shelf'],
  dose: ['dose'],
  'dose-device': ['dose.device'],
  'dose-escalation': ['dose.escalation'],
  custody: ['custody'],
  'custody-book': ['custody.book'],
  'custody-liabilities': ['custody.liabilities'],
  'custody-keys': ['custody.keys'],
  ecash: ['ecash'],
  relay: ['relay'],
  transfer: ['transfer'],
  'transfer-resolve': ['transfer.resolve'],
  'transfer-lifecycle': ['transfer.lifecycle'],
  pos: ['pos'],
  terminal: ['pos', 'relay'],
};

/** Each module's gzip -9 size budget in bytes (`scripts/build.sh` fails above it). */
export const MODULE_GZIP_BUDGET_BYTES: Readonly<Record<WasmModuleName, number>> = {
  all: 837632,
  primitives: 99328,
  card: 200704,
  ledger: 179200,
  tempcard: 198656,
  energy: 203776,
  shelf: 159744,
  dose: 196608,
  'dose-device': 163840,
  'dose-escalation': 144384,
  custody: 256000,
  'custody-book': 203776,
  'custody-liabilities': 130048,
  'custody-keys': 109568,
  ecash: 185344,
  relay: 200704,
  transfer: 265216,
  'transfer-resolve': 182272,
  'transfer-lifecycle': 188416,
  pos: 171008,
  terminal: 244736,
};

/** Each system's name, for messages. */
export const SYSTEM_NAMES: Readonly<Record<WasmSystem, string>> = {
  card: 'Card usage counter set by a companion app',
  tempcard: 'Limited-use temporary credit account',
  energy: 'E-money pre-authorisation for refuelling and EV charging',
  pos: 'POS at event spaces with intermittent networks',
  relay: 'Token transactions through a relay device',
  ecash: 'Offline electronic cash on a smart card',
  transfer: 'Value transfer between providers',
  custody: 'Crypto custody with proof of liabilities',
  dose: 'Patient state after a drug injection',
  shelf: 'Untidy returns judged by weight',
  ledger: 'Ledger',
};
