/**
 * Loading the WebAssembly module, and starting a fresh instance after a trap.
 *
 * One glue file (wasm-bindgen `--target web`) and one `.wasm` serve every platform. In Node the
 * `node` entry instantiates it synchronously on import (no top-level await); in browsers the
 * caller awaits `init()`, which is idempotent and memoised. Using the SDK before the module is
 * ready throws `NOT_INITIALIZED` with instructions instead of an obscure glue error.
 *
 * The loader keeps the compiled `WebAssembly.Module`. After a trap (see instance.ts) the next
 * `init()` imports a *fresh copy* of the glue (the same file with a `?instance=N` query, so the
 * module loader evaluates it anew) and instantiates the kept module with it. A fresh glue copy,
 * rather than resetting the old one, matters: the old glue's FinalizationRegistry callbacks
 * still free pointers of the old instance, and must never reach the new instance's memory.
 */
import * as firstGlue from '../wasm/countersign_wasm.js';
import { guardFunction, ownData, raw as rawParam, readCallerObject, toSdkError } from './boundary.js';
import { CountersignError, fromWasmError } from './errors.js';
import { isTrapped, noteRecovered } from './instance.js';
import {
  MODULE_GZIP_BUDGET_BYTES,
  MODULE_NAMES,
  MODULE_SYSTEMS,
  PARTS_OF_SYSTEM,
  PART_IDS,
  SYSTEM_IDS,
  type WasmModuleName,
  type WasmPart,
  type WasmSystem,
} from './manifest.js';

/** What `init()` accepts: where to fetch the module, its bytes, or a compiled module. */
export type InitInput =
  | string
  | URL
  | Request
  | Response
  | Promise<Response>
  | BufferSource
  | WebAssembly.Module;

/** @internal The raw wasm-bindgen exports. */
export type RawModule = typeof firstGlue;

// The modules, the systems each holds and their budgets are listed once, in systems.json at the
// repository root; manifest.ts is generated from it (a JSON import would need import
// attributes, which not every bundler and browser accepts).
/**
 * The WebAssembly modules the package ships: each system's own (with the primitives and, inside,
 * what the system is built on), the primitives alone, or `'all'` (the default, and always in
 * Node). A page loads exactly one.
 */
export type { WasmModuleName, WasmPart, WasmSystem };
export const WASM_MODULES: readonly WasmModuleName[] = Object.freeze([...MODULE_NAMES]);

/**
 * What `init({ systems })` and the SDK's classes name: a system (all of its JS API), or one part
 * of a system built in parts, `'<system>.<part>'` (`'transfer.resolve'`: the resolver chain,
 * identifier checks and format adapters, without the transfer lifecycle).
 */
export type WasmApi = WasmSystem | WasmPart;

/**
 * The systems (or parts) whose JS API each module exports. The energy and tempcard modules run a
 * ledger inside their system but do not export the `Ledger` class: a page using both needs `'all'`.
 */
const SYSTEMS_IN: Readonly<Record<WasmModuleName, readonly WasmApi[]>> = MODULE_SYSTEMS;

/** `init({ systems })` names at most this many systems and parts (each at most once). */
const INIT_SYSTEMS_MAX = SYSTEM_IDS.length + PART_IDS.length;

/** Every name `init({ systems })` accepts: the systems, then the parts. */
const API_NAMES: readonly string[] = [...SYSTEM_IDS, ...PART_IDS];

/**
 * `apis` as the JS APIs that do not overlap: a system built in parts (`'transfer'`) is every one
 * of its parts, anything else itself. Whether a module has what is asked is decided on these, so
 * the `'transfer'` module serves `'transfer.resolve'` and a `'transfer-resolve'` module does not
 * serve `'transfer'`.
 */
function leavesOf(apis: readonly string[], partsOf: Readonly<Record<string, readonly string[] | undefined>>): string[] {
  return apis.flatMap((api) => partsOf[api] ?? [api]);
}

/** `init()` options: which module to load, and optionally where its `.wasm` is. */
export interface InitOptions {
  /** A module by name. Default `'all'`. In Node every system is always loaded, and this is ignored. */
  readonly system?: WasmModuleName;
  /**
   * Instead of `system`: the systems the page uses, e.g. `['card', 'ledger']`. `init` loads the
   * smallest module (by gzip budget) exporting all of them, not necessarily the one with
   * everything. Name every class family the page calls: `['energy']` has no `Ledger` class
   * (the energy server's own ledger is inside it), `['energy', 'ledger']` has.
   *
   * A system built in parts can be named by the part the page uses, `'<system>.<part>'`:
   * `['transfer.resolve']` (resolver, identifier checks, format adapters) loads a module without
   * the transfer lifecycle, `['transfer.lifecycle']` (`TransferBook`) one without the resolver;
   * `['transfer']` is both.
   */
  readonly systems?: readonly WasmApi[];
  /** The `.wasm` of that module, when it is not next to the SDK (default `../wasm/<system>/`). */
  readonly module?: InitInput;
}

/** @internal What `smallestModuleHolding` chooses from (the package's own table by default). */
export interface ModuleTable {
  readonly modules: readonly WasmModuleName[];
  readonly systemsIn: Readonly<Record<WasmModuleName, readonly WasmApi[]>>;
  readonly budgetBytes: Readonly<Record<WasmModuleName, number>>;
  /** The parts of each system built in parts (none when absent). */
  readonly partsOf?: Readonly<Partial<Record<WasmSystem, readonly WasmPart[]>>>;
}

const PACKAGE_MODULES: ModuleTable = {
  modules: MODULE_NAMES,
  systemsIn: MODULE_SYSTEMS,
  budgetBytes: MODULE_GZIP_BUDGET_BYTES,
  partsOf: PARTS_OF_SYSTEM,
};

/** The JS APIs of `apis` that module `name` lacks (as parts when a whole system is asked for). */
function lacking(apis: readonly WasmApi[], name: WasmModuleName, table: ModuleTable = PACKAGE_MODULES): WasmApi[] {
  const partsOf = table.partsOf ?? {};
  const has = leavesOf(table.systemsIn[name], partsOf);
  return leavesOf(apis, partsOf).filter((api) => !has.includes(api)) as WasmApi[];
}

/**
 * @internal The smallest module (by gzip budget; the first listed on a tie) exporting every one
 * of `systems` (systems or parts), or undefined when none does. What a system is built on is
 * compiled into every module exporting it, so only the JS APIs asked for count.
 */
export function smallestModuleHolding(systems: readonly WasmApi[], table: ModuleTable = PACKAGE_MODULES): WasmModuleName | undefined {
  let best: WasmModuleName | undefined;
  for (const name of table.modules) {
    if (lacking(systems, name, table).length > 0) continue;
    if (best === undefined || table.budgetBytes[name] < table.budgetBytes[best]) best = name;
  }
  return best;
}

let raw: RawModule = firstGlue;
let loaded: WasmModuleName = 'all';
/** The glue of the loaded module (a fresh copy of it is imported after a trap). */
let glueUrl = new URL('../wasm/countersign_wasm.js', import.meta.url);
let ready = false;
let pending: Promise<void> | undefined;
/** The compiled module, kept to instantiate again after a trap. */
let compiled: WebAssembly.Module | undefined;

/** @internal Called by the Node entry after its synchronous instantiation of `module`. */
export function markReady(module: WebAssembly.Module): void {
  compiled = module;
  ready = true;
}

/** True once the WebAssembly module is instantiated (and not trapped since). */
export const isInitialized = guardFunction(function isInitialized(): boolean {
  return ready && !isTrapped();
}, []);

function isInitInput(input: unknown): input is InitInput {
  return (
    typeof input === 'string' ||
    input instanceof URL ||
    (typeof Request !== 'undefined' && input instanceof Request) ||
    (typeof Response !== 'undefined' && input instanceof Response) ||
    input instanceof Promise ||
    input instanceof ArrayBuffer ||
    ArrayBuffer.isView(input) ||
    input instanceof WebAssembly.Module
  );
}

function isInitOptions(input: unknown): input is InitOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  const proto: unknown = Object.getPrototypeOf(input);
  return proto === Object.prototype || proto === null;
}

/**
 * Where module `name`'s glue and `.wasm` are, next to the SDK. Each glue URL is written out as a
 * literal `new URL('…', import.meta.url)`, the form bundlers recognise (Vite: tests/bundler/): they
 * ship the glue file as an asset and rewrite the URL, so `init({ system })` can import it at run
 * time, and so can recovery after a trap. So is the `.wasm` of `'all'` (its glue, bundled with
 * the SDK, names it too: the bundle ships it anyway), so a bare `init()` works in a bundle. The
 * other modules' `.wasm` URLs are built, which bundlers leave alone (a bundle does not carry every
 * module's `.wasm`): in a bundle, pass the one you load as `init({ system, module })`.
 * Adding a module means adding its literal glue URL here (the table's type asks for it).
 */
function moduleUrls(name: WasmModuleName): { glue: URL; wasm: URL } {
  const glue: Record<WasmModuleName, () => URL> = {
    all: () => new URL('../wasm/countersign_wasm.js', import.meta.url),
    primitives: () => new URL('../wasm/primitives/countersign_wasm.js', import.meta.url),
    card: () => new URL('../wasm/card/countersign_wasm.js', import.meta.url),
    ledger: () => new URL('../wasm/ledger/countersign_wasm.js', import.meta.url),
    tempcard: () => new URL('../wasm/tempcard/countersign_wasm.js', import.meta.url),
    energy: () => new URL('../wasm/energy/countersign_wasm.js', import.meta.url),
    shelf: () => new URL('../wasm/shelf/countersign_wasm.js', import.meta.url),
    dose: () => new URL('../wasm/dose/countersign_wasm.js', import.meta.url),
    'dose-device': () => new URL('../wasm/dose-device/countersign_wasm.js', import.meta.url),
    'dose-escalation': () => new URL('../wasm/dose-escalation/countersign_wasm.js', import.meta.url),
    custody: () => new URL('../wasm/custody/countersign_wasm.js', import.meta.url),
    'custody-book': () => new URL('../wasm/custody-book/countersign_wasm.js', import.meta.url),
    'custody-liabilities': () => new URL('../wasm/custody-liabilities/countersign_wasm.js', import.meta.url),
    'custody-keys': () => new URL('../wasm/custody-keys/countersign_wasm.js', import.meta.url),
    ecash: () => new URL('../wasm/ecash/countersign_wasm.js', import.meta.url),
    relay: () => new URL('../wasm/relay/countersign_wasm.js', import.meta.url),
    transfer: () => new URL('../wasm/transfer/countersign_wasm.js', import.meta.url),
    'transfer-resolve': () => new URL('../wasm/transfer-resolve/countersign_wasm.js', import.meta.url),
    'transfer-lifecycle': () => new URL('../wasm/transfer-lifecycle/countersign_wasm.js', import.meta.url),
    pos: () => new URL('../wasm/pos/countersign_wasm.js', import.meta.url),
    terminal: () => new URL('../wasm/terminal/countersign_wasm.js', import.meta.url),
  };
  // Not `../wasm/${name}/…`: Vite would turn such a template into a glob and ship every `.wasm`.
  const dir = `../wasm/${name}/`;
  const wasm = name === 'all' ? new URL('../wasm/countersign_wasm_bg.wasm', import.meta.url) : new URL(`${dir}countersign_wasm_bg.wasm`, import.meta.url);
  return { glue: glue[name](), wasm };
}

/** Compiles whatever `init()` was given; streams when the server sends `application/wasm`. */
async function compile(input: InitInput): Promise<WebAssembly.Module> {
  if (input instanceof WebAssembly.Module) return input;
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return WebAssembly.compile(input);
  const response: Response =
    typeof input === 'string' || input instanceof URL || (typeof Request !== 'undefined' && input instanceof Request)
      ? await fetch(input)
      : await (input as Response | Promise<Response>);
  if (!response.ok) throw new Error(`fetching ${response.url || 'the module'} failed: HTTP ${response.status}`);
  const streamable = response.headers.get('Content-Type') === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function';
  return streamable ? WebAssembly.compileStreaming(response) : WebAssembly.compile(await response.arrayBuffer());
}

/** A fresh glue copy bound to a new instance of the kept module. */
async function instantiateFresh(): Promise<void> {
  const module = compiled;
  if (module === undefined) throw new Error('no compiled module to instantiate again');
  // A query string makes the module loader evaluate the glue again: new private state.
  const url = new URL(`?instance=${Date.now()}-${Math.random()}`, glueUrl);
  const glue = (await import(/* @vite-ignore */ /* webpackIgnore: true */ url.href)) as RawModule;
  glue.initSync({ module });
  raw = glue;
  noteRecovered();
}

/**
 * Instantiates the WebAssembly module. Idempotent: later calls return the same promise, and in
 * Node (where every system is ready on import) it resolves at once. With no argument the module
 * with every system is fetched from next to the SDK (`../wasm/countersign_wasm_bg.wasm`).
 *
 * `init({ system: 'card' })` loads the smaller module of one system (with the primitives):
 * `'primitives'`, `'card'`, `'ledger'`, `'tempcard'`, `'energy'`, `'shelf'`… ({@link WASM_MODULES};
 * tempcard and energy run their ledger inside, without exporting the `Ledger` class).
 * `init({ systems: ['card', 'ledger'] })` names what the page uses instead, and loads the
 * smallest module exporting all of it; a part of a system built in parts is named
 * `'<system>.<part>'` (`init({ systems: ['transfer.resolve'] })`). A page loads one module;
 * asking later for a system or part it lacks is `NOT_INITIALIZED`.
 *
 * After a call threw `WASM_TRAP`, `init()` starts a fresh instance (from the module compiled
 * the first time: nothing is fetched again); objects made before it must be loaded again from
 * their stores.
 */
export const init = guardFunction(function init(input?: InitInput | InitOptions): Promise<void> {
  // Not an async function: concurrent calls get the very same pending promise. Every failure
  // is a rejection, never a synchronous throw.
  try {
    return initOnce(readInitInput(input));
  } catch (e) {
    return Promise.reject(toSdkError(e, 'init'));
  }
}, [rawParam('input')]);

/** `init()`'s argument read once: options field by field (so a getter cannot answer one value
 * to the check and another to the use), a source as given (the platform reads it). */
function readInitInput(input: unknown): InitGiven {
  return readCallerObject('input', () => {
    if (!isInitOptions(input)) return { options: false, system: undefined, systems: undefined, source: input };
    const fields = input as Record<string, unknown>;
    return {
      options: true,
      system: ownData(fields.system, 'options.system'),
      systems: ownData(fields.systems, 'options.systems'),
      source: fields.module,
    };
  });
}

interface InitGiven {
  options: boolean;
  system: unknown;
  systems: unknown;
  source: unknown;
}

function invalidOption(param: string, kind: 'range' | 'type', message: string): Error {
  return fromWasmError({ code: kind === 'type' ? 'INVALID_TYPE' : 'INVALID_ARGUMENT', kind, param, message: `countersign: ${param}: ${message}` });
}

/** The module `init(options)` loads and the systems the caller needs from it. */
function chooseModule(given: InitGiven): { name: WasmModuleName; needed: readonly WasmApi[] } {
  if (given.system !== undefined && given.systems !== undefined) {
    throw invalidOption('options.systems', 'range', 'give options.system (a module) or options.systems (what the page uses), not both');
  }
  if (given.systems !== undefined) {
    const list = given.systems;
    if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) throw invalidOption('options.systems', 'type', 'must be an array of system names');
    if (list.length > INIT_SYSTEMS_MAX) throw invalidOption('options.systems', 'range', `names at most ${INIT_SYSTEMS_MAX} systems, got ${list.length}`);
    const unknown = (list as string[]).find((s) => !API_NAMES.includes(s));
    if (unknown !== undefined) throw invalidOption('options.systems', 'range', `must name systems among ${SYSTEM_IDS.join(', ')} (or parts ${PART_IDS.join(', ')}), got ${unknown}`);
    const needed = list as WasmApi[];
    const name = smallestModuleHolding(needed);
    // Unreachable while the manifest's check holds ('all' holds every system); kept so that a
    // broken table is a clear error rather than a wrong module.
    if (name === undefined) throw invalidOption('options.systems', 'range', `no module holds ${needed.join(', ')}`);
    return { name, needed };
  }
  if (given.system !== undefined && !WASM_MODULES.includes(given.system as WasmModuleName)) {
    throw fromWasmError({
      code: 'INVALID_ARGUMENT',
      kind: 'range',
      param: 'options.system',
      message: `countersign: options.system must be one of ${WASM_MODULES.join(', ')}, got ${typeof given.system === 'string' ? given.system : typeof given.system}`,
    });
  }
  const name = (given.system as WasmModuleName | undefined) ?? 'all';
  return { name, needed: SYSTEMS_IN[name] };
}

function initOnce(given: InitGiven): Promise<void> {
  if (ready && isTrapped()) {
    pending ??= instantiateFresh().then(
      () => {
        pending = undefined;
      },
      (cause: unknown) => {
        pending = undefined;
        throw new CountersignError(
          'NOT_INITIALIZED',
          `countersign: a fresh WebAssembly instance could not be started: ${cause instanceof Error ? cause.message : String(cause)}`,
        );
      },
    );
    return pending;
  }
  // Already loaded (Node, or a second call): resolves at once, unless options ask for a system
  // the loaded module lacks.
  if (ready && !given.options) return Promise.resolve();
  let name: WasmModuleName = 'all';
  let needed: readonly WasmApi[] = SYSTEMS_IN.all;
  if (given.options) {
    try {
      ({ name, needed } = chooseModule(given));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  const source = given.source as InitInput | undefined;
  if (source !== undefined && !isInitInput(source)) {
    return Promise.reject(
      fromWasmError({
        code: 'INVALID_TYPE',
        kind: 'type',
        param: 'input',
        message: 'countersign: init(input) takes a URL, a string, a Request/Response, bytes, a WebAssembly.Module, { system, module } or { systems, module }',
      }),
    );
  }
  if (ready) {
    // Node (every system), or a page that loaded a module already: it must have what is asked.
    const missing = lacking(needed, loaded);
    if (missing.length === 0) return Promise.resolve();
    return Promise.reject(notLoaded(missing[0] ?? 'card'));
  }
  pending ??= loadModule(name, source).then(
    () => {
      pending = undefined;
    },
    (cause: unknown) => {
      pending = undefined; // let the caller retry, e.g. after a network failure
      throw new CountersignError(
        'NOT_INITIALIZED',
        `countersign: the WebAssembly module could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`,
      );
    },
  );
  return pending;
}

/** Compiles module `name` (from `source`, or next to the SDK) and instantiates it with its glue. */
async function loadModule(name: WasmModuleName, source: InitInput | undefined): Promise<void> {
  const urls = moduleUrls(name);
  const glue =
    name === 'all' ? firstGlue : ((await import(/* @vite-ignore */ /* webpackIgnore: true */ urls.glue.href)) as RawModule);
  const module = await compile(source ?? urls.wasm);
  glue.initSync({ module });
  raw = glue;
  loaded = name;
  glueUrl = urls.glue;
  compiled = module;
  ready = true;
}

/** What a class of a system (or part) the loaded module lacks throws: the same for a part as for a system. */
function notLoaded(api: WasmApi): CountersignError {
  const [system, part] = api.split('.');
  // A part's own module is `<system>-<part>`; `init({ systems })` names it as the classes do.
  const what = part === undefined ? `the ${api} system` : `the ${part} part of the ${system} system (${api})`;
  const load = part === undefined ? `init({ system: '${api}' })` : `init({ systems: ['${api}'] })`;
  return new CountersignError(
    'NOT_INITIALIZED',
    `countersign: ${what} is not in the loaded WebAssembly module ('${loaded}'): load one that has it, e.g. \`await ${load}\`, or \`await init()\` for every system`,
  );
}

/** The module loaded (`'all'` in Node). */
export const loadedModule = guardFunction(function loadedModule(): WasmModuleName {
  return loaded;
}, []);

/**
 * @internal The raw module, or a clear error when `init()` has not completed, it trapped, or
 * the loaded module lacks `system` (a system, or the part of one a class belongs to).
 */
export function wasm(system?: WasmApi): RawModule {
  if (!ready) {
    throw new CountersignError(
      'NOT_INITIALIZED',
      'countersign: call `await init()` before using @countersign/sdk in a browser (in Node it is ready on import)',
    );
  }
  if (isTrapped()) {
    throw new CountersignError(
      'WASM_TRAP',
      'countersign: the WebAssembly instance trapped earlier; `await init()` to start a fresh one, then load your state from its store',
    );
  }
  if (system !== undefined) {
    const missing = lacking([system], loaded);
    if (missing.length > 0) throw notLoaded(missing[0] ?? system);
  }
  return raw;
}
