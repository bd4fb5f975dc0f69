// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.

/**
 * The outcome of a US ABA routing number check (`check_aba`).
 */
export type AbaCode = "aba-valid" | "aba-format" | "aba-prefix" | "aba-checksum";

/**
 * The result of `check_bic`.
 */
export type BicCheck = {
  /**
   * The outcome.
   */
  readonly code: BicCode,
  /**
   * The BIC, upper-cased, when valid.
   */
  readonly bic: string | null,
  /**
   * Its country code (ISO 3166 alpha-2 by position; not looked up in a country list).
   */
  readonly country: string | null,
  /**
   * The location code's second character is `0`: a test BIC (ISO 9362).
   */
  readonly test: boolean,
  /**
   * No branch code, or `XXX`: the institution's primary office.
   */
  readonly primaryOffice: boolean, };

/**
 * The outcome of a BIC check (`check_bic`).
 */
export type BicCode = "bic-valid" | "bic-format";

/**
 * The result of `check_iban`.
 */
export type IbanCheck = {
  /**
   * The outcome.
   */
  readonly code: IbanCode,
  /**
   * The electronic form (no spaces, upper case) once the format passed.
   */
  readonly electronic: string | null,
  /**
   * The country code once the format passed.
   */
  readonly country: string | null,
  /**
   * The bank identifier (the registry's position in the BBAN) once the BBAN passed.
   */
  readonly bankCode: string | null,
  /**
   * The branch identifier, where the registry defines one.
   */
  readonly branchCode: string | null,
  /**
   * The national check digits.
   */
  readonly nationalCheck: NationalCheck, };

/**
 * The outcome of an IBAN check (`check_iban`), first failing rule first.
 */
export type IbanCode = "iban-valid" | "iban-format" | "iban-checksum" | "iban-country-unknown" | "iban-bban-invalid" | "iban-national-check";

/**
 * Whether national check digits were checked (`check_iban`).
 */
export type NationalCheck = "valid" | "invalid" | "not-defined" | "not-checked";

/**
 * The directory's answer to a `Lookup`.
 */
export type TransferDirectoryAnswer = {
  /**
   * The alias asked about (must equal the lookup's).
   */
  readonly alias: string,
  /**
   * The provider holding it, or `null` when the directory does not know it.
   */
  readonly provider: string | null, };

/**
 * A message format provider B reads.
 */
export type TransferFormat = "pain.001.001.09" | "pacs.008.001.08" | "fspiop-quote" | "plain-json";

/**
 * The kind of an identifier (see the classification table).
 */
export type TransferIdentifierKind = "iban" | "card" | "aba" | "phone" | "email" | "pointer" | "ilp";

/**
 * A transfer from the debtor's account at provider A to the creditor's at provider B.
 */
export type TransferInstruction = {
  /**
   * The message's id.
   */
  readonly messageId: string,
  /**
   * The end-to-end id (travels unchanged to the creditor).
   */
  readonly endToEndId: string,
  /**
   * When the instruction was made, UTC (`YYYY-MM-DDThh:mm:ssZ`; the host's clock).
   */
  readonly createdAt: string,
  /**
   * The requested execution (settlement) date.
   */
  readonly executionDate: string,
  /**
   * The amount, a decimal string.
   */
  readonly amount: string,
  /**
   * Its currency (ISO 4217).
   */
  readonly currency: string,
  /**
   * Who initiated it.
   */
  readonly initiator: string,
  /**
   * The payer.
   */
  readonly debtor: TransferParty,
  /**
   * The payee.
   */
  readonly creditor: TransferParty,
  /**
   * Unstructured remittance information.
   */
  readonly remittance?: string, };

/**
 * An alias the host's directory must answer.
 */
export type TransferLookup = {
  /**
   * `phone` or `email`.
   */
  readonly kind: TransferIdentifierKind,
  /**
   * The normalised alias (`+` and digits; an e-mail with its domain lower-cased).
   */
  readonly alias: string, };

/**
 * One field that did not survive a mapping unchanged.
 */
export type TransferLoss = {
  /**
   * The instruction's field, as a path (`creditor.name`, `remittance`).
   */
  readonly field: string,
  /**
   * What happened, in the order it happened.
   */
  readonly kinds: ReadonlyArray<TransferLossKind>,
  /**
   * Why, in words (the format's rule).
   */
  readonly reason: string,
  /**
   * The value in the instruction.
   */
  readonly original: string,
  /**
   * The value in the message (`None` when dropped).
   */
  readonly delivered: string | null, };

/**
 * What happened to a field on its way into a format.
 */
export type TransferLossKind = "transliterated" | "replaced" | "truncated" | "dropped";

/**
 * A generated message.
 */
export type TransferMessage = {
  /**
   * Its format.
   */
  readonly format: TransferFormat,
  /**
   * The message text (XML or JSON).
   */
  readonly text: string,
  /**
   * What did not survive, in field order (empty: lossless).
   */
  readonly losses: ReadonlyArray<TransferLoss>, };

/**
 * A party to the transfer.
 */
export type TransferParty = {
  /**
   * The account holder's name.
   */
  readonly name: string,
  /**
   * The account identifier (IBAN, phone, e-mail, card or other account number).
   */
  readonly account: string,
  /**
   * The account's bank (BIC), when known.
   */
  readonly bic?: string,
  /**
   * The provider holding the account (the resolver's answer), when known.
   */
  readonly provider?: string, };

/**
 * A provider B: where its messages go and which format it reads.
 */
export type TransferProvider = {
  /**
   * Id (1..=32 of `[A-Za-z0-9._-]`).
   */
  readonly id: string,
  /**
   * Its endpoint, an `http://` or `https://` URL.
   */
  readonly endpoint: string,
  /**
   * The message format it reads.
   */
  readonly format: TransferFormat, };

/**
 * A resolver's answer.
 */
export type TransferResolution = {
  /**
   * The outcome.
   */
  readonly code: TransferResolveCode,
  /**
   * The identifier's kind (`None`: unrecognised).
   */
  readonly kind: TransferIdentifierKind | null,
  /**
   * The identifier as read (normalised: an IBAN's electronic form, a pointer's URL …).
   */
  readonly identifier: string,
  /**
   * `invalid`: the failed check's code (`iban-checksum`, `aba-prefix`, `luhn`, `format` …).
   */
  readonly invalid: string | null,
  /**
   * The rule that decided (`directory` for an alias).
   */
  readonly rule: string | null,
  /**
   * `ambiguous`: the rules of the highest specificity.
   */
  readonly candidates: ReadonlyArray<string>,
  /**
   * `resolved`: the provider.
   */
  readonly provider: string | null,
  /**
   * `resolved`: its endpoint.
   */
  readonly endpoint: string | null,
  /**
   * `resolved`: the format it reads.
   */
  readonly format: TransferFormat | null,
  /**
   * An IBAN rule's BIC.
   */
  readonly bic: string | null,
  /**
   * A card rule's network.
   */
  readonly network: string | null,
  /**
   * A card rule's issuer.
   */
  readonly issuer: string | null,
  /**
   * `needs-lookup`: what to look up.
   */
  readonly lookup: TransferLookup | null,
  /**
   * How the answer was reached, one line per step.
   */
  readonly trace: ReadonlyArray<string>, };

/**
 * The outcome of a resolution (see the module's table).
 */
export type TransferResolveCode = "resolved" | "needs-lookup" | "not-found" | "unknown" | "ambiguous" | "invalid" | "unrecognised" | "directory-unavailable";

/**
 * One rule of the table. Each kind reads its own fields and refuses the others.
 */
export type TransferRule = {
  /**
   * Id (1..=32 of `[A-Za-z0-9._-]`), unique in the table.
   */
  readonly id: string,
  /**
   * What it matches on.
   */
  readonly kind: TransferRuleKind,
  /**
   * The provider it names (an id of the table's providers).
   */
  readonly provider: string,
  /**
   * `iban`: the country (two letters).
   */
  readonly country?: string,
  /**
   * `iban`: the registry bank code (absent: the whole country).
   */
  readonly bankCode?: string,
  /**
   * `iban`: the BIC the provider's messages carry for it.
   */
  readonly bic?: string,
  /**
   * `card`: the range's low bound (1..=11 digits).
   */
  readonly binFrom?: string,
  /**
   * `card`: the range's high bound (as many digits as `binFrom`, not below it).
   */
  readonly binTo?: string,
  /**
   * `card`: the network (`visa`, `mastercard` …; 1..=32 characters).
   */
  readonly network?: string,
  /**
   * `card`: the issuer (1..=64 characters).
   */
  readonly issuer?: string,
  /**
   * `aba`: the routing number (valid by `check_aba`).
   */
  readonly routing?: string,
  /**
   * `ilp`: an address prefix (a valid ILP address); `pointer`: an `https://` URL prefix.
   */
  readonly prefix?: string, };

/**
 * What a rule matches on.
 */
export type TransferRuleKind = "iban" | "card" | "aba" | "ilp" | "pointer";

/**
 * The host's table.
 */
export type TransferRules = {
  /**
   * The providers (0..=`PROVIDERS_MAX`).
   */
  readonly providers: ReadonlyArray<TransferProvider>,
  /**
   * The rules (0..=`RULES_MAX`), in table order.
   */
  readonly rules: ReadonlyArray<TransferRule>, };
