//! One flat request type per [`Event`] kind: what the wasm adapter reads, one entry point per
//! kind. Reading the internally tagged [`Event`] in wasm needs serde's generic `Content` buffer
//! (measured: 77 KB of the custody module for that one reader, docs/custody.md); a plain struct
//! per kind is read field by field. Each converts into its [`Event`] without a check of its own:
//! the book checks every field when it applies the event.

use serde::{Deserialize, Serialize};

use super::book::{bytes, Event};

macro_rules! request {
    ($(#[$doc:meta])* $name:ident => $variant:ident { $($(#[$fattr:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts"))]
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $($(#[$fattr])* #[allow(missing_docs)] pub $field: $ty,)*
        }

        impl From<$name> for Event {
            fn from(r: $name) -> Event {
                Event::$variant { $($field: r.$field),* }
            }
        }
    };
}

request!(
    /// `registerClient`: open a client's accounts at its transfer-wallet address.
    RegisterClient => RegisterClient { client_id: String, address: String, now: i64 }
);
request!(
    /// `observeDeposit`: a deposit seen on chain with its confirmations.
    ObserveDeposit => ObserveDeposit { deposit_id: String, address: String, asset: String, amount: String, confirmations: u32, now: i64 }
);
request!(
    /// `releaseQuarantine`: attribute a quarantined deposit to a client.
    ReleaseQuarantine => ReleaseQuarantine { deposit_id: String, client_id: String, now: i64 }
);
request!(
    /// `sweep`: the client's confirmed transfer-wallet balance to the omnibus.
    Sweep => Sweep { sweep_id: String, client_id: String, asset: String, network_fee: String, now: i64 }
);
request!(
    /// `transfer`: between two clients' trading balances.
    ClientTransfer => Transfer { transfer_id: String, from_client_id: String, to_client_id: String, asset: String, amount: String, now: i64 }
);
request!(
    /// `trade`: the buyer pays `quoteAmount` + `fee`, the seller delivers `baseAmount`.
    Trade => Trade { trade_id: String, buyer_id: String, seller_id: String, base_asset: String, base_amount: String, quote_asset: String, quote_amount: String, fee: String, now: i64 }
);
request!(
    /// `observeOmnibus`: the omnibus wallet's on-chain balance of an asset.
    ObserveOmnibus => ObserveOmnibus { asset: String, balance: String, now: i64 }
);
request!(
    /// `observeWallet`: a transfer wallet's confirmed on-chain balance of an asset.
    ObserveWallet => ObserveWallet { client_id: String, asset: String, balance: String, now: i64 }
);
request!(
    /// `addDestination`: an address on a client's allow-list (usable after the cooling-off).
    AddDestination => AddDestination { client_id: String, address: String, now: i64 }
);
request!(
    /// `requestWithdrawal`: `amount` (+ `networkFee`) to an allow-listed `destination`.
    RequestWithdrawal => RequestWithdrawal { withdrawal_id: String, client_id: String, asset: String, amount: String, network_fee: String, destination: String, now: i64 }
);
request!(
    /// `approve`: an approver's envelope over the withdrawal's digest.
    Approve => Approve {
        withdrawal_id: String,
        #[cfg_attr(feature = "ts", ts(type = "Uint8Array"))]
        #[serde(with = "bytes")]
        envelope: Vec<u8>,
        now: i64,
    }
);
request!(
    /// `confirmWithdrawal`: the signed withdrawal was seen on chain.
    ConfirmWithdrawal => ConfirmWithdrawal { withdrawal_id: String, now: i64 }
);
request!(
    /// `cancelWithdrawal`: cancel a withdrawal not signed yet.
    CancelWithdrawal => CancelWithdrawal { withdrawal_id: String, now: i64 }
);
