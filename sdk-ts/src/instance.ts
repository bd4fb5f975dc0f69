/**
 * The state of the WebAssembly instance, shared by the loader, the error mapping and every class
 * that owns a handle in wasm memory.
 *
 * A trap (a bug, running out of memory) leaves the instance's memory in an unknown state: the
 * SDK stops using it. The next `await init()` instantiates a fresh copy (a new *generation*);
 * objects that lived in the old instance (a `Ledger`, a `Card` ...) refuse every call with
 * `WASM_TRAP` and must be loaded again from their store (`LedgerStore.load()`,
 * `CardStore.load()`): what was committed there is all that was ever acknowledged.
 * @internal
 */
import { CountersignError } from './errors.js';

let generation = 0;
let trapped = false;

/** The current instance's generation (0 for the first instance). */
export function currentGeneration(): number {
  return generation;
}

/** True after a trap until `init()` has instantiated a fresh instance. */
export function isTrapped(): boolean {
  return trapped;
}

/** Called when a call into wasm trapped. */
export function noteTrap(): void {
  trapped = true;
}

/** Called by the loader once a fresh instance replaced a trapped one. */
export function noteRecovered(): void {
  trapped = false;
  generation += 1;
}

/**
 * Throws unless an object made in generation `born` may still be used. `freed`: its handle was
 * released by `free()`; the glue would otherwise hand Rust a null pointer, and the error Rust
 * throws for it unwinds through wasm frames without their clean-up.
 */
export function checkAlive(born: number, what: string, freed = false): void {
  if (freed) {
    throw new CountersignError('INVALID_ARGUMENT', `countersign: this ${what} was freed (free() or a using block); make or load another`, 'this');
  }
  if (trapped) {
    throw new CountersignError(
      'WASM_TRAP',
      'countersign: the WebAssembly instance trapped earlier; `await init()` to start a fresh one, then load your state from its store',
    );
  }
  if (born !== generation) {
    throw new CountersignError(
      'WASM_TRAP',
      `countersign: this ${what} lived in a WebAssembly instance that trapped and was replaced; load it again from its store`,
    );
  }
}
