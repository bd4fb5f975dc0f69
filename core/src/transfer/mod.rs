//! System 7: value transfer between disparate providers — this half: identify provider B from
//! the request and explain why ([`resolve`]), validate account identifiers ([`validate`]), and
//! write the message provider B understands, with every field that did not survive reported
//! ([`format`], [`charset`]); and [`lifecycle`]: provider A's side of a transfer on the core
//! ledger — quote, reserve, commit or abort, with an ILP-style condition, idempotent requests and
//! expiry re-checked on every retry.
//!
//! # Roles
//!
//! - **Provider A's router** receives a transfer request (an [`Instruction`]: the debtor's account
//!   at A, the creditor's account identifier, the amount, who initiated it), resolves the
//!   creditor's identifier to provider B ([`Resolver::resolve`]; an alias goes through the host's
//!   directory: [`Resolver::resolve_alias`]), and generates the message in B's format
//!   ([`generate`]). The host transmits it (the SDK's router role).
//! - **Provider B** reads it back ([`parse`]).
//!
//! No clock, randomness, network or storage here: the instruction carries its own times, the
//! rules table and the directory's answers are inputs.
//!
//! # The format adapters' API (for the lifecycle and the router)
//!
//! ```text
//! generate(format, &Instruction) -> Result<Message { format, text, losses: Vec<Loss> }>
//! parse(format, &str)            -> Result<Instruction>
//! with_losses(&Instruction, &[Loss]) -> Instruction   // what a round trip gives back
//! ```
//!
//! `Format` is `pain.001.001.09`, `pacs.008.001.08`, `fspiop-quote` or `plain-json`; the tables
//! of what each format keeps are in [`format`], the character sets in [`charset`], the checks
//! and their codes in [`validate`], the resolver's classification, rule kinds, specificity and
//! outcome codes in [`resolve`]. `docs/transfer.md` is the reference.
//!
//! # Errors
//!
//! Malformed input (a rules table that breaks its rules, an instruction that breaks its table, a
//! message outside the mapping) is an [`crate::Error`] naming the parameter's path; an
//! identifier that is invalid, unknown, ambiguous or needs a lookup is an outcome, never an
//! error.

pub mod charset;
pub mod format;
mod fspiop;
mod iso20022;
pub mod json;
pub mod lifecycle;
pub mod resolve;
pub mod validate;
#[cfg(test)]
mod tests;

pub use charset::{Loss, LossKind};
pub use format::{check_instruction, generate, parse, with_losses, Format, Instruction, Message, Party};
pub use fspiop::derived_uuid;
pub use resolve::{DirectoryAnswer, IdentifierKind, Lookup, Provider, Resolution, ResolveCode, Resolver, Rule, RuleKind, Rules};
pub use validate::{check_aba, check_bic, check_iban, luhn, AbaCode, BicCheck, BicCode, IbanCheck, IbanCode, NationalCheck};
