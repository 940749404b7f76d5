//! Real data: each bundled network's genesis.ssz decodes, re-encodes byte for byte, and
//! reproduces the published genesis_validators_root and state root (see
//! ../shared/networks/SOURCES.md, "Genesis facts"). Also runs `lcli state-root` on each.

use ssz::{Decode, Encode};
use std::path::PathBuf;
use std::process::Command;
use tree_hash::TreeHash;
use types::{BeaconState, EthSpec, MainnetEthSpec, MainnetV012EthSpec};

struct Published {
    network: &'static str,
    genesis_validators_root: &'static str,
    state_root: &'static str,
    validators: usize,
}

const PUBLISHED: &[Published] = &[
    Published {
        network: "mainnet",
        genesis_validators_root:
            "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
        state_root: "0x7e76880eb67bbdc86250aa578958e9d0675e64e714337855204fb5abaaf82c2b",
        validators: 21063,
    },
    Published {
        network: "altona",
        genesis_validators_root:
            "0x1b244843b4aa8d14d59a3e397f0a02318eefa229ae68209de78418b2fc07f794",
        state_root: "0x939d98077986a9f6eccae33614e2da1008a2f300f1aac36bc65ef710550eec4a",
        validators: 685,
    },
    Published {
        network: "medalla",
        genesis_validators_root:
            "0x04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673",
        state_root: "0xaf6aafa94dcc22a5cf0253c4f5dd886397900034bf7c149c54635b537f34f64e",
        validators: 20084,
    },
    Published {
        network: "spadina",
        genesis_validators_root:
            "0xc4edba0358180e0a63ebbd0376440efaddcefc3c06341ff7346fe07edffc38f1",
        state_root: "0xcee4c8312fa3b5570a24a21c948c10a5f892929eff02a308836c8f5c89971073",
        validators: 2856,
    },
    Published {
        network: "zinken",
        genesis_validators_root:
            "0xc3faaeef8c9387d4ab1478c5976da9a3b89679612e78b855bf090ba0621815e1",
        state_root: "0x7bf61f7e24ae8d6c21d61b066af5637c5e7ef5022d1deb001094d83b468610a1",
        validators: 3761,
    },
];

fn genesis_path(network: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testnets")
        .join(network)
        .join("genesis.ssz")
}

fn check<E: EthSpec>(p: &Published) {
    let bytes = std::fs::read(genesis_path(p.network)).expect("bundled genesis.ssz");
    let state = BeaconState::<E>::from_ssz_bytes(&bytes).expect("decodes");
    assert_eq!(
        state.as_ssz_bytes(),
        bytes,
        "{}: re-encoding differs",
        p.network
    );
    assert_eq!(
        state.validators.len(),
        p.validators,
        "{}: validator count",
        p.network
    );
    assert_eq!(
        format!("{:?}", state.genesis_validators_root),
        p.genesis_validators_root,
        "{}",
        p.network
    );
    assert_eq!(
        format!("{:?}", state.tree_hash_root()),
        p.state_root,
        "{}",
        p.network
    );
}

#[test]
fn bundled_genesis_states_reproduce_published_roots() {
    for p in PUBLISHED {
        if p.network == "mainnet" {
            check::<MainnetEthSpec>(p);
        } else {
            // v0.12-era: EPOCHS_PER_ETH1_VOTING_PERIOD 32, so eth1_data_votes is limited to 1024.
            check::<MainnetV012EthSpec>(p);
        }
    }
}

#[test]
fn the_v1_limit_does_not_reproduce_a_v012_root() {
    let p = &PUBLISHED[1];
    let bytes = std::fs::read(genesis_path(p.network)).expect("bundled genesis.ssz");
    let state = BeaconState::<MainnetEthSpec>::from_ssz_bytes(&bytes).expect("decodes");
    assert_ne!(format!("{:?}", state.tree_hash_root()), p.state_root);
}

#[test]
fn lcli_state_root_prints_published_roots() {
    for p in PUBLISHED {
        let output = Command::new(env!("CARGO_BIN_EXE_lcli"))
            .args(["state-root", "--network", p.network])
            .arg(genesis_path(p.network))
            .output()
            .expect("lcli runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}: {}",
            p.network,
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains(&format!("state_root: {}", p.state_root)),
            "{}: {stdout}",
            p.network
        );
        assert!(
            stdout.contains(&format!(
                "genesis_validators_root: {}",
                p.genesis_validators_root
            )),
            "{}: {stdout}",
            p.network
        );
    }
}
