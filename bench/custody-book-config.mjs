// The custody book every custody benchmark uses (the native bench's, core/examples/custody_bench.rs),
// built with the SDK it is given: bench/custody.mjs passes the built SDK, bench/custody-ab.mjs
// each of the two SDK builds it compares.

/** The book's configuration: two assets without limits, one approver, quorum 1, no cooling-off. */
export function benchBookConfig(sdk, omnibusAddress) {
  return {
    assets: [
      { asset: 'BTC', confirmations: 1, sweepThreshold: '0.0001', clientLimits: [], assetLimits: [] },
      { asset: 'USDC', confirmations: 1, sweepThreshold: '1', clientLimits: [], assetLimits: [] },
    ],
    omnibusAddress,
    approvers: [{ approverId: 'a0', publicKey: sdk.ed25519PublicKey(new Uint8Array(32).fill(9)) }],
    quorum: 1,
    coolingOffS: 0,
  };
}
