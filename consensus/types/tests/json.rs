//! JSON as the Beacon API writes it: integers as decimal strings, bytes as 0x hex, spec field order.

use types::*;

type E = MinimalEthSpec;

#[test]
fn validator_json_matches_the_beacon_api() {
    let v = Validator {
        pubkey: PublicKeyBytes::from_array([0xaa; 48]),
        withdrawal_credentials: Hash256::repeat_byte(0x01),
        effective_balance: 32_000_000_000,
        slashed: false,
        activation_eligibility_epoch: 0,
        activation_epoch: 0,
        exit_epoch: u64::MAX,
        withdrawable_epoch: u64::MAX,
    };
    let json = serde_json::to_string(&v).expect("serialises");
    let expected = format!(
        r#"{{"pubkey":"0x{}","withdrawal_credentials":"0x{}","effective_balance":"32000000000","slashed":false,"activation_eligibility_epoch":"0","activation_epoch":"0","exit_epoch":"18446744073709551615","withdrawable_epoch":"18446744073709551615"}}"#,
        "aa".repeat(48),
        "01".repeat(32)
    );
    assert_eq!(json, expected);
    assert_eq!(serde_json::from_str::<Validator>(&json).expect("parses"), v);
}

#[test]
fn attestation_json_matches_the_beacon_api() {
    let mut bits = BitList::with_capacity(4).expect("capacity");
    bits.set(0, true).expect("in range");
    let a = Attestation::<E> {
        aggregation_bits: bits,
        data: AttestationData {
            slot: 1,
            index: 2,
            beacon_block_root: Hash256::ZERO,
            source: Checkpoint {
                epoch: 3,
                root: Hash256::ZERO,
            },
            target: Checkpoint {
                epoch: 4,
                root: Hash256::ZERO,
            },
        },
        signature: SignatureBytes::empty(),
    };
    let json = serde_json::to_value(&a).expect("serialises");
    assert_eq!(json["aggregation_bits"], "0x11");
    assert_eq!(json["data"]["slot"], "1");
    assert_eq!(json["data"]["index"], "2");
    assert_eq!(json["data"]["source"]["epoch"], "3");
    assert_eq!(json["signature"], format!("0x{}", "00".repeat(96)));
    let back: Attestation<E> = serde_json::from_value(json).expect("parses");
    assert_eq!(back, a);
}

#[test]
fn fork_versions_are_4_byte_hex() {
    let fork = Fork {
        previous_version: [0, 0, 0, 1],
        current_version: [0, 0, 0, 2],
        epoch: 7,
    };
    assert_eq!(
        serde_json::to_string(&fork).expect("serialises"),
        r#"{"previous_version":"0x00000001","current_version":"0x00000002","epoch":"7"}"#
    );
}

#[test]
fn bad_json_is_an_error_not_a_panic() {
    for bad in [
        r#"{"epoch":"x","root":"0x00"}"#,
        r#"{"epoch":1,"root":"0x"}"#,
        r#"{"epoch":"1"}"#,
        r#"[]"#,
        r#"{"epoch":"18446744073709551616","root":"0x0000000000000000000000000000000000000000000000000000000000000000"}"#,
    ] {
        assert!(serde_json::from_str::<Checkpoint>(bad).is_err(), "{bad}");
    }
}
