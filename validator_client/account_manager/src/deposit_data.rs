//! `deposit_data-*.json`, as the staking launchpad reads it.

use bls::{PublicKey, SecretKey};
use serde::{Deserialize, Serialize};
use tree_hash::TreeHash;
use types::signing::{compute_domain, compute_signing_root};
use types::{ChainSpec, DepositData, DepositMessage, Hash256, PublicKeyBytes, SignatureBytes};

/// The deposit-tool version the file claims (the launchpad checks it is recent enough).
pub const DEPOSIT_CLI_VERSION: &str = "1.2.0";

/// One deposit of the file: hex without 0x, the amount as a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositDataJson {
    pub pubkey: String,
    pub withdrawal_credentials: String,
    pub amount: u64,
    pub signature: String,
    pub deposit_message_root: String,
    pub deposit_data_root: String,
    pub fork_version: String,
    /// The network, as the launch-era deposit CLI named the field.
    pub eth2_network_name: String,
    /// The network, as later tools name it.
    pub network_name: String,
    pub deposit_cli_version: String,
}

/// BLS (0x00) withdrawal credentials: `BLS_WITHDRAWAL_PREFIX ‖ sha256(pubkey)[1:]`.
pub fn bls_withdrawal_credentials(withdrawal_pubkey: &PublicKey, spec: &ChainSpec) -> Hash256 {
    let mut credentials = ethereum_hashing::hash_fixed(&withdrawal_pubkey.serialize());
    credentials[0] = spec.bls_withdrawal_prefix;
    Hash256::from(credentials)
}

/// A signed deposit of `amount_gwei` for `signing` with BLS withdrawal credentials of
/// `withdrawal` (validator.md, "Submit deposit"), under the network's genesis fork version.
pub fn deposit_data(
    signing: &SecretKey,
    withdrawal: &PublicKey,
    amount_gwei: u64,
    spec: &ChainSpec,
    network_name: &str,
) -> DepositDataJson {
    let message = DepositMessage {
        pubkey: PublicKeyBytes::from(signing.public_key()),
        withdrawal_credentials: bls_withdrawal_credentials(withdrawal, spec),
        amount: amount_gwei,
    };
    let domain = compute_domain(
        spec.domain_deposit,
        spec.genesis_fork_version,
        Hash256::ZERO,
    );
    let signature =
        SignatureBytes::from(&signing.sign(compute_signing_root(&message, domain).as_slice()));
    let data = DepositData {
        pubkey: message.pubkey,
        withdrawal_credentials: message.withdrawal_credentials,
        amount: message.amount,
        signature,
    };
    DepositDataJson {
        pubkey: hex::encode(message.pubkey.as_ref()),
        withdrawal_credentials: hex::encode(message.withdrawal_credentials),
        amount: amount_gwei,
        signature: hex::encode(signature.as_ref()),
        deposit_message_root: hex::encode(message.tree_hash_root()),
        deposit_data_root: hex::encode(data.tree_hash_root()),
        fork_version: hex::encode(spec.genesis_fork_version),
        eth2_network_name: network_name.to_string(),
        network_name: network_name.to_string(),
        deposit_cli_version: DEPOSIT_CLI_VERSION.to_string(),
    }
}
