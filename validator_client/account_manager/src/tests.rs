//! Account tests: deposit data that verifies, keystores that open, imports.

use super::*;
use eth2_key_derivation::Mnemonic;
use types::{DepositData, PublicKeyBytes, SignatureBytes};

const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

#[test]
fn created_validators_have_verifiable_deposits_and_openable_keystores() {
    let seed = Mnemonic::parse(MNEMONIC).unwrap().to_seed("");
    let dir = tempfile::tempdir().unwrap();
    let spec = ChainSpec::mainnet();
    let created = create_validators(
        seed.as_ref(),
        2,
        2,
        "a long password",
        Kdf::Pbkdf2,
        spec.max_effective_balance,
        &spec,
        "mainnet",
        dir.path(),
    )
    .unwrap();
    assert_eq!(created.keystores.len(), 2);
    assert!(created.keystores[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("keystore-m_12381_3600_2_0_0-"));
    let deposits: Vec<DepositDataJson> =
        serde_json::from_str(&std::fs::read_to_string(&created.deposit_data).unwrap()).unwrap();
    for (i, (deposit, keystore_file)) in deposits.iter().zip(&created.keystores).enumerate() {
        let keystore = Keystore::from_file(keystore_file).unwrap();
        assert_eq!(keystore.path, format!("m/12381/3600/{}/0/0", 2 + i));
        let sk = keystore.decrypt("a long password").unwrap();
        assert_eq!(deposit.pubkey, keystore.pubkey);
        assert_eq!(&deposit.withdrawal_credentials[..2], "00");
        assert_eq!(deposit.fork_version, "00000000");
        assert_eq!(deposit.network_name, "mainnet");
        // The signature verifies as process_deposit checks it.
        let data = DepositData {
            pubkey: PublicKeyBytes::from(sk.public_key()),
            withdrawal_credentials: types::Hash256::from_slice(
                &hex::decode(&deposit.withdrawal_credentials).unwrap(),
            ),
            amount: deposit.amount,
            signature: SignatureBytes::deserialize(&hex::decode(&deposit.signature).unwrap())
                .unwrap(),
        };
        let set = state_processing_free_deposit_check(&data, &spec);
        assert!(set, "deposit {i} signature");
        assert_eq!(
            deposit.deposit_data_root,
            hex::encode(tree_hash::TreeHash::tree_hash_root(&data))
        );
    }
}

/// The deposit signature check of process_deposit, without a state.
fn state_processing_free_deposit_check(data: &DepositData, spec: &ChainSpec) -> bool {
    use types::signing::{compute_domain, compute_signing_root};
    let domain = compute_domain(
        spec.domain_deposit,
        spec.genesis_fork_version,
        types::Hash256::ZERO,
    );
    let root = compute_signing_root(&data.as_deposit_message(), domain);
    let Ok(pk) = data.pubkey.decompress() else {
        return false;
    };
    let Ok(sig) = data.signature.decompress() else {
        return false;
    };
    sig.verify(&pk, root.as_slice())
}

#[test]
fn short_passwords_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ChainSpec::mainnet();
    let err = create_validators(
        &[7; 64],
        0,
        1,
        "short",
        Kdf::Pbkdf2,
        1,
        &spec,
        "mainnet",
        dir.path(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("at least 8"));
}

#[test]
fn import_checks_the_password_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let sk = bls::SecretKey::random();
    let keystore = Keystore::encrypt(&sk, "password123", "", Kdf::Pbkdf2, None).unwrap();
    let file = dir.path().join("k.json");
    keystore.to_file(&file).unwrap();
    let dirs = ValidatorsDir {
        validators: dir.path().join("validators"),
        secrets: dir.path().join("secrets"),
    };
    assert!(import_keystore(&file, "wrong password", &dirs).is_err());
    let pubkey = import_keystore(&file, "password123", &dirs).unwrap();
    assert_eq!(dirs.keystores().unwrap(), vec![dirs.keystore_path(&pubkey)]);
    assert_eq!(
        std::fs::read_to_string(dirs.password_path(&pubkey)).unwrap(),
        "password123"
    );
    assert!(import_keystore(&file, "password123", &dirs).is_err());
}
