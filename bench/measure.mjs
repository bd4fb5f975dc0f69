// Time-boxed measurement shared by the benchmark modules (bench/run.mjs, bench/card.mjs).

/** Time budget per measurement (BENCH_MEASURE_MS=200 for a quick, noisier look). */
export const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 1000);
export const WARMUP_MS = Math.max(50, Math.round(MEASURE_MS / 5));
/** Hard cap on iterations per warm-up or measurement, whatever the clock says. */
export const ITERATIONS_MAX = 20_000_000;
// The clock is read once per batch; a batch is sized from the warm-up rate to last about this long.
const BATCH_TARGET_MS = 5;
const BATCH_SIZE_MAX = 100_000;

let sink = 0; // folded results, printed at the end so no engine can drop the work

function fold(result) {
  if (typeof result === 'boolean') return result ? 1 : 0;
  if (typeof result === 'string') return result.length;
  if (typeof result === 'number') return result | 0;
  if (result instanceof Uint8Array) return result[0] ?? 0;
  return 0;
}

/** A byte of every result folded so far (print it, so the work stays observable). */
export function checksum() {
  return sink & 0xff;
}

/**
 * Operations per second of `operation`, after a warm-up of a fifth of `measureMs` (at least
 * 50 ms), over about `measureMs`; each phase stops early at `iterationsMax` iterations.
 */
export function measureOpsPerSecond(operation, { measureMs = MEASURE_MS, iterationsMax = ITERATIONS_MAX } = {}) {
  const warmupMs = Math.max(50, Math.round(measureMs / 5));
  let acc = 0;
  let warmupIterations = 0;
  const warmupStart = performance.now();
  while (performance.now() - warmupStart < warmupMs && warmupIterations < iterationsMax) {
    acc ^= fold(operation());
    warmupIterations++;
  }
  const warmupOpsPerMs = warmupIterations / Math.max(performance.now() - warmupStart, 1e-3);
  const batchSize = Math.min(
    BATCH_SIZE_MAX,
    iterationsMax,
    Math.max(1, Math.floor(warmupOpsPerMs * BATCH_TARGET_MS)),
  );

  let iterations = 0;
  let elapsedMs = 0;
  const start = performance.now();
  while (elapsedMs < measureMs && iterations < iterationsMax) {
    for (let i = 0; i < batchSize; i++) acc ^= fold(operation());
    iterations += batchSize;
    elapsedMs = performance.now() - start;
  }
  sink ^= acc;
  return iterations / (elapsedMs / 1000);
}
