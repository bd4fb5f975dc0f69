/**
 * Calling into the raw wasm exports: whatever they throw becomes one of the SDK's error classes.
 * Errors arrive naming their full path (`request.amount`, `order.tariff.unitPrice`): the core and
 * the adapter build it where the error is raised, so nothing is re-labelled here.
 * @internal
 */
import { fromWasmError } from './errors.js';

/** Runs `fn`; a throw becomes an SDK error (`fromWasmError`). */
export function call<T>(fn: () => unknown): T {
  try {
    return fn() as T;
  } catch (e) {
    throw fromWasmError(e);
  }
}
