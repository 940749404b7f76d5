//! Interop ("mocked start") keys: key i = int.from_bytes(sha256(i as 32-byte little-endian),
//! 'little') mod the BLS12-381 curve order, as every phase 0 client derives them.

use bls::{PublicKey, SecretKey};

/// The BLS12-381 scalar field order r, as little-endian u64 limbs.
const CURVE_ORDER_LE: [u64; 4] = [
    0xffff_ffff_0000_0001,
    0x53bd_a402_fffe_5bfe,
    0x3339_d808_09a1_d805,
    0x73ed_a753_299d_7d48,
];

/// Subtract `b` from `a` in place if `a >= b` (little-endian limbs); returns whether it did.
fn sub_if_ge(a: &mut [u64; 4], b: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            if a[i] < b[i] {
                return false;
            }
            break;
        }
    }
    let mut borrow = 0u64;
    for i in 0..4 {
        let (d1, b1) = a[i].overflowing_sub(b[i]);
        let (d2, b2) = d1.overflowing_sub(borrow);
        a[i] = d2;
        borrow = (b1 || b2) as u64;
    }
    true
}

/// The interop secret key of validator `index` as 32 big-endian bytes.
pub fn interop_secret_key_bytes(index: u64) -> [u8; 32] {
    let mut preimage = [0u8; 32];
    preimage[..8].copy_from_slice(&index.to_le_bytes());
    let digest = ethereum_hashing::hash_fixed(&preimage);
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(&digest[i * 8..i * 8 + 8]);
        *limb = u64::from_le_bytes(b);
    }
    // digest < 2^256 < 4r (r > 2^254), so at most three subtractions reduce it.
    while sub_if_ge(&mut limbs, &CURVE_ORDER_LE) {}
    let mut out = [0u8; 32];
    for (i, limb) in limbs.iter().enumerate() {
        out[32 - 8 * (i + 1)..32 - 8 * i].copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// The interop secret key of validator `index`.
pub fn interop_secret_key(index: u64) -> SecretKey {
    // The reduced value is in [1, r) for every index: a zero key would need sha256 to hit r·k.
    SecretKey::deserialize(&interop_secret_key_bytes(index))
        .expect("a value reduced mod the curve order is a valid secret key")
}

/// The interop key pair of validator `index`.
pub fn interop_keypair(index: u64) -> (SecretKey, PublicKey) {
    let sk = interop_secret_key(index);
    let pk = sk.public_key();
    (sk, pk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;
    use base64::Engine;

    /// The shared vector file: `privkey` as a 77-digit decimal integer (too big for a YAML
    /// number type, so the lines are read as text) and `pubkey` as YAML `!!binary` base64.
    fn load_vectors() -> Option<Vec<(U256, Vec<u8>)>> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/interop-keys/keygen_test_vector.yaml"
        );
        let text = std::fs::read_to_string(path).ok()?;
        let mut vectors = Vec::new();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            let Some(privkey) = line
                .trim_start_matches("- ")
                .trim()
                .strip_prefix("privkey:")
            else {
                continue;
            };
            let privkey = U256::from_str_radix(privkey.trim(), 10).expect("decimal privkey");
            let header = lines.next().expect("pubkey line");
            assert!(header.trim().starts_with("pubkey: !!binary"), "{header}");
            let mut b64 = String::new();
            while let Some(next) = lines.peek() {
                if next.trim_start().starts_with('-') || next.trim().is_empty() {
                    break;
                }
                b64.push_str(next.trim());
                lines.next();
            }
            let pubkey = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64 pubkey");
            vectors.push((privkey, pubkey));
        }
        Some(vectors)
    }

    #[test]
    fn first_ten_keys_match_the_shared_vectors() {
        let Some(vectors) = load_vectors() else {
            eprintln!("skipping: ../shared/interop-keys not present");
            return;
        };
        assert_eq!(vectors.len(), 10);
        for (i, (privkey, pubkey)) in vectors.iter().enumerate() {
            let sk = interop_secret_key_bytes(i as u64);
            assert_eq!(U256::from_be_bytes(sk), *privkey, "privkey {i}");
            let pk = interop_secret_key(i as u64).public_key().serialize();
            assert_eq!(pk.as_slice(), pubkey.as_slice(), "pubkey {i}");
        }
    }
}
