// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.

/**
 * How far a build is.
 */
export type BuildProgress = {
  /**
   * Clients added so far.
   */
  readonly added: number,
  /**
   * Clients the tree was set up for.
   */
  readonly total: number, };

/**
 * One client's balance, as the platform adds it.
 */
export type ClientBalance = {
  /**
   * The client's id, 1..=64 UTF-8 bytes without control characters; strictly ascending within a tree.
   */
  readonly clientId: string,
  /**
   * Balance in minor units, a decimal string `0` or `[1-9][0-9]*`, at most 2^96 − 1.
   */
  readonly balance: string, };

/**
 * Outcome of checking an inclusion proof (`verify_inclusion`), in check order.
 */
export type InclusionCode = "INCLUDED" | "PROOF_MALFORMED" | "ROOT_REJECTED" | "ROOT_MALFORMED" | "CLIENT_MISMATCH" | "ASSET_MISMATCH" | "ROUND_MISMATCH" | "ROOT_NOT_PUBLISHED" | "BALANCE_MISMATCH" | "BALANCE_OUT_OF_RANGE" | "PATH_LENGTH_MISMATCH" | "INDEX_OUT_OF_RANGE" | "SIBLING_SUM_OUT_OF_RANGE" | "ROOT_MISMATCH" | "TOTAL_MISMATCH";

/**
 * The result of checking an inclusion proof.
 */
export type InclusionOutcome = {
  /**
   * What the check found (one code, the first failing check).
   */
  readonly code: InclusionCode,
  /**
   * For `ROOT_REJECTED`: the envelope's rejection (`BAD_SIGNATURE`, `EXPIRED`, …).
   */
  readonly rootRejection: string | null,
  /**
   * The published root, once it opened and decoded.
   */
  readonly root: PublishedRoot | null,
  /**
   * The proof's balance, minor units, once the proof decoded.
   */
  readonly balance: string | null,
  /**
   * The proof's leaf index, once the proof decoded.
   */
  readonly index: number | null,
  /**
   * The recomputed path from the leaf up (empty unless the recomputation ran): level `depth - 1`'s
   * parent is the recomputed root.
   */
  readonly path: ReadonlyArray<PathStep>,
  /**
   * The recomputed root hash, hex, when the recomputation ran.
   */
  readonly computedRootHash: string | null,
  /**
   * The recomputed total, minor units, when the recomputation ran.
   */
  readonly computedTotal: string | null, };

/**
 * One step of the path up the tree, for the picture: the path's node at this level and its sibling.
 */
export type PathStep = {
  /**
   * Level (0 = the client's leaf).
   */
  readonly level: number,
  /**
   * Whether the path's node is the right child of its parent.
   */
  readonly isRight: boolean,
  /**
   * The path's node hash, hex.
   */
  readonly hash: string,
  /**
   * The path's node sum, minor units.
   */
  readonly sum: string,
  /**
   * The sibling's hash, hex.
   */
  readonly siblingHash: string,
  /**
   * The sibling's sum, minor units.
   */
  readonly siblingSum: string, };

/**
 * A decoded proof for display (the SDK's `decodeInclusionProof`).
 */
export type ProofView = {
  /**
   * Asset code.
   */
  readonly asset: string,
  /**
   * Round.
   */
  readonly round: number,
  /**
   * The root the proof was made against, hex.
   */
  readonly rootHash: string,
  /**
   * The client's id.
   */
  readonly clientId: string,
  /**
   * The client's salt, hex.
   */
  readonly salt: string,
  /**
   * Balance, minor units.
   */
  readonly balance: string,
  /**
   * Leaf position.
   */
  readonly index: number,
  /**
   * Sibling hashes (hex) from the leaf's neighbour up.
   */
  readonly siblingHashes: ReadonlyArray<string>,
  /**
   * Sibling sums (minor units), in the same order.
   */
  readonly siblingSums: ReadonlyArray<string>, };

/**
 * The statement the platform publishes for one asset and round (decoded from the signed payload).
 */
export type PublishedRoot = {
  /**
   * Asset code.
   */
  readonly asset: string,
  /**
   * Round number.
   */
  readonly round: number,
  /**
   * Minor-unit digits of the asset.
   */
  readonly scale: number,
  /**
   * Number of clients in the tree.
   */
  readonly leafCount: number,
  /**
   * Levels above the leaves.
   */
  readonly depth: number,
  /**
   * Root hash, 64 lowercase hex digits.
   */
  readonly rootHash: string,
  /**
   * Total liabilities, minor units, a decimal string.
   */
  readonly total: string, };

/**
 * Two clients' published roots compared.
 */
export type RootComparison = {
  /**
   * What the comparison found.
   */
  readonly code: RootComparisonCode,
  /**
   * For `ROOT_REFUSED`: 1 or 2, the refused one (the first if both).
   */
  readonly which: number | null,
  /**
   * For `ROOT_REFUSED`: the envelope's rejection, or `MALFORMED_PAYLOAD` when its payload did not decode.
   */
  readonly rootRejection: string | null,
  /**
   * The first statement, once it opened.
   */
  readonly first: PublishedRoot | null,
  /**
   * The second statement, once it opened.
   */
  readonly second: PublishedRoot | null, };

/**
 * Outcome of comparing two published roots two clients hold (`compare_roots`).
 */
export type RootComparisonCode = "CONSISTENT" | "NOT_COMPARABLE" | "EQUIVOCATION" | "ROOT_REFUSED";

/**
 * What a tree is for: sent by the platform to `LiabilitiesTree::new`.
 */
export type TreeSetup = {
  /**
   * Asset code, 1..=16 of `[A-Z0-9]` (`BTC`, `ETH`, `USDC`).
   */
  readonly asset: string,
  /**
   * Round number (the published root's envelope sequence number), ≤ 2^53 − 1.
   */
  readonly round: number,
  /**
   * Minor-unit digits of the asset (BTC 8, ETH 18, USDC 6), ≤ 38: carried in the published root for display.
   */
  readonly scale: number,
  /**
   * Exactly how many clients will be added (1..=2^24): the memory is reserved once, and `finish` refuses fewer.
   */
  readonly clientCount: number, };
