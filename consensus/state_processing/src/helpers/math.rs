//! beacon-chain.md, "Math".

/// `integer_squareroot` (beacon-chain.md, Math): the largest x with x*x <= n.
pub fn integer_squareroot(n: u64) -> u64 {
    // Newton's method as the spec writes it, in u128 so `x + n / x` cannot overflow.
    let n = n as u128;
    let mut x = n;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x as u64
}

/// `bytes_to_uint64` (beacon-chain.md, Math): little-endian, from the first 8 bytes.
pub fn bytes_to_uint64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squareroot_matches_definition() {
        for n in (0..10_000u64).chain([u64::MAX, u64::MAX - 1, 1 << 62]) {
            let x = integer_squareroot(n) as u128;
            assert!(
                x * x <= n as u128 && (x + 1) * (x + 1) > n as u128,
                "n = {n}"
            );
        }
    }
}
