//! Legacy transactions signed with EIP-155 replay protection, for `--private-key-file`
//! (an account the eth1 node does not hold unlocked).

use alloy_primitives::{keccak256, Address};
use alloy_rlp::{Encodable, Header};
use k256::ecdsa::SigningKey;

/// A legacy (pre-EIP-2718) transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyTransaction {
    pub nonce: u64,
    pub gas_price: u128,
    pub gas: u64,
    /// None creates a contract from `data`.
    pub to: Option<Address>,
    pub value: u128,
    pub data: Vec<u8>,
    pub chain_id: u64,
}

/// Parses a secp256k1 private key written as 64 hex digits (with or without `0x`, surrounding
/// whitespace ignored).
pub fn parse_private_key(text: &str) -> Result<SigningKey, String> {
    let digits = text.trim().trim_start_matches("0x");
    let bytes = hex::decode(digits).map_err(|e| format!("not hex: {e}"))?;
    if bytes.len() != 32 {
        return Err(format!("{} bytes, a private key has 32", bytes.len()));
    }
    SigningKey::from_slice(&bytes).map_err(|_| "not a valid secp256k1 private key".to_string())
}

/// The account address of a key: the last 20 bytes of keccak256 of the uncompressed public key.
pub fn address_of(key: &SigningKey) -> Address {
    let point = key.verifying_key().to_encoded_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    Address::from_slice(&hash[12..])
}

/// RLP of an unsigned integer given as big-endian bytes: leading zeros dropped (zero is the
/// empty string), as RLP requires of scalars.
fn encode_scalar_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[start..].encode(out);
}

impl LegacyTransaction {
    /// The fields before the signature, RLP-encoded into `out`.
    fn encode_fields(&self, out: &mut Vec<u8>) {
        self.nonce.encode(out);
        self.gas_price.encode(out);
        self.gas.encode(out);
        match &self.to {
            Some(to) => to.as_slice().encode(out),
            None => (&[] as &[u8]).encode(out),
        }
        self.value.encode(out);
        self.data.as_slice().encode(out);
    }

    fn list(payload: Vec<u8>) -> Vec<u8> {
        let mut out = Vec::with_capacity(payload.len() + 9);
        Header {
            list: true,
            payload_length: payload.len(),
        }
        .encode(&mut out);
        out.extend_from_slice(&payload);
        out
    }

    /// The hash that is signed: keccak256(rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])) (EIP-155).
    pub fn signing_hash(&self) -> [u8; 32] {
        let mut payload = Vec::new();
        self.encode_fields(&mut payload);
        self.chain_id.encode(&mut payload);
        0u8.encode(&mut payload);
        0u8.encode(&mut payload);
        keccak256(Self::list(payload)).0
    }

    /// The signed transaction as `eth_sendRawTransaction` takes it, with `v = recovery id +
    /// 35 + 2 * chainId`.
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>, String> {
        let (signature, recovery) = key
            .sign_prehash_recoverable(&self.signing_hash())
            .map_err(|e| format!("signing failed: {e}"))?;
        let v = u64::from(recovery.to_byte())
            .checked_add(35)
            .and_then(|v| self.chain_id.checked_mul(2).and_then(|c| c.checked_add(v)))
            .ok_or("the chain id is too large for EIP-155")?;
        let bytes = signature.to_bytes();
        let mut payload = Vec::new();
        self.encode_fields(&mut payload);
        v.encode(&mut payload);
        encode_scalar_bytes(&bytes[..32], &mut payload);
        encode_scalar_bytes(&bytes[32..], &mut payload);
        Ok(Self::list(payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of EIP-155 itself.
    #[test]
    fn eip155_example() {
        let key = parse_private_key(&"46".repeat(32)).unwrap();
        let tx = LegacyTransaction {
            nonce: 9,
            gas_price: 20_000_000_000,
            gas: 21_000,
            to: Some(Address::repeat_byte(0x35)),
            value: 1_000_000_000_000_000_000,
            data: vec![],
            chain_id: 1,
        };
        assert_eq!(
            hex::encode(tx.signing_hash()),
            "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"
        );
        assert_eq!(
            hex::encode(tx.sign(&key).unwrap()),
            "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
        );
    }

    /// anvil's first dev account (the well-known mnemonic "test test ... junk").
    #[test]
    fn address_of_anvil_dev_key() {
        let key =
            parse_private_key("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
                .unwrap();
        assert_eq!(
            format!("{:?}", address_of(&key)).to_lowercase(),
            "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
        );
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(parse_private_key("zz").is_err());
        assert!(parse_private_key(&"00".repeat(32)).is_err());
        assert!(parse_private_key(&"11".repeat(31)).is_err());
    }
}
