/**
 * @countersign/sdk — browser (and default) entry. Call `await init()` once before anything else;
 * it fetches `countersign_wasm_bg.wasm` from next to this package unless given a URL, bytes or a
 * compiled `WebAssembly.Module`. In Node, the `node` export condition selects `node.js`, which is
 * ready on import.
 */
export * from './api.js';
