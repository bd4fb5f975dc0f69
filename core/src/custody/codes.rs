//! The custody book's outcome codes: one per reason, for every event of [`super::Book`].

use crate::envelope::Rejection;
use crate::layers::FromEnvelope;
use crate::limits::outcome_codes;

outcome_codes! {
    /// Outcome of a custody event. A decision or a refusal is a normal result with exactly one of
    /// these codes; an `Error` means the call itself was malformed.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts"))]
    pub enum CustodyCode {
        // Successes.
        /// The client was registered: its sub-ledger accounts are open and its transfer wallet's address is known.
        ClientRegistered = "CLIENT_REGISTERED",
        /// The deposit was seen with fewer confirmations than its asset requires: nothing is credited yet.
        DepositPending = "DEPOSIT_PENDING",
        /// The deposit reached its asset's confirmations: it is credited to the client's transfer wallet (not yet tradable).
        DepositConfirmed = "DEPOSIT_CONFIRMED",
        /// The deposit reached the omnibus without a client to attribute it to: it is held in quarantine (counted in the omnibus, owned by no client).
        DepositQuarantined = "DEPOSIT_QUARANTINED",
        /// A quarantined deposit was attributed to a client's trading balance.
        QuarantineReleased = "QUARANTINE_RELEASED",
        /// The transfer wallet's confirmed balance moved to the omnibus as one linked batch: the client's trading balance got it less the network fee.
        Swept = "SWEPT",
        /// The amount moved from one client's trading balance to another's (off-chain).
        Transferred = "TRANSFERRED",
        /// Both legs of the trade and its fee were booked as one linked batch (off-chain).
        Traded = "TRADED",
        /// The omnibus's or a transfer wallet's on-chain balance was recorded.
        BalanceObserved = "BALANCE_OBSERVED",
        /// The destination was added to the client's allow-list; it may be used once its cooling-off period has passed.
        DestinationAdded = "DESTINATION_ADDED",
        /// The withdrawal passed the policy and its amount and fee left the client's balance: it waits for approvals.
        WithdrawalRequested = "WITHDRAWAL_REQUESTED",
        /// The approval is authentic, for this withdrawal, and counted.
        ApprovalCounted = "APPROVAL_COUNTED",
        /// The quorum of live approvals was reached: both transactions of the withdrawal were signed.
        WithdrawalSigned = "WITHDRAWAL_SIGNED",
        /// The signed withdrawal was observed on chain: its amount and fee left the omnibus.
        WithdrawalConfirmed = "WITHDRAWAL_CONFIRMED",
        /// The withdrawal was cancelled before signing: its amount and fee went back to the client and its limits usage was reversed.
        WithdrawalCancelled = "WITHDRAWAL_CANCELLED",
        // Refusals.
        /// The client id is already registered.
        ClientExists = "CLIENT_EXISTS",
        /// The address is already another client's transfer wallet or the omnibus.
        AddressInUse = "ADDRESS_IN_USE",
        /// The book holds CLIENTS_MAX clients.
        ClientsFull = "CLIENTS_FULL",
        /// No client has this id.
        UnknownClient = "UNKNOWN_CLIENT",
        /// The asset is not one of the book's assets.
        UnknownAsset = "UNKNOWN_ASSET",
        /// The deposit's address is neither a client's transfer wallet nor the omnibus.
        UnknownAddress = "UNKNOWN_ADDRESS",
        /// The deposit id was seen before with another address, asset or amount.
        DepositConflict = "DEPOSIT_CONFLICT",
        /// The deposit was already confirmed (or quarantined): nothing is credited twice.
        DepositAlreadyConfirmed = "DEPOSIT_ALREADY_CONFIRMED",
        /// The book holds DEPOSITS_MAX deposits.
        DepositsFull = "DEPOSITS_FULL",
        /// No quarantined deposit has this id (or it was released already).
        NotQuarantined = "NOT_QUARANTINED",
        /// The transfer wallet's confirmed balance is below the asset's sweep threshold: nothing is swept.
        BelowSweepThreshold = "BELOW_SWEEP_THRESHOLD",
        /// The network fee is not below the amount swept.
        FeeExceedsAmount = "FEE_EXCEEDS_AMOUNT",
        /// A transfer or trade names the same client on both sides, or a trade the same asset.
        SameClient = "SAME_CLIENT",
        /// The debited trading balance is too small.
        InsufficientFunds = "INSUFFICIENT_FUNDS",
        /// The id was used before for a different request.
        IdReused = "ID_REUSED",
        /// The client's allow-list holds ALLOW_LIST_MAX destinations.
        AllowListFull = "ALLOW_LIST_FULL",
        /// The destination is already on the client's allow-list.
        DestinationExists = "DESTINATION_EXISTS",
        /// The destination is not on the client's allow-list.
        DestinationNotAllowed = "DESTINATION_NOT_ALLOWED",
        /// The destination is on the allow-list but still in its cooling-off period.
        DestinationCoolingOff = "DESTINATION_COOLING_OFF",
        /// A per-client or per-asset withdrawal limit refuses the amount (limitId names it).
        LimitReached = "LIMIT_REACHED",
        /// The withdrawal id is in use.
        WithdrawalExists = "WITHDRAWAL_EXISTS",
        /// The book holds WITHDRAWALS_MAX withdrawals.
        WithdrawalsFull = "WITHDRAWALS_FULL",
        /// No withdrawal has this id.
        UnknownWithdrawal = "UNKNOWN_WITHDRAWAL",
        /// The withdrawal is not in the state this event needs (awaiting approval for approve, sign and cancel; signed for confirm).
        WithdrawalNotPending = "WITHDRAWAL_NOT_PENDING",
        /// The approval's payload is not this withdrawal's digest (an approval of another withdrawal, or of other terms).
        ApprovalMismatch = "APPROVAL_MISMATCH",
        /// This approver already has a live approval of this withdrawal: each approver counts once.
        ApproverAlreadyCounted = "APPROVER_ALREADY_COUNTED",
        /// Fewer live (unexpired) approvals than the quorum: nothing is signed.
        QuorumNotReached = "QUORUM_NOT_REACHED",
        /// The ledger refused for a capacity reason (see ledgerCode).
        LedgerRefused = "LEDGER_REFUSED",
        // Envelope rejections of an approval (the envelope's codes under their own names).
        /// The approval's signature does not verify under the approver's key.
        BadSignature = "BAD_SIGNATURE",
        /// The approval is signed by a key that is not an approver's.
        UnknownKey = "UNKNOWN_KEY",
        /// The approval has expired.
        Expired = "EXPIRED",
        /// The approval was issued in the future.
        NotYetValid = "NOT_YET_VALID",
        /// The approval's sequence number is not above the approver's last one.
        Replayed = "REPLAYED",
        /// The envelope is not an approval (another typ).
        WrongType = "WRONG_TYPE",
        /// The approval is not a well-formed envelope.
        Malformed = "MALFORMED",
    }
}

impl CustodyCode {
    /// Whether the event did what it asked.
    pub const fn is_success(self) -> bool {
        matches!(
            self,
            CustodyCode::ClientRegistered
                | CustodyCode::DepositPending
                | CustodyCode::DepositConfirmed
                | CustodyCode::DepositQuarantined
                | CustodyCode::QuarantineReleased
                | CustodyCode::Swept
                | CustodyCode::Transferred
                | CustodyCode::Traded
                | CustodyCode::BalanceObserved
                | CustodyCode::DestinationAdded
                | CustodyCode::WithdrawalRequested
                | CustodyCode::ApprovalCounted
                | CustodyCode::WithdrawalSigned
                | CustodyCode::WithdrawalConfirmed
                | CustodyCode::WithdrawalCancelled
        )
    }
}

impl FromEnvelope for CustodyCode {
    fn from_rejection(rejection: Rejection) -> Self {
        match rejection {
            Rejection::BadSignature => CustodyCode::BadSignature,
            Rejection::UnknownKey => CustodyCode::UnknownKey,
            Rejection::Expired => CustodyCode::Expired,
            Rejection::NotYetValid => CustodyCode::NotYetValid,
            Rejection::Replayed => CustodyCode::Replayed,
            Rejection::WrongType => CustodyCode::WrongType,
            Rejection::Malformed => CustodyCode::Malformed,
        }
    }
    fn code_str(self) -> &'static str {
        self.as_str()
    }
}
