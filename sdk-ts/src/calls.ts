/**
 * Calling into the raw wasm exports: whatever they throw becomes one of the SDK's error classes,
 * and an error about a field of an object the caller passed can be re-labelled so that it names
 * the field as the caller wrote it (`request.amount`, `order.tariff.unitPrice`).
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

/**
 * Like {@link call}, but when the error names a parameter that `relabel` maps to another name
 * (`amount` → `request.amount`), the error is re-thrown naming that one, message included.
 * `relabel` returns null to leave the error as it is.
 */
export function callRelabelled<T>(fn: () => unknown, relabel: (param: string) => string | null): T {
  try {
    return fn() as T;
  } catch (e) {
    const err = fromWasmError(e) as Error & { code?: unknown; param?: unknown };
    const param = typeof err.param === 'string' ? relabel(err.param) : null;
    if (param === null || typeof err.param !== 'string') throw err;
    const kind = err instanceof RangeError ? 'range' : err instanceof TypeError ? 'type' : 'internal';
    const message = err.message.replace(`countersign: ${err.param}:`, `countersign: ${param}:`);
    throw fromWasmError({ code: err.code, kind, param, message });
  }
}

/** A `relabel` for {@link callRelabelled}: the parameters in `fields` become `<prefix>.<field>`. */
export function fieldsOf(prefix: string, fields: ReadonlySet<string>): (param: string) => string | null {
  return (param) => (fields.has(param) ? `${prefix}.${param}` : null);
}
