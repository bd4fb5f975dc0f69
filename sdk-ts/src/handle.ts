/**
 * The one base of every SDK object that owns a handle in WebAssembly memory (`Ledger`, `Card`,
 * `TempCardIssuer`, `EnergyServer`, `EnergyTerminal`, and the systems to come).
 *
 * Why one base: the generation check (an object made before a trap refuses with `WASM_TRAP`),
 * the freed check (the glue would hand Rust a null pointer, whose error unwinds through wasm
 * frames without their clean-up), `free()` exactly once (never into a trapped or replaced
 * instance) and `[Symbol.dispose]` were written once per class, with small differences (one
 * `free()` released a handle into a trapped instance, another did not). A class now states only
 * its methods, and reaches its handle through {@link withHandle}, which also turns a trap inside
 * the call into `WASM_TRAP` at once (not only when the error reaches the guard at the entry
 * point), so code between the call and the entry point (a `catch` that frees a half-made object)
 * already sees the instance as trapped.
 *
 * The handle, generation and freed flag are private fields of this class: a caller cannot read or
 * forge them, and the handle never leaves the SDK. `guardClass` (boundary.ts) gives each subclass
 * its own guarded copies of `free` and `[Symbol.dispose]`, with that subclass's receiver check.
 * @internal
 */
import { call } from './calls.js';
import { CountersignTypeError } from './errors.js';
import { checkAlive, currentGeneration, isTrapped } from './instance.js';

/** What every wasm-bindgen handle class has. */
export interface GlueHandle {
  free(): void;
}

let liveHandle: <H extends GlueHandle>(owner: WasmObject<H>) => H;
let isWasmObject: (value: unknown) => boolean;

/** See the module comment. Subclasses call `super(handle, 'ledger')` with the glue handle. */
export abstract class WasmObject<H extends GlueHandle> {
  readonly #handle: H;
  /** The instance generation the handle lives in (see instance.ts). */
  readonly #generation: number;
  /** How the object is named in errors ("ledger", "energy terminal"). */
  readonly #what: string;
  #freed = false;

  protected constructor(handle: H, what: string) {
    this.#handle = handle;
    this.#generation = currentGeneration();
    this.#what = what;
  }

  /**
   * Releases the wasm memory now; every later call refuses with `INVALID_ARGUMENT`. Idempotent.
   * A handle of a trapped or replaced instance is left alone: that memory is never touched again.
   */
  free(): void {
    if (!isWasmObject(this)) throw notOwned(this);
    if (this.#freed) return;
    this.#freed = true;
    if (this.#generation === currentGeneration() && !isTrapped()) this.#handle.free();
  }

  /** `using x = Ledger.create()` frees it at the end of the scope. */
  [Symbol.dispose](): void {
    if (!isWasmObject(this)) throw notOwned(this);
    this.free();
  }

  static {
    liveHandle = <T extends GlueHandle>(owner: WasmObject<T>): T => {
      checkAlive(owner.#generation, owner.#what, owner.#freed);
      return owner.#handle;
    };
    isWasmObject = (value: unknown): boolean => typeof value === 'object' && value !== null && #handle in value;
  }
}

function notOwned(self: unknown): CountersignTypeError {
  return new CountersignTypeError(
    'INVALID_TYPE',
    `countersign: this: must be an object the SDK made, got ${self === null ? 'null' : typeof self}`,
    'this',
  );
}

/**
 * Runs `fn` on `owner`'s handle: refuses (INVALID_ARGUMENT once freed, WASM_TRAP once its
 * instance trapped or was replaced), and converts whatever the glue throws into an SDK error,
 * registering a trap the moment it happens.
 */
export function withHandle<H extends GlueHandle, T>(owner: WasmObject<H>, fn: (handle: H) => T): T {
  return call(() => fn(liveHandle(owner)));
}

/** `owner`'s handle after the checks of {@link withHandle}, for code that calls it several times
 * (each of those calls must itself be inside `call()` or `withHandle`). */
export function handleOf<H extends GlueHandle>(owner: WasmObject<H>): H {
  return liveHandle(owner);
}
