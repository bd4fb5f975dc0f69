/**
 * Compiles only when `T` is `never`: `Exhaustive<Exclude<GeneratedUnion, (typeof LIST)[number]>>`
 * proves that a hand-kept runtime list of codes (CARD_CODES, ...) names every member of the union
 * generated from the core's Rust enum (sdk-ts/src/generated/); `as const satisfies` on the list
 * proves it names nothing else.
 * @internal
 */
export type Exhaustive<T extends never> = T;
