#!/usr/bin/env node
// What one `memory.grow(1)` costs in this JavaScript engine at several memory sizes (a bare
// `WebAssembly.Memory`, no module): why the adapter's allocator grows the memory in steps
// (HACKING.md "Memory growth", wasm/src/alloc.rs).   node bench/memory-grow.mjs
const PAGE = 65_536;
/** Grows timed at each size. */
const GROWS = 50;
for (const maximum of [undefined, 65_536]) {
  const memory = new WebAssembly.Memory(maximum === undefined ? { initial: 1 } : { initial: 1, maximum });
  const cells = [];
  for (const mib of [16, 32, 128, 512]) {
    const pages = (mib * 1024 * 1024) / PAGE;
    while (memory.buffer.byteLength / PAGE < pages) memory.grow(Math.min(1000, pages - memory.buffer.byteLength / PAGE));
    const t = performance.now();
    for (let i = 0; i < GROWS; i++) memory.grow(1);
    cells.push(`${mib} MiB: ${(((performance.now() - t) * 1000) / GROWS).toFixed(1)} µs`);
  }
  console.log(`maximum ${maximum ?? 'none'}: one grow(1) at ${cells.join(', ')}`);
}
