//! The test vectors printed in EIP-2335, round trips, and bad input.

use super::*;

const PASSWORD: &str = "\u{1d531}\u{1d522}\u{1d530}\u{1d531}\u{1d52d}\u{1d51e}\u{1d530}\u{1d530}\u{1d534}\u{1d52c}\u{1d52f}\u{1d521}\u{1f511}";
const SECRET: &str = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

const SCRYPT_VECTOR: &str = r#"{
    "crypto": {
        "kdf": {"function": "scrypt", "params": {"dklen": 32, "n": 262144, "p": 1, "r": 8,
            "salt": "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"}, "message": ""},
        "checksum": {"function": "sha256", "params": {},
            "message": "d2217fe5f3e9a1e34581ef8a78f7c9928e436d36dacc5e846690a5581e8ea484"},
        "cipher": {"function": "aes-128-ctr", "params": {"iv": "264daa3f303d7259501c93d997d84fe6"},
            "message": "06ae90d55fe0a6e9c5c3bc5b170827b2e5cce3929ed3f116c2811e6366dfe20f"}
    },
    "description": "This is a test keystore that uses scrypt to secure the secret.",
    "pubkey": "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07",
    "path": "m/12381/60/3141592653/589793238",
    "uuid": "1d85ae20-35c5-4611-98e8-aa14a633906f",
    "version": 4
}"#;

const PBKDF2_VECTOR: &str = r#"{
    "crypto": {
        "kdf": {"function": "pbkdf2", "params": {"dklen": 32, "c": 262144, "prf": "hmac-sha256",
            "salt": "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"}, "message": ""},
        "checksum": {"function": "sha256", "params": {},
            "message": "8a9f5d9912ed7e75ea794bc5a89bca5f193721d30868ade6f73043c6ea6febf1"},
        "cipher": {"function": "aes-128-ctr", "params": {"iv": "264daa3f303d7259501c93d997d84fe6"},
            "message": "cee03fde2af33149775b7223e7845e4fb2c8ae1792e5f99fe9ecf474cc8c16ad"}
    },
    "description": "This is a test keystore that uses PBKDF2 to secure the secret.",
    "pubkey": "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07",
    "path": "m/12381/60/0/0",
    "uuid": "64625def-3331-4eea-ab6f-782f3ed16a83",
    "version": 4
}"#;

#[test]
fn the_password_normalises_to_the_eips_encoding() {
    assert_eq!(
        hex::encode(normalize_password(PASSWORD).as_slice()),
        "7465737470617373776f7264f09f9491"
    );
    // Control codes (C0, DEL, C1) are dropped.
    assert_eq!(
        normalize_password("a\u{0}b\u{7f}c\u{85}d").as_slice(),
        b"abcd"
    );
}

#[test]
fn eip_2335_vectors_decrypt_and_re_encrypt_to_the_same_bytes() {
    for vector in [SCRYPT_VECTOR, PBKDF2_VECTOR] {
        let keystore = Keystore::from_json_str(vector).unwrap();
        let secret = keystore.decrypt(PASSWORD).unwrap();
        assert_eq!(hex::encode(secret.serialize().as_ref()), SECRET);
        // The same salt and IV give the same ciphertext and checksum.
        let iv: [u8; 16] = hex::decode(&keystore.crypto.cipher.params.iv)
            .unwrap()
            .try_into()
            .unwrap();
        let again = Keystore::encrypt_with(
            &secret,
            PASSWORD,
            &keystore.path,
            keystore.crypto.kdf.clone(),
            iv,
            None,
        )
        .unwrap();
        assert_eq!(again.crypto, keystore.crypto);
        assert_eq!(again.pubkey, keystore.pubkey);
        assert!(matches!(
            keystore.decrypt("testpassword"),
            Err(KeystoreError::WrongPassword)
        ));
    }
}

#[test]
fn new_keystores_round_trip_through_a_file() {
    let secret = SecretKey::random();
    let dir = tempfile::tempdir().unwrap();
    for kdf in [Kdf::Pbkdf2, Kdf::Scrypt, Kdf::InsecurePbkdf2] {
        let keystore =
            Keystore::encrypt(&secret, "correct horse", "m/12381/3600/0/0/0", kdf, None).unwrap();
        let path = dir.path().join(format!("{kdf:?}.json"));
        keystore.to_file(&path).unwrap();
        let read = Keystore::from_file(&path).unwrap();
        assert_eq!(read, keystore);
        assert_eq!(
            read.decrypt("correct horse").unwrap().serialize().as_ref(),
            secret.serialize().as_ref()
        );
        assert_eq!(
            uuid::Uuid::parse_str(&read.uuid).unwrap().get_version_num(),
            4
        );
    }
}

#[test]
fn the_insecure_kdf_is_pbkdf2_with_1024_rounds() {
    let keystore = Keystore::encrypt(
        &SecretKey::random(),
        "correct horse",
        "",
        Kdf::InsecurePbkdf2,
        None,
    )
    .unwrap();
    match &keystore.crypto.kdf.params {
        KdfParams::Pbkdf2 { c, .. } => assert_eq!(*c, 1024),
        other => panic!("expected pbkdf2, got {other:?}"),
    }
}

#[test]
fn bad_keystores_are_clear_errors() {
    assert!(matches!(
        Keystore::from_json_str("{"),
        Err(KeystoreError::Malformed(_))
    ));
    let mut keystore = Keystore::from_json_str(PBKDF2_VECTOR).unwrap();
    keystore.crypto.cipher.function = "aes-256-gcm".into();
    assert!(matches!(
        keystore.decrypt(PASSWORD),
        Err(KeystoreError::Unsupported { .. })
    ));
    let mut keystore = Keystore::from_json_str(PBKDF2_VECTOR).unwrap();
    keystore.pubkey = "aa".repeat(48);
    assert!(matches!(
        keystore.decrypt(PASSWORD),
        Err(KeystoreError::PubkeyMismatch { .. })
    ));
    let mut keystore = Keystore::from_json_str(PBKDF2_VECTOR).unwrap();
    keystore.crypto.cipher.params.iv = "00".into();
    assert!(matches!(
        keystore.decrypt(PASSWORD),
        Err(KeystoreError::Malformed(_))
    ));
    let missing = std::path::Path::new("/nonexistent/keystore.json");
    let err = Keystore::from_file(missing).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/keystore.json"));
}
