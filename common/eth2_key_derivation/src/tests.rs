//! The test cases printed in EIP-2333, and EIP-2334 paths.

use super::*;

/// A decimal integer as 32 big-endian bytes (the EIP prints keys in decimal).
fn decimal_to_bytes(decimal: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for digit in decimal.bytes() {
        let mut carry = u32::from(digit - b'0');
        for byte in out.iter_mut().rev() {
            let v = u32::from(*byte) * 10 + carry;
            *byte = (v & 0xff) as u8;
            carry = v >> 8;
        }
        assert_eq!(carry, 0, "fits in 32 bytes");
    }
    out
}

fn key_bytes(key: &SecretKey) -> [u8; 32] {
    let bytes = key.serialize();
    let mut out = [0u8; 32];
    out.copy_from_slice(bytes.as_ref());
    out
}

/// (seed, master_SK, child_index, child_SK) of EIP-2333's test cases 0 to 3.
const CASES: [(&str, &str, u32, &str); 4] = [
    (
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
        "6083874454709270928345386274498605044986640685124978867557563392430687146096",
        0,
        "20397789859736650942317412262472558107875392172444076792671091975210932703118",
    ),
    (
        "3141592653589793238462643383279502884197169399375105820974944592",
        "29757020647961307431480504535336562678282505419141012933316116377660817309383",
        3141592653,
        "25457201688850691947727629385191704516744796114925897962676248250929345014287",
    ),
    (
        "0099FF991111002299DD7744EE3355BBDD8844115566CC55663355668888CC00",
        "27580842291869792442942448775674722299803720648445448686099262467207037398656",
        4294967295,
        "29358610794459428860402234341874281240803786294062035874021252734817515685787",
    ),
    (
        "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
        "19022158461524446591288038168518313374041767046816487870552872741050760015818",
        42,
        "31372231650479070279774297061823572166496564838472787488249775572789064611981",
    ),
];

#[test]
fn eip_2333_test_cases() {
    for (seed, master, index, child) in CASES {
        let seed = hex::decode(seed).unwrap();
        let master_sk = derive_master_sk(&seed).unwrap();
        assert_eq!(key_bytes(&master_sk), decimal_to_bytes(master));
        let child_sk = derive_child_sk(&master_sk, index).unwrap();
        assert_eq!(key_bytes(&child_sk), decimal_to_bytes(child));
    }
}

#[test]
fn eip_2333_case_0_from_its_mnemonic() {
    let mnemonic = Mnemonic::parse(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    )
    .unwrap();
    let seed = mnemonic.to_seed("TREZOR");
    assert_eq!(hex::encode(seed.as_ref()), CASES[0].0);
}

#[test]
fn short_seeds_and_bad_mnemonics_are_errors() {
    assert_eq!(
        derive_master_sk(&[0; 31]).err(),
        Some(KeyDerivationError::SeedTooShort(31))
    );
    assert!(Mnemonic::parse("abandon abandon abandon").is_err());
    // A valid word list with a wrong checksum.
    assert!(Mnemonic::parse(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon"
    )
    .is_err());
}

#[test]
fn eip_2334_paths_parse_print_and_derive() {
    let path: DerivationPath = "m/12381/3600/7/0/0".parse().unwrap();
    assert_eq!(path, DerivationPath::validator_signing(7));
    assert_eq!(path.to_string(), "m/12381/3600/7/0/0");
    assert_eq!(
        DerivationPath::validator_withdrawal(7).to_string(),
        "m/12381/3600/7/0"
    );
    for bad in [
        "",
        "12381/3600",
        "m/",
        "m/-1",
        "m/4294967296",
        "m/1/x",
        "m//1",
    ] {
        assert!(bad.parse::<DerivationPath>().is_err(), "{bad:?}");
    }
    assert_eq!(
        "m".parse::<DerivationPath>().unwrap().indices(),
        &[] as &[u32]
    );
    // A path is the chain of child derivations.
    let seed = hex::decode(CASES[3].0).unwrap();
    let by_path = derive_path(&seed, &"m/42".parse().unwrap()).unwrap();
    assert_eq!(key_bytes(&by_path), decimal_to_bytes(CASES[3].3));
}

#[test]
fn generated_mnemonics_have_24_words_and_round_trip() {
    let m = Mnemonic::generate();
    let phrase = m.phrase();
    assert_eq!(phrase.split_whitespace().count(), 24);
    let again = Mnemonic::parse(&phrase).unwrap();
    assert_eq!(*again.to_seed(""), *m.to_seed(""));
}
