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

/**
 * The WebAssembly modules the package ships: each system's own (with the primitives), the
 * primitives alone, or `'all'` (the default, and always in Node). A page loads exactly one.
 */
export type WasmModuleName = 'all' | 'primitives' | 'card' | 'ledger' | 'tempcard' | 'energy';
export const WASM_MODULES: readonly WasmModuleName[] = Object.freeze(['all', 'primitives', 'card', 'ledger', 'tempcard', 'energy'] as const);

/** A system an SDK class needs from the loaded module. */
export type WasmSystem = 'card' | 'ledger' | 'tempcard' | 'energy';

/** The systems each module carries (the ledger comes with the systems built on it). */
const SYSTEMS_IN: Readonly<Record<WasmModuleName, readonly WasmSystem[]>> = {
  all: ['card', 'ledger', 'tempcard', 'energy'],
  primitives: [],
  card: ['card'],
  ledger: ['ledger'],
  tempcard: ['tempcard', 'ledger'],
  energy: ['energy', 'ledger'],
};

/** `init()` options: which module to load, and optionally where its `.wasm` is. */
export interface InitOptions {
  /** Default `'all'`. In Node every system is always loaded, and this is ignored. */
  readonly system?: WasmModuleName;
  /** The `.wasm` of that module, when it is not next to the SDK (default `../wasm/<system>/`). */
  readonly module?: InitInput;
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

/** Where module `name`'s glue and `.wasm` are, next to the SDK. */
function moduleUrls(name: WasmModuleName): { glue: URL; wasm: URL } {
  const dir = name === 'all' ? '../wasm/' : `../wasm/${name}/`;
  return {
    glue: new URL(`${dir}countersign_wasm.js`, import.meta.url),
    wasm: new URL(`${dir}countersign_wasm_bg.wasm`, import.meta.url),
  };
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
 * `'primitives'`, `'card'`, `'ledger'`, `'tempcard'` or `'energy'` (the last two include the
 * ledger). A page loads one module; asking later for a system it lacks is `NOT_INITIALIZED`.
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
function readInitInput(input: unknown): { options: boolean; system: unknown; source: unknown } {
  return readCallerObject('input', () => {
    if (!isInitOptions(input)) return { options: false, system: undefined, source: input };
    const fields = input as Record<string, unknown>;
    return { options: true, system: ownData(fields.system, 'options.system'), source: fields.module };
  });
}

function initOnce(given: { options: boolean; system: unknown; source: unknown }): Promise<void> {
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
  let source: InitInput | undefined;
  if (given.options) {
    if (given.system !== undefined && !WASM_MODULES.includes(given.system as WasmModuleName)) {
      return Promise.reject(
        fromWasmError({
          code: 'INVALID_ARGUMENT',
          kind: 'range',
          param: 'options.system',
          message: `countersign: options.system must be one of ${WASM_MODULES.join(', ')}, got ${typeof given.system === 'string' ? given.system : typeof given.system}`,
        }),
      );
    }
    name = (given.system as WasmModuleName | undefined) ?? 'all';
    source = given.source as InitInput | undefined;
  } else {
    source = given.source as InitInput | undefined;
  }
  if (source !== undefined && !isInitInput(source)) {
    return Promise.reject(
      fromWasmError({
        code: 'INVALID_TYPE',
        kind: 'type',
        param: 'input',
        message: 'countersign: init(input) takes a URL, a string, a Request/Response, bytes, a WebAssembly.Module or { system, module }',
      }),
    );
  }
  if (ready) {
    // Node (every system), or a page that loaded a module already: it must have what is asked.
    const missing = SYSTEMS_IN[name].filter((system) => !SYSTEMS_IN[loaded].includes(system));
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

function notLoaded(system: WasmSystem): CountersignError {
  return new CountersignError(
    'NOT_INITIALIZED',
    `countersign: the ${system} system is not in the loaded WebAssembly module ('${loaded}'): load one that has it, e.g. \`await init({ system: '${system}' })\`, or \`await init()\` for every system`,
  );
}

/** The module loaded (`'all'` in Node). */
export const loadedModule = guardFunction(function loadedModule(): WasmModuleName {
  return loaded;
}, []);

/**
 * @internal The raw module, or a clear error when `init()` has not completed, it trapped, or
 * the loaded module lacks `system`.
 */
export function wasm(system?: WasmSystem): RawModule {
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
  if (system !== undefined && !SYSTEMS_IN[loaded].includes(system)) throw notLoaded(system);
  return raw;
}
