// Page "card": System 1's own module, `init({ system, module })`, its `.wasm` URL handed over by the bundler.
import * as sdk from '@countersign/sdk';
import cardWasmUrl from '@countersign/sdk/wasm/card/countersign_wasm_bg.wasm?url';
// Test only: the URL of the card glue the SDK imports at run time (the same asset, so the same
// module once imported) and the SDK's internal error conversion (an alias in the test's Vite
// config), to cause a real trap.
import cardGlueUrl from '@countersign/sdk/wasm/card/countersign_wasm.js?url';
import { fromWasmError } from 'countersign-test-internals/errors';
import { cardChecks, report, signatureChecks, trapAndRecover } from './checks.js';

report(async () => {
  const before = sdk.isInitialized();
  // tzdata/ is not followed by bundlers: the project ships it in public/tzdata/.
  sdk.setTimeZoneBaseUrl(new URL('tzdata/', document.baseURI));
  await sdk.init({ system: 'card', module: cardWasmUrl });
  let ledger = 'usable';
  try {
    sdk.Ledger.create(); // not in the card module
  } catch (err) {
    ledger = String(err.code);
  }
  const result = { before, loaded: sdk.loadedModule(), signatures: signatureChecks(sdk), card: await cardChecks(sdk), ledger };
  const raw = await import(/* @vite-ignore */ new URL(cardGlueUrl, document.baseURI).href);
  result.recovery = await trapAndRecover(sdk, raw, fromWasmError, () => sdk.init({ system: 'card', module: cardWasmUrl }));
  return result;
});
