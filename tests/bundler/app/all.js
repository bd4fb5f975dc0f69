// Page "all": the module with every system, a bare `init()` (the bundler ships the `.wasm` the SDK names).
import * as sdk from '@countersign/sdk';
// Test only: the glue the SDK loaded (the same file, so the same module in the bundle) and the
// SDK's internal error conversion (an alias in the test's Vite config), to cause a real trap.
import * as raw from '@countersign/sdk/wasm/countersign_wasm.js';
import { fromWasmError } from 'countersign-test-internals/errors';
import { cardChecks, report, signatureChecks, trapAndRecover } from './checks.js';

report(async () => {
  const before = sdk.isInitialized();
  // tzdata/ is not followed by bundlers: the project ships it in public/tzdata/.
  sdk.setTimeZoneBaseUrl(new URL('tzdata/', document.baseURI));
  await sdk.init();
  const result = { before, loaded: sdk.loadedModule(), signatures: signatureChecks(sdk), card: await cardChecks(sdk) };
  result.recovery = await trapAndRecover(sdk, raw, fromWasmError, () => sdk.init());
  return result;
});
