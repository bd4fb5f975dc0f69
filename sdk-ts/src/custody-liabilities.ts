/**
 * custody-liabilities — System 8's proof of liabilities: a Merkle-sum tree per asset over the
 * clients' balances, the signed root the platform publishes, and the inclusion proof each client
 * checks in their browser.
 *
 * Two roles:
 * - the **platform** ({@link LiabilitiesTree}): builds the tree for one asset and round from its
 *   clients' balances (in strictly ascending client-id order, in chunks, with progress:
 *   {@link LiabilitiesTree.build}), publishes the root as a signed envelope of type
 *   `custody.liabilities.root` (sequence number = round), and hands each client their proof;
 * - the **client** ({@link verifyInclusion}, or {@link PublishedLiabilitiesRoot} to check many
 *   proofs against one root): checks their proof against the root *published to everyone* —
 *   never against a root that came with the proof — and gets one {@link InclusionCode}.
 *
 * Every rule lives in the Rust core (core/src/custody/liabilities.rs, docs/custody-liabilities.md);
 * this module validates arguments and converts them. Balances are minor units: decimal strings or
 * bigints, never JavaScript numbers.
 */
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, guardFunction, ownConstructorArgs, raw, toSdkError } from './boundary.js';
import { call } from './calls.js';
import { expectKeyAlgorithm, type KeyAlgorithm } from './crypto.js';
import { CountersignError, CountersignRangeError } from './errors.js';
import { WasmObject, withHandle } from './handle.js';
import { wasm } from './loader.js';
import { U32_MAX, expectArray, expectBytes, expectInteger, expectObject, expectString, rangeError, typeError } from './validate.js';
import type { TrustedKey } from './envelope.js';
import type {
  BuildProgress,
  ClientBalance,
  InclusionCode,
  InclusionOutcome,
  PathStep,
  ProofView,
  PublishedRoot,
  RootComparison,
  RootComparisonCode,
  TreeSetup,
} from './generated/custody-liabilities.js';
import type { Exhaustive } from './exhaustive.js';
export type { BuildProgress, ClientBalance, InclusionCode, InclusionOutcome, PathStep, ProofView, PublishedRoot, RootComparison, RootComparisonCode, TreeSetup };

/** Every outcome of an inclusion check, in the core's check order (docs/custody-liabilities.md). */
export const CUSTODY_INCLUSION_CODES = Object.freeze([
  'INCLUDED', 'PROOF_MALFORMED', 'ROOT_REJECTED', 'ROOT_MALFORMED', 'CLIENT_MISMATCH', 'ASSET_MISMATCH',
  'ROUND_MISMATCH', 'ROOT_NOT_PUBLISHED', 'BALANCE_MISMATCH', 'BALANCE_OUT_OF_RANGE', 'PATH_LENGTH_MISMATCH',
  'INDEX_OUT_OF_RANGE', 'SIBLING_SUM_OUT_OF_RANGE', 'ROOT_MISMATCH', 'TOTAL_MISMATCH',
] as const satisfies readonly InclusionCode[]);
type _InclusionCodesComplete = Exhaustive<Exclude<InclusionCode, (typeof CUSTODY_INCLUSION_CODES)[number]>>;

/** Every outcome of {@link compareLiabilitiesRoots}, in the core's order. */
export const CUSTODY_ROOT_COMPARISON_CODES = Object.freeze([
  'CONSISTENT', 'NOT_COMPARABLE', 'EQUIVOCATION', 'ROOT_REFUSED',
] as const satisfies readonly RootComparisonCode[]);
type _RootComparisonCodesComplete = Exhaustive<Exclude<RootComparisonCode, (typeof CUSTODY_ROOT_COMPARISON_CODES)[number]>>;

/** The envelope type of a published root. */
export const LIABILITIES_ROOT_TYPE = 'custody.liabilities.root';
/** Most clients in one {@link LiabilitiesTree.add} call (the core's `CHUNK_CLIENTS_MAX`). */
export const LIABILITIES_CHUNK_CLIENTS_MAX = 65_536;
/** Most clients in one tree (the core's `LEAVES_MAX`, 2^24). */
export const LIABILITIES_CLIENTS_MAX = 1 << 24;
/** The salt secret's length in bytes. */
export const LIABILITIES_SALT_SECRET_BYTES = 32;
/** The longest proof in bytes (the core's `PROOF_BYTES_MAX`): refused before it crosses. */
export const LIABILITIES_PROOF_BYTES_MAX = 1 + 1 + 16 + 8 + 32 + 1 + 64 + 32 + 16 + 4 + 1 + 24 * 48;
/** The largest balance of one client, minor units (2^96 − 1). */
export const LIABILITIES_BALANCE_MAX = (1n << 96n) - 1n;
/** Envelope times, Unix seconds (the envelope format's range). */
const TIME_S_MAX = Number.MAX_SAFE_INTEGER;
/** The most slices {@link LiabilitiesTree.build} runs: 2^24 clients in slices of at least one. */
const BUILD_SLICES_MAX = LIABILITIES_CLIENTS_MAX;

/** One client's balance as the SDK takes it: minor units as a decimal string or a bigint. */
export interface LiabilityClient {
  readonly clientId: string;
  readonly balance: string | bigint;
}

/** Who signs the published root: the secret key crosses for the one call and is wiped after it. */
export interface LiabilitiesSigner {
  readonly keyId: string;
  readonly algorithm: KeyAlgorithm;
  readonly secretKey: Uint8Array;
}

/** What the client knows when checking a proof. */
export interface InclusionCheckOptions {
  /** The platform's keys the client trusts for published roots. */
  readonly trustedKeys: readonly TrustedKey[];
  /** The client's clock, Unix seconds. */
  readonly now: number;
  /** The client's own id. */
  readonly clientId: string;
  /** The balance the client's statement shows (minor units), if it should be checked. */
  readonly expectedBalance?: string | bigint;
  /** The last round this client accepted: an older or equal round's root is `ROOT_REJECTED` / `REPLAYED`. */
  readonly lastRound?: number;
  /** How far the root's issue time may be in the future, seconds (default 0). */
  readonly maxClockSkewSeconds?: number;
}

/** Options of {@link LiabilitiesTree.build}. */
export interface BuildOptions {
  /** Clients per slice (default 16,384; at most {@link LIABILITIES_CHUNK_CLIENTS_MAX}). */
  readonly sliceSize?: number;
  /** Called after every slice (a page draws a progress bar; the core has no clock). */
  readonly onProgress?: (progress: BuildProgress) => void;
}

/** Where {@link LiabilitiesTree.build} reads clients: the ones from `start`, `count` of them (a page of a database query). */
export type LiabilitiesSource = (start: number, count: number) => readonly LiabilityClient[] | Promise<readonly LiabilityClient[]>;

/** The glue's classes (shipped in wasm/). */
type TreeHandle = import('../wasm/countersign_wasm.js').LiabilitiesTreeHandle;
type RootHandle = import('../wasm/countersign_wasm.js').LiabilitiesRootHandle;

function balanceOf(value: unknown, param: string): string {
  if (typeof value === 'bigint') {
    // A negative bigint is refused by the core with its own message (no negative leaves).
    return value.toString();
  }
  if (typeof value === 'string') return value;
  throw typeError(param, 'a decimal string or bigint of minor units', value);
}

function clientsOf(value: unknown, param: string): ClientBalance[] {
  const list = expectArray(value, param);
  if (list.length > LIABILITIES_CHUNK_CLIENTS_MAX) {
    throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: ${param}: at most ${LIABILITIES_CHUNK_CLIENTS_MAX} clients per chunk, got ${list.length}`, param);
  }
  const out: ClientBalance[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const c = expectObject(list[i], `${param}[${i}]`, ['clientId', 'balance']);
    out[i] = { clientId: expectString(c.clientId, `${param}[${i}].clientId`), balance: balanceOf(c.balance, `${param}[${i}].balance`) };
  }
  return out;
}

/**
 * Runs the caller's code (a source, a progress callback, a getter of the live options): what it
 * throws is the caller's failure, reported as `INVALID_ARGUMENT` about `param` (an SDK error it
 * throws passes unchanged). A rejected promise is handled the same way.
 */
function callerError(param: string, e: unknown): never {
  if (e instanceof CountersignError) throw e;
  throw rangeError(param, `threw: ${e instanceof Error ? e.message : typeof e}`);
}
function callerCode<T>(param: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    return callerError(param, e);
  }
}
async function callerCodeAsync<T>(param: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return callerError(param, e);
  }
}

function signerOf(value: unknown): { keyId: string; algorithm: KeyAlgorithm; secretKey: Uint8Array } {
  const s = expectObject(value, 'signer', ['keyId', 'algorithm', 'secretKey']);
  return {
    keyId: expectString(s.keyId, 'signer.keyId'),
    algorithm: expectKeyAlgorithm(s.algorithm, 'signer.algorithm'),
    secretKey: expectBytes(s.secretKey, 'signer.secretKey'),
  };
}

function trustedKeysOf(value: unknown, param: string): TrustedKey[] {
  return expectArray(value, param).map((entry, index) => {
    const at = `${param}[${index}]`;
    const key = expectObject(entry, at, ['keyId', 'algorithm', 'publicKey']);
    return {
      keyId: expectString(key.keyId, `${at}.keyId`),
      algorithm: expectKeyAlgorithm(key.algorithm, `${at}.algorithm`),
      publicKey: expectBytes(key.publicKey, `${at}.publicKey`),
    };
  });
}

function proofBytesOf(value: unknown): Uint8Array {
  const bytes = expectBytes(value, 'proof');
  if (bytes.length > LIABILITIES_PROOF_BYTES_MAX) {
    throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: proof: at most ${LIABILITIES_PROOF_BYTES_MAX} bytes, got ${bytes.length}`, 'proof');
  }
  return bytes;
}

function expectedOf(value: unknown, param: string): string | undefined {
  return value === undefined ? undefined : balanceOf(value, param);
}

interface RootOpening {
  readonly keys: TrustedKey[];
  readonly now: bigint;
  readonly skew: number;
  readonly lastRound: bigint | undefined;
}

function openingOf(fields: Record<string, unknown>): RootOpening {
  return {
    keys: trustedKeysOf(fields.trustedKeys, 'options.trustedKeys'),
    now: BigInt(expectInteger(fields.now, 'options.now', -TIME_S_MAX, TIME_S_MAX)),
    skew: fields.maxClockSkewSeconds === undefined ? 0 : expectInteger(fields.maxClockSkewSeconds, 'options.maxClockSkewSeconds', 0, U32_MAX),
    lastRound: fields.lastRound === undefined ? undefined : BigInt(expectInteger(fields.lastRound, 'options.lastRound', 0, Number.MAX_SAFE_INTEGER)),
  };
}

/**
 * The platform's Merkle-sum tree for one asset and round. Clients go in strictly ascending
 * client-id order (byte order of their UTF-8), each once; {@link finish} fixes the root; then
 * {@link publish} signs it and {@link proof} gives each client theirs. About 51 bytes of wasm
 * memory per client; call `free()` (or `using`) when done.
 */
export class LiabilitiesTree extends WasmObject<TreeHandle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: TreeHandle) {
    checkInternalConstruction(token, 'LiabilitiesTree', 'LiabilitiesTree.create or LiabilitiesTree.build');
    super(handle, 'liabilities tree');
    adopt(this, LiabilitiesTree);
    Object.freeze(this);
  }

  /** An empty tree: `{ asset, round, scale, clientCount }` and the platform's 32-byte salt secret (each client's salt is derived from it, their id, the asset and the round). */
  static create(setup: TreeSetup, saltSecret: Uint8Array): LiabilitiesTree {
    expectObject(setup, 'setup');
    const secret = expectBytes(saltSecret, 'saltSecret');
    if (secret.length !== LIABILITIES_SALT_SECRET_BYTES) throw rangeError('saltSecret', `must be ${LIABILITIES_SALT_SECRET_BYTES} bytes, got ${secret.length}`);
    return new LiabilitiesTree(INTERNAL_CONSTRUCTION, call<TreeHandle>(() => new (wasm('custody.liabilities').LiabilitiesTreeHandle)(setup, secret)));
  }

  /**
   * Builds a whole tree in slices, yielding to the event loop between them and calling
   * `onProgress` after each: `source(start, count)` returns the next clients (sync or async, e.g.
   * a page of `SELECT … ORDER BY client_id`). Finished on return; a refused slice frees the tree
   * and throws (its error names the client within the slice).
   */
  static async build(setup: TreeSetup, saltSecret: Uint8Array, source: LiabilitiesSource, options?: BuildOptions): Promise<LiabilitiesTree> {
    // Everything, the caller's options and source included, inside one conversion: a getter or
    // callback that throws rejects with an SDK error like any other refusal.
    try {
      return await LiabilitiesTree.#build(setup, saltSecret, source, options);
    } catch (e) {
      throw toSdkError(e, 'LiabilitiesTree.build');
    }
  }

  static async #build(setup: TreeSetup, saltSecret: Uint8Array, source: LiabilitiesSource, options?: BuildOptions): Promise<LiabilitiesTree> {
    const fields = expectObject(setup, 'setup');
    const opts = callerCode('options', () => {
      // `options` is the caller's live object (it holds a function): read each field once, here.
      const o = options === undefined ? {} : expectObject(options, 'options', ['sliceSize', 'onProgress']);
      return { sliceSize: o.sliceSize, onProgress: o.onProgress };
    });
    if (typeof source !== 'function') throw typeError('source', 'a function (start, count) => clients', source);
    const slice = opts.sliceSize === undefined ? 16_384 : expectInteger(opts.sliceSize, 'options.sliceSize', 1, LIABILITIES_CHUNK_CLIENTS_MAX);
    const onProgress = opts.onProgress;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw typeError('options.onProgress', 'a function', onProgress);
    const total = expectInteger(fields.clientCount, 'setup.clientCount', 1, LIABILITIES_CLIENTS_MAX);
    const tree = LiabilitiesTree.create(setup, saltSecret);
    try {
      for (let start = 0, slices = 0; start < total && slices < BUILD_SLICES_MAX; start += slice, slices++) {
        const count = Math.min(slice, total - start);
        const clients = await callerCodeAsync('source', () => source(start, count));
        const progress = tree.add(clients);
        if (progress.added !== start + count) {
          throw rangeError('source', `returned ${progress.added - start} clients for a slice of ${count} starting at ${start}`);
        }
        if (onProgress !== undefined) callerCode('options.onProgress', () => (onProgress as (p: BuildProgress) => void)(progress));
        // Let a page paint and other work run: one macrotask per slice.
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
      }
      tree.finish();
      return tree;
    } catch (e) {
      tree.free();
      throw e;
    }
  }

  /** Adds a chunk of clients (at most {@link LIABILITIES_CHUNK_CLIENTS_MAX}), continuing the order; a refused chunk adds nothing. */
  add(clients: readonly LiabilityClient[]): BuildProgress {
    const owned = clientsOf(clients, 'clients');
    return withHandle(this, (h) => h.add(owned) as BuildProgress);
  }

  /** Clients added of how many. */
  progress(): BuildProgress {
    return withHandle(this, (h) => h.progress() as BuildProgress);
  }

  /** Bytes of wasm memory the tree holds (leaves and stored levels: about 51 per client), reserved once at `create`. */
  memoryBytes(): number {
    return withHandle(this, (h) => h.heapBytes());
  }

  /** Pads the last subtrees and fixes the root: the root statement. Refused before every client was added. */
  finish(): PublishedRoot {
    return withHandle(this, (h) => h.finish() as PublishedRoot);
  }

  /** The root statement (asset, round, scale, leafCount, depth, rootHash, total) once finished. */
  publishedRoot(): PublishedRoot {
    return withHandle(this, (h) => h.publishedRoot() as PublishedRoot);
  }

  /** The signed root: an envelope of type `custody.liabilities.root`, sequence number = round. Publish it where every client fetches the same bytes. */
  publish(signer: LiabilitiesSigner, issuedAt: number, expiresAt: number): Uint8Array {
    const s = signerOf(signer);
    const from = BigInt(expectInteger(issuedAt, 'issuedAt', -TIME_S_MAX, TIME_S_MAX));
    const to = BigInt(expectInteger(expiresAt, 'expiresAt', -TIME_S_MAX, TIME_S_MAX));
    return withHandle(this, (h) => h.publish(s, from, to));
  }

  /** The inclusion proof of the client at `index` (their position in the build order), who must be `clientId`. */
  proof(index: number, clientId: string): Uint8Array {
    const i = expectInteger(index, 'index', 0, U32_MAX);
    const id = expectString(clientId, 'clientId');
    return withHandle(this, (h) => h.proof(i, id));
  }

  // free() and [Symbol.dispose]() are WasmObject's (handle.ts).
}

guardClass(LiabilitiesTree, {
  methods: {
    add: ['clients'],
    progress: [],
    memoryBytes: [],
    finish: [],
    publishedRoot: [],
    publish: ['signer', 'issuedAt', 'expiresAt'],
    proof: ['index', 'clientId'],
    free: [],
  },
  statics: { create: ['setup', 'saltSecret'], build: ['setup', 'saltSecret', raw('source'), raw('options')] },
});

/** A refused root: the outcome (`ROOT_REJECTED` with `rootRejection`, or `ROOT_MALFORMED`). */
export interface RootRefused {
  readonly ok: false;
  readonly outcome: InclusionOutcome;
}

/**
 * A published root the client opened once (envelope checked: key, type, expiry, round), to
 * check many proofs against — what a page showing a whole family's accounts, or a bench, does.
 */
export class PublishedLiabilitiesRoot extends WasmObject<RootHandle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: RootHandle) {
    checkInternalConstruction(token, 'PublishedLiabilitiesRoot', 'PublishedLiabilitiesRoot.open');
    super(handle, 'published liabilities root');
    adopt(this, PublishedLiabilitiesRoot);
    Object.freeze(this);
  }

  /** Opens the root fetched from the public place; `{ ok: true, root }` or `{ ok: false, outcome }`. */
  static open(
    publishedRoot: Uint8Array,
    options: Omit<InclusionCheckOptions, 'clientId' | 'expectedBalance'>,
  ): { readonly ok: true; readonly root: PublishedLiabilitiesRoot } | RootRefused {
    const bytes = expectBytes(publishedRoot, 'publishedRoot');
    const o = openingOf(expectObject(options, 'options', ['trustedKeys', 'now', 'lastRound', 'maxClockSkewSeconds']));
    const result = call<{ root?: RootHandle; refused?: InclusionOutcome }>(() =>
      wasm('custody.liabilities').LiabilitiesRootHandle.open(bytes, o.keys, o.now, o.skew, o.lastRound),
    );
    if (result.root !== undefined) return { ok: true, root: new PublishedLiabilitiesRoot(INTERNAL_CONSTRUCTION, result.root) };
    return { ok: false, outcome: result.refused as InclusionOutcome };
  }

  /** The root statement. */
  view(): PublishedRoot {
    return withHandle(this, (h) => h.view() as PublishedRoot);
  }

  /** Checks one client's proof against this root (the check order after the root's own steps). */
  verify(proof: Uint8Array, clientId: string, expectedBalance?: string | bigint): InclusionOutcome {
    const bytes = proofBytesOf(proof);
    const id = expectString(clientId, 'clientId');
    const expected = expectedOf(expectedBalance, 'expectedBalance');
    return withHandle(this, (h) => h.verify(bytes, id, expected) as InclusionOutcome);
  }
}

guardClass(PublishedLiabilitiesRoot, {
  methods: { view: [], verify: ['proof', 'clientId', 'expectedBalance'], free: [] },
  statics: { open: ['publishedRoot', 'options'] },
});

/**
 * The client's check, the whole of it: `proof` (from the platform) against `publishedRoot` (the
 * signed root every client fetches from the same public place). One code, the first that
 * applies; `path` holds the recomputed nodes from the leaf up when the recomputation ran.
 */
export const verifyInclusion = guardFunction(function verifyInclusion(proof: Uint8Array, publishedRoot: Uint8Array, options: InclusionCheckOptions): InclusionOutcome {
  const bytes = proofBytesOf(proof);
  const root = expectBytes(publishedRoot, 'publishedRoot');
  const fields = expectObject(options, 'options', ['trustedKeys', 'now', 'clientId', 'expectedBalance', 'lastRound', 'maxClockSkewSeconds']);
  const o = openingOf(fields);
  const id = expectString(fields.clientId, 'options.clientId');
  const expected = expectedOf(fields.expectedBalance, 'options.expectedBalance');
  return call(() => wasm('custody.liabilities').custodyVerifyInclusion(bytes, root, o.keys, o.now, o.skew, o.lastRound, id, expected) as InclusionOutcome);
}, ['proof', 'publishedRoot', 'options']);

/** A proof's fields for display (hashes and salt in hex, sums as decimal strings); `INVALID_ARGUMENT` when it does not decode. */
export const decodeInclusionProof = guardFunction(function decodeInclusionProof(proof: Uint8Array): ProofView {
  const bytes = proofBytesOf(proof);
  return call(() => wasm('custody.liabilities').custodyDecodeInclusionProof(bytes) as ProofView);
}, ['proof']);

/** Each inclusion code with its one-line description (from the core). */
export const custodyInclusionCodes = guardFunction(function custodyInclusionCodes(): { code: InclusionCode; description: string }[] {
  return call(() => wasm('custody.liabilities').custodyInclusionCodes() as { code: InclusionCode; description: string }[]);
}, []);

/**
 * Two published roots compared — the one this client holds and one another client (or a public
 * log) holds: `EQUIVOCATION` when the platform signed two different trees for the same asset and
 * round (how a root shown only to some clients is caught), `CONSISTENT` when both are the same
 * statement, `NOT_COMPARABLE` for another asset or round, `ROOT_REFUSED` when one does not open.
 */
export const compareLiabilitiesRoots = guardFunction(function compareLiabilitiesRoots(
  first: Uint8Array,
  second: Uint8Array,
  options: Omit<InclusionCheckOptions, 'clientId' | 'expectedBalance' | 'lastRound'>,
): RootComparison {
  const a = expectBytes(first, 'first');
  const b = expectBytes(second, 'second');
  const o = openingOf(expectObject(options, 'options', ['trustedKeys', 'now', 'maxClockSkewSeconds']));
  return call(() => wasm('custody.liabilities').custodyCompareRoots(a, b, o.keys, o.now, o.skew) as RootComparison);
}, ['first', 'second', 'options']);

/** Each root-comparison code with its one-line description (from the core). */
export const custodyRootComparisonCodes = guardFunction(function custodyRootComparisonCodes(): { code: RootComparisonCode; description: string }[] {
  return call(() => wasm('custody.liabilities').custodyRootComparisonCodes() as { code: RootComparisonCode; description: string }[]);
}, []);
