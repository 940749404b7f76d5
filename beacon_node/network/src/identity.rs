//! The node key: a secp256k1 secret kept in the datadir, so that the node's peer id and ENR
//! survive restarts (peers and bootnode lists refer to them).

use discv5::Enr;
use enr::k256::ecdsa::SigningKey;
use enr::{CombinedKey, EnrKey, EnrPublicKey};
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
pub const ATTNETS_BYTES: usize = 64 / 8;

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

/// The ENR file in the network directory (base64 text), kept so that the sequence number
/// only rises.
pub const ENR_FILENAME: &str = "enr.dat";

/// What the node's ENR says about it besides its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrFields {
    pub ip: Option<std::net::Ipv4Addr>,
    pub tcp: Option<u16>,
    pub udp: Option<u16>,
    pub fork_id: EnrForkId,
    pub attnets: [u8; ATTNETS_BYTES],
}

/// The node's keys and its signed record.
pub struct NodeIdentity {
    pub keypair: Keypair,
    enr_key: CombinedKey,
    pub peer_id: PeerId,
    pub enr: Enr,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIdentity")
            .field("peer_id", &self.peer_id)
            .field("enr", &self.enr.to_base64())
            .finish()
    }
}

impl NodeIdentity {
    /// The ENR signing key (the same secp256k1 secret as the libp2p key).
    pub fn enr_key(&self) -> CombinedKey {
        match &self.enr_key {
            CombinedKey::Secp256k1(key) => CombinedKey::Secp256k1(key.clone()),
            CombinedKey::Ed25519(key) => CombinedKey::Ed25519(key.clone()),
        }
    }

    /// Load the node key from `network_dir`, or create one there (the directory too) on the
    /// first start; then the ENR for `fields`, with the stored record's sequence number kept
    /// if nothing changed and raised if something did.
    pub fn load_or_create(network_dir: &Path, fields: &EnrFields) -> Result<Self, IdentityError> {
        let path = network_dir.join(NODE_KEY_FILENAME);
        let secret = match std::fs::read(&path) {
            Ok(bytes) => secp256k1::SecretKey::try_from_bytes(bytes)
                .map_err(|_| IdentityError::BadKey { path: path.clone() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = secp256k1::SecretKey::generate();
                write_file(network_dir, &path, &secret.to_bytes(), true)?;
                tracing::info!(path = %path.display(), "Created a new node key");
                secret
            }
            Err(source) => return Err(IdentityError::Io { path, source }),
        };
        let signing_key = SigningKey::from_slice(&secret.to_bytes())
            .map_err(|e| IdentityError::Enr(e.to_string()))?;
        let enr_key = CombinedKey::Secp256k1(signing_key);
        let keypair = Keypair::from(secp256k1::Keypair::from(secret));
        let peer_id = PeerId::from(keypair.public());
        let stored = read_stored_enr(network_dir, &enr_key);
        let enr = match stored {
            Some(old) if enr_matches(&old, fields) => old,
            Some(old) => build_enr(&enr_key, fields, old.seq().saturating_add(1))?,
            None => build_enr(&enr_key, fields, 1)?,
        };
        let identity = NodeIdentity {
            keypair,
            enr_key,
            peer_id,
            enr,
        };
        identity.store_enr(network_dir)?;
        Ok(identity)
    }

    /// Replace the record's fields (a new sequence number), and keep it on disk.
    pub fn update_enr(
        &mut self,
        network_dir: &Path,
        fields: &EnrFields,
    ) -> Result<bool, IdentityError> {
        if enr_matches(&self.enr, fields) {
            return Ok(false);
        }
        self.enr = build_enr(&self.enr_key, fields, self.enr.seq().saturating_add(1))?;
        self.store_enr(network_dir)?;
        Ok(true)
    }

    fn store_enr(&self, network_dir: &Path) -> Result<(), IdentityError> {
        let path = network_dir.join(ENR_FILENAME);
        write_file(network_dir, &path, self.enr.to_base64().as_bytes(), false)
    }
}

/// The stored ENR, if it is readable and signed by this node's key.
fn read_stored_enr(network_dir: &Path, key: &CombinedKey) -> Option<Enr> {
    let text = std::fs::read_to_string(network_dir.join(ENR_FILENAME)).ok()?;
    let enr: Enr = text.trim().parse().ok()?;
    (enr.public_key() == key.public()).then_some(enr)
}

fn enr_matches(enr: &Enr, fields: &EnrFields) -> bool {
    enr.ip4() == fields.ip
        && enr.tcp4() == fields.tcp
        && enr.udp4() == fields.udp
        && enr.get_raw_rlp(ETH2_ENR_KEY).map(|raw| raw[1..].to_vec())
            == Some(fields.fork_id.as_ssz_bytes())
        && enr
            .get_raw_rlp(ATTNETS_ENR_KEY)
            .map(|raw| raw[1..].to_vec())
            == Some(fields.attnets.to_vec())
}

fn build_enr(key: &CombinedKey, fields: &EnrFields, seq: u64) -> Result<Enr, IdentityError> {
    let mut builder = enr::Enr::builder();
    builder.seq(seq);
    if let Some(ip) = fields.ip {
        builder.ip4(ip);
    }
    if let Some(tcp) = fields.tcp {
        builder.tcp4(tcp);
    }
    if let Some(udp) = fields.udp {
        builder.udp4(udp);
    }
    builder
        .add_value(ETH2_ENR_KEY, &fields.fork_id.as_ssz_bytes().as_slice())
        .add_value(ATTNETS_ENR_KEY, &fields.attnets.as_slice())
        .build(key)
        .map_err(|e| IdentityError::Enr(e.to_string()))
}

/// The `eth2` field of an ENR: its fork digest, if present and well formed.
pub fn enr_fork_digest(enr: &Enr) -> Option<[u8; 4]> {
    let raw = enr.get_raw_rlp(ETH2_ENR_KEY)?;
    // An RLP string of 16 bytes: 0x80 + 16, then the SSZ of ENRForkID.
    if raw.len() != 17 || raw[0] != 0x80 + 16 {
        return None;
    }
    raw[1..5].try_into().ok()
}

/// The `attnets` bitfield of an ENR.
pub fn enr_attnets(enr: &Enr) -> Option<[u8; ATTNETS_BYTES]> {
    let raw = enr.get_raw_rlp(ATTNETS_ENR_KEY)?;
    if raw.len() != ATTNETS_BYTES + 1 || raw[0] != 0x80 + ATTNETS_BYTES as u8 {
        return None;
    }
    raw[1..].try_into().ok()
}

/// The libp2p peer id of an ENR's secp256k1 key.
pub fn enr_peer_id(enr: &Enr) -> Option<PeerId> {
    match enr.public_key() {
        key @ enr::CombinedPublicKey::Secp256k1(_) => {
            let public = secp256k1::PublicKey::try_from_bytes(&key.encode()).ok()?;
            Some(PeerId::from(libp2p_identity::PublicKey::from(public)))
        }
        _ => None,
    }
}

/// Where to dial an ENR's node over TCP.
pub fn enr_tcp_multiaddr(enr: &Enr) -> Option<libp2p::Multiaddr> {
    let ip = enr.ip4()?;
    let tcp = enr.tcp4()?;
    let peer_id = enr_peer_id(enr)?;
    let mut addr = libp2p::Multiaddr::from(ip);
    addr.push(libp2p::multiaddr::Protocol::Tcp(tcp));
    addr.push(libp2p::multiaddr::Protocol::P2p(peer_id));
    Some(addr)
}

/// Write a file so that a crash leaves either the old file or the whole new one; the key
/// readable only by the node's user.
fn write_file(dir: &Path, path: &Path, bytes: &[u8], secret: bool) -> Result<(), IdentityError> {
    let io = |source| IdentityError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!("{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
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

    fn fields() -> EnrFields {
        EnrFields {
            ip: Some(std::net::Ipv4Addr::LOCALHOST),
            tcp: Some(9000),
            udp: Some(9000),
            fork_id: EnrForkId::phase0([0, 0, 0, 1], Hash256::repeat_byte(3)),
            attnets: [0; ATTNETS_BYTES],
        }
    }

    #[test]
    fn the_identity_survives_a_restart_and_the_enr_carries_the_fork() {
        let dir = tempfile::tempdir().unwrap();
        let first = NodeIdentity::load_or_create(dir.path(), &fields()).unwrap();
        let again = NodeIdentity::load_or_create(dir.path(), &fields()).unwrap();
        assert_eq!(first.peer_id, again.peer_id);
        assert_eq!(
            first.enr, again.enr,
            "nothing changed: same record, same seq"
        );
        assert!(first.enr.to_base64().starts_with("enr:"));
        // An RLP string of 16 bytes: the 0x80 + 16 prefix, then the SSZ bytes.
        let eth2 = first.enr.get_raw_rlp(ETH2_ENR_KEY).unwrap();
        assert_eq!(eth2[0], 0x80 + 16);
        assert_eq!(&eth2[1..], fields().fork_id.as_ssz_bytes().as_slice());
        assert_eq!(
            enr_fork_digest(&first.enr),
            Some(fields().fork_id.fork_digest)
        );
        assert_eq!(enr_attnets(&first.enr), Some([0; 8]));
        assert_eq!(enr_peer_id(&first.enr), Some(first.peer_id));
        assert_eq!(
            enr_tcp_multiaddr(&first.enr).unwrap().to_string(),
            format!("/ip4/127.0.0.1/tcp/9000/p2p/{}", first.peer_id)
        );
        assert!(crate::is_valid_peer_id(&first.peer_id.to_string()));
        assert!(!crate::is_valid_peer_id("localhost"));
    }

    #[test]
    fn the_sequence_number_rises_when_the_record_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut identity = NodeIdentity::load_or_create(dir.path(), &fields()).unwrap();
        assert_eq!(identity.enr.seq(), 1);
        let mut changed = fields();
        changed.attnets[0] = 0b101;
        assert!(identity.update_enr(dir.path(), &changed).unwrap());
        assert_eq!(identity.enr.seq(), 2);
        assert_eq!(enr_attnets(&identity.enr), Some(changed.attnets));
        assert!(!identity.update_enr(dir.path(), &changed).unwrap());
        // After a restart with other ports: seq 3.
        changed.tcp = Some(9100);
        let again = NodeIdentity::load_or_create(dir.path(), &changed).unwrap();
        assert_eq!(again.enr.seq(), 3);
        assert_eq!(again.enr.tcp4(), Some(9100));
    }

    #[test]
    fn a_corrupt_key_is_named_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(NODE_KEY_FILENAME), b"short").unwrap();
        let err = NodeIdentity::load_or_create(dir.path(), &fields())
            .expect_err("a corrupt key is an error");
        assert!(err.to_string().contains("remove it"), "{err}");
        assert_eq!(
            std::fs::read(dir.path().join(NODE_KEY_FILENAME)).unwrap(),
            b"short"
        );
    }
}
