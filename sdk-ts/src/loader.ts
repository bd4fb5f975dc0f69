/**
 * Loading the WebAssembly module.
 *
 * One glue file (wasm-bindgen `--target web`) and one `.wasm` serve every platform. In Node the
 * `node` entry instantiates it synchronously on import (no top-level await); in browsers the
 * caller awaits `init()`, which is idempotent and memoised. Using the SDK before the module is
 * ready throws `NOT_INITIALIZED` with instructions instead of an obscure glue error.
 */
import wasmInit, * as raw from '../wasm/countersign_wasm.js';
import { CountersignError, fromWasmError } from './errors.js';

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
export type RawModule = typeof raw;

let ready = false;
let pending: Promise<void> | undefined;

/** @internal Called by the Node entry after its synchronous instantiation. */
export function markReady(): void {
  ready = true;
}

/** True once the WebAssembly module is instantiated. */
export function isInitialized(): boolean {
  return ready;
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

/**
 * Instantiates the WebAssembly module. Idempotent: later calls return the same promise, and in
 * Node (where the module is ready on import) it resolves at once. With no argument the module is
 * fetched from next to the SDK (`../wasm/countersign_wasm_bg.wasm` relative to this file).
 */
export function init(input?: InitInput): Promise<void> {
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
  pending ??= wasmInit({ module_or_path: input ?? defaultModuleUrl() }).then(
    () => {
      ready = true;
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

/** @internal The raw module, or a clear error when `init()` has not completed. */
export function wasm(): RawModule {
  if (!ready) {
    throw new CountersignError(
      'NOT_INITIALIZED',
      'countersign: call `await init()` before using @countersign/sdk in a browser (in Node it is ready on import)',
    );
  }
  return raw;
}
