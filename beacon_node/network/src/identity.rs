//! The node key: a secp256k1 secret kept in the datadir, so that the node's peer id and ENR
//! survive restarts (peers and bootnode lists refer to them).

use enr::k256::ecdsa::SigningKey;
use libp2p_identity::{secp256k1, Keypair, PeerId};
use std::io::Write;
use std::path::{Path, PathBuf};
use types::signing::compute_fork_digest;
use types::{Epoch, Hash256, Version};

/// The node key's file in the network directory: the 32 bytes of the secret, nothing else.
pub const NODE_KEY_FILENAME: &str = "key";

/// The ENR key of the fork id (p2p-interface.md, "eth2 field").
const ETH2_ENR_KEY: &str = "eth2";
/// The ENR key of the attestation subnet bitfield (p2p-interface.md, "attnets bitfield").
const ATTNETS_ENR_KEY: &str = "attnets";
/// ATTESTATION_SUBNET_COUNT (p2p-interface.md, Configuration): 64 bits, 8 bytes.
const ATTNETS_BYTES: usize = 64 / 8;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: not a secp256k1 secret key (32 bytes expected); remove it to get a new identity"
    )]
    BadKey { path: PathBuf },
    #[error("building the ENR: {0}")]
    Enr(String),
}

/// `ENRForkID` (p2p-interface.md, "eth2 field"): the fork the node is on and the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrForkId {
    pub fork_digest: [u8; 4],
    pub next_fork_version: Version,
    pub next_fork_epoch: Epoch,
}

impl EnrForkId {
    /// Phase 0 with no fork scheduled: the next fork is the current version at
    /// FAR_FUTURE_EPOCH, as the spec says for a node that knows of no upcoming fork.
    pub fn phase0(current_version: Version, genesis_validators_root: Hash256) -> Self {
        EnrForkId {
            fork_digest: compute_fork_digest(current_version, genesis_validators_root),
            next_fork_version: current_version,
            next_fork_epoch: u64::MAX,
        }
    }

    /// The SSZ encoding (fixed size: 4 + 4 + 8 bytes).
    pub fn as_ssz_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(16);
        bytes.extend_from_slice(&self.fork_digest);
        bytes.extend_from_slice(&self.next_fork_version);
        bytes.extend_from_slice(&self.next_fork_epoch.to_le_bytes());
        bytes
    }
}

/// The node's identity, as the REST API reports it.
pub struct NodeIdentity {
    pub peer_id: PeerId,
    pub enr: enr::Enr<SigningKey>,
    /// The ENR's sequence number (the API's `metadata.seq_number`).
    pub seq_number: u64,
    /// The attestation subnets the node subscribes to long-lived (none yet).
    pub attnets: [u8; ATTNETS_BYTES],
}

impl NodeIdentity {
    /// Load the node key from `network_dir`, or create one there (the directory too) on the
    /// first start, then derive the peer id and the ENR for `fork_id`.
    pub fn load_or_create(network_dir: &Path, fork_id: EnrForkId) -> Result<Self, IdentityError> {
        let path = network_dir.join(NODE_KEY_FILENAME);
        let secret = match std::fs::read(&path) {
            Ok(bytes) => secp256k1::SecretKey::try_from_bytes(bytes)
                .map_err(|_| IdentityError::BadKey { path: path.clone() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = secp256k1::SecretKey::generate();
                write_key(network_dir, &path, &secret.to_bytes())?;
                tracing::info!(path = %path.display(), "Created a new node key");
                secret
            }
            Err(source) => return Err(IdentityError::Io { path, source }),
        };
        Self::from_secret(&secret, fork_id)
    }

    fn from_secret(
        secret: &secp256k1::SecretKey,
        fork_id: EnrForkId,
    ) -> Result<Self, IdentityError> {
        let signing_key = SigningKey::from_slice(&secret.to_bytes())
            .map_err(|e| IdentityError::Enr(e.to_string()))?;
        let keypair = Keypair::from(secp256k1::Keypair::from(secret.clone()));
        let peer_id = PeerId::from(keypair.public());
        let attnets = [0u8; ATTNETS_BYTES];
        let seq_number = 1;
        let enr = enr::Enr::builder()
            .seq(seq_number)
            .add_value(ETH2_ENR_KEY, &fork_id.as_ssz_bytes().as_slice())
            .add_value(ATTNETS_ENR_KEY, &attnets.as_slice())
            .build(&signing_key)
            .map_err(|e| IdentityError::Enr(e.to_string()))?;
        Ok(NodeIdentity {
            peer_id,
            enr,
            seq_number,
            attnets,
        })
    }

    /// The attestation subnet bitfield as the API prints it (0x-hex SSZ).
    pub fn attnets_hex(&self) -> String {
        format!("0x{}", hex::encode(self.attnets))
    }
}

/// Write the key so that a crash leaves either no key or the whole key, readable only by
/// the node's user.
fn write_key(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), IdentityError> {
    let io = |source| IdentityError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!("{NODE_KEY_FILENAME}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    // The rename is durable once the directory is.
    if let Ok(dir_handle) = std::fs::File::open(dir) {
        let _ = dir_handle.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fork_id() -> EnrForkId {
        EnrForkId::phase0([0, 0, 0, 1], Hash256::repeat_byte(3))
    }

    #[test]
    fn the_identity_survives_a_restart_and_the_enr_carries_the_fork() {
        let dir = tempfile::tempdir().unwrap();
        let first = NodeIdentity::load_or_create(dir.path(), fork_id()).unwrap();
        let again = NodeIdentity::load_or_create(dir.path(), fork_id()).unwrap();
        assert_eq!(first.peer_id, again.peer_id);
        assert_eq!(first.enr.node_id(), again.enr.node_id());
        assert!(first.enr.to_base64().starts_with("enr:"));
        // An RLP string of 16 bytes: the 0x80 + 16 prefix, then the SSZ bytes.
        let eth2 = first.enr.get_raw_rlp(ETH2_ENR_KEY).unwrap();
        assert_eq!(eth2[0], 0x80 + 16);
        assert_eq!(&eth2[1..], fork_id().as_ssz_bytes().as_slice());
        assert!(crate::is_valid_peer_id(&first.peer_id.to_string()));
        assert!(!crate::is_valid_peer_id("localhost"));
        assert_eq!(first.attnets_hex(), "0x0000000000000000");
    }

    #[test]
    fn a_corrupt_key_is_named_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(NODE_KEY_FILENAME), b"short").unwrap();
        let err = NodeIdentity::load_or_create(dir.path(), fork_id())
            .err()
            .expect("a corrupt key is an error");
        assert!(err.to_string().contains("remove it"), "{err}");
        assert_eq!(
            std::fs::read(dir.path().join(NODE_KEY_FILENAME)).unwrap(),
            b"short"
        );
    }
}
