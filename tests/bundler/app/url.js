// Page "url": the module with every system, its `.wasm` URL handed over by the bundler
// (the README's `@countersign/sdk/countersign.wasm`).
import * as sdk from '@countersign/sdk';
import wasmUrl from '@countersign/sdk/countersign.wasm?url';
// Test only: the glue the SDK loaded (the same file, so the same module in the bundle) and the
// SDK's internal error conversion (an alias in the test's Vite config), to cause a real trap.
import * as raw from '@countersign/sdk/wasm/countersign_wasm.js';
import { fromWasmError } from 'countersign-test-internals/errors';
import { cardChecks, report, signatureChecks, trapAndRecover } from './checks.js';

report(async () => {
  const before = sdk.isInitialized();
  // tzdata/ is not followed by bundlers: the project ships it in public/tzdata/.
  sdk.setTimeZoneBaseUrl(new URL('tzdata/', document.baseURI));
  await sdk.init(wasmUrl);
  const result = { before, loaded: sdk.loadedModule(), signatures: signatureChecks(sdk), card: await cardChecks(sdk) };
  result.recovery = await trapAndRecover(sdk, raw, fromWasmError, () => sdk.init(wasmUrl));
  return result;
});
