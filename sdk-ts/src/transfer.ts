/**
 * transfer — System 7: value transfer between disparate providers (this half: who is provider
 * B and why, and the message B understands).
 *
 * - {@link TransferResolver}: the resolver chain over the host's rules table (IBAN → country and
 *   bank code, card → BIN range, US routing number, ILP address and payment pointer → longest
 *   prefix); every answer carries the rule that matched and a trace. An alias (E.164 phone,
 *   e-mail) is looked up in the host's directory — async, with a timeout and a cache — by
 *   {@link TransferResolver.resolveWithDirectory}.
 * - {@link transferGenerate} / {@link transferParse}: ISO 20022 pain.001.001.09 and
 *   pacs.008.001.08, a Mojaloop FSPIOP quote request and plain JSON, with the list of fields that
 *   did not survive (`losses`); {@link transferWithLosses} gives what a round trip must return.
 * - {@link transferCheckIban}, {@link transferCheckBic}, {@link transferCheckAba},
 *   {@link transferLuhn}: the identifier checks.
 *
 * Every rule lives in the Rust core (core/src/transfer, docs/transfer.md); this module checks
 * arguments, converts them, and runs the directory lookups. Amounts are decimal strings.
 */
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, guardFunction, raw, readCallerObject } from './boundary.js';
import { call } from './calls.js';
import { WasmObject, withHandle } from './handle.js';
import { wasm } from './loader.js';
import { expectArray, expectInteger, expectObject, expectOneOf, expectString, typeError } from './validate.js';
import type { Exhaustive } from './exhaustive.js';
import type {
  AbaCode,
  BicCheck,
  BicCode,
  IbanCheck,
  IbanCode,
  NationalCheck,
  TransferDirectoryAnswer,
  TransferFormat,
  TransferIdentifierKind,
  TransferInstruction,
  TransferLookup,
  TransferLoss,
  TransferLossKind,
  TransferMessage,
  TransferParty,
  TransferProvider,
  TransferResolution,
  TransferResolveCode,
  TransferRule,
  TransferRuleKind,
  TransferRules,
} from './generated/transfer.js';
export type {
  AbaCode,
  BicCheck,
  BicCode,
  IbanCheck,
  IbanCode,
  NationalCheck,
  TransferDirectoryAnswer,
  TransferFormat,
  TransferIdentifierKind,
  TransferInstruction,
  TransferLookup,
  TransferLoss,
  TransferLossKind,
  TransferMessage,
  TransferParty,
  TransferProvider,
  TransferResolution,
  TransferResolveCode,
  TransferRule,
  TransferRuleKind,
  TransferRules,
};

/** Every resolution outcome, in the core's order (docs/transfer.md "The resolver chain"). */
export const TRANSFER_RESOLVE_CODES = Object.freeze([
  'resolved', 'needs-lookup', 'not-found', 'unknown', 'ambiguous', 'invalid', 'unrecognised', 'directory-unavailable',
] as const satisfies readonly TransferResolveCode[]);
type _ResolveCodesComplete = Exhaustive<Exclude<TransferResolveCode, (typeof TRANSFER_RESOLVE_CODES)[number]>>;

/** Every message format (docs/transfer.md "What each format keeps"). */
export const TRANSFER_FORMATS = Object.freeze([
  'pain.001.001.09', 'pacs.008.001.08', 'fspiop-quote', 'plain-json',
] as const satisfies readonly TransferFormat[]);
type _FormatsComplete = Exhaustive<Exclude<TransferFormat, (typeof TRANSFER_FORMATS)[number]>>;

/** The longest identifier read, characters (the core's `IDENTIFIER_CHARS_MAX`). */
export const TRANSFER_IDENTIFIER_CHARS_MAX = 256;
/** The largest message {@link transferParse} reads, bytes (the core's `MESSAGE_BYTES_MAX`). */
export const TRANSFER_MESSAGE_BYTES_MAX = 65_536;
/** The directory's default time to answer, ms. */
export const TRANSFER_DIRECTORY_TIMEOUT_MS_DEFAULT = 2_000;
/** The longest directory timeout accepted, ms. */
export const TRANSFER_DIRECTORY_TIMEOUT_MS_MAX = 60_000;
/** How long a directory answer is kept by default, ms (0: not cached). */
export const TRANSFER_CACHE_TTL_MS_DEFAULT = 60_000;
/** The longest a directory answer may be kept, ms (a day). */
export const TRANSFER_CACHE_TTL_MS_MAX = 86_400_000;
/** Directory answers kept by default (the oldest goes first). */
export const TRANSFER_CACHE_ENTRIES_DEFAULT = 1_024;
/** The most directory answers a resolver keeps. */
export const TRANSFER_CACHE_ENTRIES_MAX = 65_536;

/** An identifier as the core reads it: a string of at most {@link TRANSFER_IDENTIFIER_CHARS_MAX} characters' worth of UTF-16. */
function expectIdentifier(value: unknown, param: string): string {
  const s = expectString(value, param);
  if (s.length > 4 * TRANSFER_IDENTIFIER_CHARS_MAX) {
    // Far past the limit: the core would only say "not read"; refuse before copying it in.
    throw typeError(param, `a string of at most ${TRANSFER_IDENTIFIER_CHARS_MAX} characters`, s);
  }
  return s;
}

function expectFormat(value: unknown): TransferFormat {
  return expectOneOf(value, 'format', TRANSFER_FORMATS);
}

/** The message for `format` from `instruction`, with the fields that did not survive. */
export const transferGenerate = guardFunction(function transferGenerate(format: TransferFormat, instruction: TransferInstruction): TransferMessage {
  const f = expectFormat(format);
  expectObject(instruction, 'instruction');
  return call(() => wasm('transfer.resolve').transferGenerate(f, instruction) as TransferMessage);
}, ['format', 'instruction']);

/** The instruction a message of `format` carries (what {@link transferGenerate} writes, nothing else). */
export const transferParse = guardFunction(function transferParse(format: TransferFormat, text: string): TransferInstruction {
  const f = expectFormat(format);
  const t = expectString(text, 'text');
  if (t.length > TRANSFER_MESSAGE_BYTES_MAX) {
    throw typeError('text', `a message of at most ${TRANSFER_MESSAGE_BYTES_MAX} bytes`, t);
  }
  return call(() => wasm('transfer.resolve').transferParse(f, t) as TransferInstruction);
}, ['format', 'text']);

/** The instruction checked and normalised (an IBAN's electronic form, the amount's canonical form …). */
export const transferCheckInstruction = guardFunction(function transferCheckInstruction(instruction: TransferInstruction): TransferInstruction {
  expectObject(instruction, 'instruction');
  return call(() => wasm('transfer.resolve').transferCheckInstruction(instruction) as TransferInstruction);
}, ['instruction']);

/** `instruction` with `losses` applied: what a message with those losses carries. */
export const transferWithLosses = guardFunction(function transferWithLosses(instruction: TransferInstruction, losses: readonly TransferLoss[]): TransferInstruction {
  expectObject(instruction, 'instruction');
  expectArray(losses, 'losses');
  return call(() => wasm('transfer.resolve').transferWithLosses(instruction, losses) as TransferInstruction);
}, ['instruction', 'losses']);

/** An IBAN's check: registry structure, mod-97, national check digits. */
export const transferCheckIban = guardFunction(function transferCheckIban(iban: string): IbanCheck {
  const s = expectIdentifier(iban, 'iban');
  return call(() => wasm('transfer.resolve').transferCheckIban(s) as IbanCheck);
}, ['iban']);

/** A BIC's ISO 9362 structure. */
export const transferCheckBic = guardFunction(function transferCheckBic(bic: string): BicCheck {
  const s = expectIdentifier(bic, 'bic');
  return call(() => wasm('transfer.resolve').transferCheckBic(s) as BicCheck);
}, ['bic']);

/** A US ABA routing number's check. */
export const transferCheckAba = guardFunction(function transferCheckAba(routing: string): AbaCode {
  const s = expectIdentifier(routing, 'routing');
  return call(() => wasm('transfer.resolve').transferCheckAba(s) as AbaCode);
}, ['routing']);

/** Whether a string of digits passes the Luhn check. */
export const transferLuhn = guardFunction(function transferLuhn(digits: string): boolean {
  const s = expectIdentifier(digits, 'digits');
  return call(() => wasm('transfer.resolve').transferLuhn(s));
}, ['digits']);

/** The resolver's outcome codes with their descriptions. */
export const transferResolveCodes = guardFunction(function transferResolveCodes(): { code: TransferResolveCode; description: string }[] {
  return call(() => wasm('transfer.resolve').transferResolveCodes());
}, []);

/**
 * The host's directory: given an alias to look up, the id of the provider holding it, or `null`
 * when the directory does not know it (Mojaloop's oracles, a PayID or e-mail directory). May be
 * async. A throw, a rejection, an answer of another type or no answer within the timeout is
 * `directory-unavailable` (and is not cached).
 */
export type TransferDirectory = (lookup: TransferLookup) => Promise<string | null> | string | null;

/** Options of {@link TransferResolver.create}. */
export interface TransferResolverOptions {
  /** The directory for aliases; without one an alias stays `needs-lookup`. */
  readonly directory?: TransferDirectory;
  /** How long the directory may take, ms (1..={@link TRANSFER_DIRECTORY_TIMEOUT_MS_MAX}, default {@link TRANSFER_DIRECTORY_TIMEOUT_MS_DEFAULT}). */
  readonly timeoutMs?: number;
  /** How long an answer (a provider or "not known") is kept, ms (0..={@link TRANSFER_CACHE_TTL_MS_MAX}, default {@link TRANSFER_CACHE_TTL_MS_DEFAULT}). */
  readonly cacheTtlMs?: number;
  /** How many answers are kept (0..={@link TRANSFER_CACHE_ENTRIES_MAX}, default {@link TRANSFER_CACHE_ENTRIES_DEFAULT}); the oldest goes first. */
  readonly cacheEntriesMax?: number;
  /** The clock for the cache, ms (default `Date.now`). */
  readonly now?: () => number;
}

/** The glue's class (shipped in wasm/). */
type Handle = import('../wasm/countersign_wasm.js').TransferResolverHandle;

interface Cached {
  readonly provider: string | null;
  readonly expiresAt: number;
}

/** The SDK's settings of a resolver, read once from the options. */
interface Settings {
  readonly directory: TransferDirectory | undefined;
  readonly timeoutMs: number;
  readonly cacheTtlMs: number;
  readonly cacheEntriesMax: number;
  readonly now: () => number;
}

function readOptions(given: unknown): Settings {
  if (given === undefined) {
    return { directory: undefined, timeoutMs: TRANSFER_DIRECTORY_TIMEOUT_MS_DEFAULT, cacheTtlMs: TRANSFER_CACHE_TTL_MS_DEFAULT, cacheEntriesMax: TRANSFER_CACHE_ENTRIES_DEFAULT, now: Date.now };
  }
  return readCallerObject('options', () => {
    if (given === null || typeof given !== 'object') throw typeError('options', 'an object', given);
    const o = given as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!['directory', 'timeoutMs', 'cacheTtlMs', 'cacheEntriesMax', 'now'].includes(key)) {
        throw typeError(`options.${key}`, 'no such option', o[key]);
      }
    }
    const directory = o.directory;
    if (directory !== undefined && typeof directory !== 'function') throw typeError('options.directory', 'a function', directory);
    const now = o.now;
    if (now !== undefined && typeof now !== 'function') throw typeError('options.now', 'a function', now);
    return {
      directory: directory as TransferDirectory | undefined,
      timeoutMs: o.timeoutMs === undefined ? TRANSFER_DIRECTORY_TIMEOUT_MS_DEFAULT : expectInteger(o.timeoutMs, 'options.timeoutMs', 1, TRANSFER_DIRECTORY_TIMEOUT_MS_MAX),
      cacheTtlMs: o.cacheTtlMs === undefined ? TRANSFER_CACHE_TTL_MS_DEFAULT : expectInteger(o.cacheTtlMs, 'options.cacheTtlMs', 0, TRANSFER_CACHE_TTL_MS_MAX),
      cacheEntriesMax: o.cacheEntriesMax === undefined ? TRANSFER_CACHE_ENTRIES_DEFAULT : expectInteger(o.cacheEntriesMax, 'options.cacheEntriesMax', 0, TRANSFER_CACHE_ENTRIES_MAX),
      now: (now as (() => number) | undefined) ?? Date.now,
    };
  });
}

/** What the directory said, or why it said nothing. */
type DirectoryResult = { readonly ok: true; readonly provider: string | null } | { readonly ok: false; readonly reason: string };

/**
 * The resolver chain over one rules table (checked once by the core; the table lives in wasm
 * memory). {@link resolve} is synchronous and answers `needs-lookup` for an alias;
 * {@link resolveWithDirectory} also asks the directory. Call `free()` (or `using`) when done.
 */
export class TransferResolver extends WasmObject<Handle> {
  readonly #settings: Settings;
  /** Directory answers by alias, in insertion order (a Map keeps it: the oldest is first). */
  readonly #cache = new Map<string, Cached>();
  /** Lookups under way by alias: concurrent resolutions of one alias share one directory call. */
  readonly #inFlight = new Map<string, Promise<DirectoryResult>>();

  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: Handle, settings: Settings) {
    checkInternalConstruction(token, 'TransferResolver', 'TransferResolver.create');
    super(handle, 'transfer');
    this.#settings = settings;
    adopt(this, TransferResolver);
    Object.freeze(this);
  }

  /** A resolver over `rules` (providers and rules; errors name the path, `rules.rules[3].binTo`). */
  static create(rules: TransferRules, options?: TransferResolverOptions): TransferResolver {
    expectObject(rules, 'rules');
    const settings = readOptions(options);
    return new TransferResolver(INTERNAL_CONSTRUCTION, call<Handle>(() => new (wasm('transfer.resolve').TransferResolverHandle)(rules)), settings);
  }

  /** Resolves an identifier without the directory (an alias answers `needs-lookup`). */
  resolve(identifier: string): TransferResolution {
    const id = expectIdentifier(identifier, 'identifier');
    return withHandle(this, (h) => h.resolve(id) as TransferResolution);
  }

  /** An alias's resolution completed with a directory answer the caller already has. */
  resolveAlias(identifier: string, answer: TransferDirectoryAnswer): TransferResolution {
    const id = expectIdentifier(identifier, 'identifier');
    expectObject(answer, 'answer');
    return withHandle(this, (h) => h.resolveAlias(id, answer) as TransferResolution);
  }

  /**
   * Resolves an identifier, asking the directory for an alias (cached answers first; a
   * timeout or failure is `directory-unavailable` with the reason in the trace).
   */
  async resolveWithDirectory(identifier: string): Promise<TransferResolution> {
    const id = expectIdentifier(identifier, 'identifier');
    const first = withHandle(this, (h) => h.resolve(id) as TransferResolution);
    if (first.code !== 'needs-lookup' || first.lookup === null) return first;
    const lookup = first.lookup;
    const s = this.#settings;
    const cached = this.#cache.get(lookup.alias);
    if (cached !== undefined && cached.expiresAt > s.now()) {
      const r = withHandle(this, (h) => h.resolveAlias(id, { alias: lookup.alias, provider: cached.provider }) as TransferResolution);
      return { ...r, trace: [...r.trace, 'directory: answered from the cache'] };
    }
    if (s.directory === undefined) return first;
    let pending = this.#inFlight.get(lookup.alias);
    if (pending === undefined) {
      pending = this.#ask(lookup);
      this.#inFlight.set(lookup.alias, pending);
      void pending.finally(() => this.#inFlight.delete(lookup.alias));
    }
    const result = await pending;
    if (!result.ok) {
      return { ...first, code: 'directory-unavailable', lookup: null, trace: [...first.trace, `directory: ${result.reason}`] };
    }
    this.#remember(lookup.alias, result.provider);
    return withHandle(this, (h) => h.resolveAlias(id, { alias: lookup.alias, provider: result.provider }) as TransferResolution);
  }

  /** Drops every cached directory answer. */
  clearCache(): void {
    this.#cache.clear();
  }

  /** How many directory answers are cached. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  async #ask(lookup: TransferLookup): Promise<DirectoryResult> {
    const s = this.#settings;
    const directory = s.directory as TransferDirectory;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<DirectoryResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${s.timeoutMs} ms` }), s.timeoutMs);
    });
    const answer = (async (): Promise<DirectoryResult> => {
      try {
        // A fresh object: the directory cannot change the SDK's copy.
        const provider: unknown = await directory({ kind: lookup.kind, alias: lookup.alias });
        if (provider === null || typeof provider === 'string') return { ok: true, provider };
        return { ok: false, reason: 'the directory answered something other than a provider id or null' };
      } catch (e) {
        return { ok: false, reason: `the directory failed (${e instanceof Error ? e.message : String(e)})` };
      }
    })();
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #remember(alias: string, provider: string | null): void {
    const s = this.#settings;
    if (s.cacheTtlMs === 0 || s.cacheEntriesMax === 0) return;
    this.#cache.delete(alias);
    while (this.#cache.size >= s.cacheEntriesMax) {
      const oldest = this.#cache.keys().next();
      if (oldest.done === true) break;
      this.#cache.delete(oldest.value);
    }
    this.#cache.set(alias, { provider, expiresAt: s.now() + s.cacheTtlMs });
  }
}

guardClass(TransferResolver, {
  methods: { resolve: ['identifier'], resolveAlias: ['identifier', 'answer'], resolveWithDirectory: ['identifier'], clearCache: [], cacheSize: [], free: [] },
  statics: { create: ['rules', raw('options')] },
});
