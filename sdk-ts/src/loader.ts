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

let raw: RawModule = firstGlue;
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
export function isInitialized(): boolean {
  return ready && !isTrapped();
}

function defaultModuleUrl(): URL {
  return new URL('../wasm/countersign_wasm_bg.wasm', import.meta.url);
}

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
  const url = new URL(`../wasm/countersign_wasm.js?instance=${Date.now()}-${Math.random()}`, import.meta.url);
  const glue = (await import(/* @vite-ignore */ /* webpackIgnore: true */ url.href)) as RawModule;
  glue.initSync({ module });
  raw = glue;
  noteRecovered();
}

/**
 * Instantiates the WebAssembly module. Idempotent: later calls return the same promise, and in
 * Node (where the module is ready on import) it resolves at once. With no argument the module is
 * fetched from next to the SDK (`../wasm/countersign_wasm_bg.wasm` relative to this file).
 *
 * After a call threw `WASM_TRAP`, `init()` starts a fresh instance (from the module compiled
 * the first time: nothing is fetched again); objects made before it must be loaded again from
 * their stores.
 */
export function init(input?: InitInput): Promise<void> {
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
  if (ready) return Promise.resolve();
  if (input !== undefined && !isInitInput(input)) {
    return Promise.reject(
      fromWasmError({
        code: 'INVALID_TYPE',
        kind: 'type',
        param: 'input',
        message: 'countersign: init(input) takes a URL, a string, a Request/Response, bytes or a WebAssembly.Module',
      }),
    );
  }
  pending ??= compile(input ?? defaultModuleUrl()).then(
    (module) => {
      firstGlue.initSync({ module });
      compiled = module;
      ready = true;
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

/** @internal The raw module, or a clear error when `init()` has not completed or it trapped. */
export function wasm(): RawModule {
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
  return raw;
}
