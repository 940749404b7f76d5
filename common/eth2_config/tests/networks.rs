//! Every bundled network (`testnets/<name>/`) loads, with the right era, preset and values.

use eth2_config::{
    load_config_file, network_dir, parse_config, ConfigError, Eth2NetworkConfig, EthSpecId,
    PresetBase, SpecEra, BUNDLED_NETWORKS, REQUIRED_KEYS,
};

struct Expected {
    name: &'static str,
    era: SpecEra,
    preset: EthSpecId,
    proportional_slashing_multiplier: u64,
    fork_version: [u8; 4],
    deploy_block: u64,
    /// `genesis_time` of the bundled genesis state (`None`: no genesis.ssz bundled).
    genesis_time: Option<u64>,
    defaulted: &'static [&'static str],
    unknown: &'static [&'static str],
}

const EXPECTED: &[Expected] = &[
    Expected {
        name: "mainnet",
        era: SpecEra::V1_0,
        preset: EthSpecId::Mainnet,
        proportional_slashing_multiplier: 1,
        fork_version: [0, 0, 0, 0],
        deploy_block: 11052984,
        genesis_time: Some(1606824023),
        defaulted: &[],
        unknown: &[],
    },
    Expected {
        name: "pyrmont",
        era: SpecEra::V1_0,
        preset: EthSpecId::Mainnet,
        proportional_slashing_multiplier: 1,
        fork_version: [0, 0, 0x20, 0x09],
        deploy_block: 3743587,
        genesis_time: None,
        defaulted: &["CONFIG_NAME"],
        unknown: &[],
    },
    Expected {
        name: "prater",
        era: SpecEra::V1_0,
        preset: EthSpecId::Mainnet,
        proportional_slashing_multiplier: 1,
        fork_version: [0, 0, 0x10, 0x20],
        deploy_block: 4367322,
        genesis_time: None,
        defaulted: &[],
        unknown: &[],
    },
    Expected {
        name: "medalla",
        era: SpecEra::V0_12,
        preset: EthSpecId::MainnetV012,
        proportional_slashing_multiplier: 3,
        fork_version: [0, 0, 0, 1],
        deploy_block: 3085928,
        genesis_time: Some(1596546008),
        defaulted: &["CONFIG_NAME", "PROPORTIONAL_SLASHING_MULTIPLIER"],
        unknown: &[],
    },
    Expected {
        name: "altona",
        era: SpecEra::V0_12,
        preset: EthSpecId::MainnetV012,
        proportional_slashing_multiplier: 3,
        fork_version: [0, 0, 1, 0x21],
        deploy_block: 2917810,
        genesis_time: Some(1593433805),
        defaulted: &[
            "CONFIG_NAME",
            "PROPORTIONAL_SLASHING_MULTIPLIER",
            "DEPOSIT_CHAIN_ID",
            "DEPOSIT_NETWORK_ID",
        ],
        unknown: &["MAX_EPOCHS_PER_CROSSLINK"],
    },
    Expected {
        name: "spadina",
        era: SpecEra::V0_12,
        preset: EthSpecId::MainnetV012,
        proportional_slashing_multiplier: 3,
        fork_version: [0, 0, 0, 2],
        deploy_block: 3384340,
        genesis_time: Some(1601380813),
        defaulted: &["CONFIG_NAME"],
        unknown: &[],
    },
    Expected {
        name: "zinken",
        era: SpecEra::V0_12,
        preset: EthSpecId::MainnetV012,
        proportional_slashing_multiplier: 3,
        fork_version: [0, 0, 0, 3],
        deploy_block: 3488417,
        genesis_time: Some(1602504013),
        defaulted: &[],
        unknown: &[],
    },
];

#[test]
fn expectations_cover_every_bundled_network() {
    let names: Vec<&str> = EXPECTED.iter().map(|e| e.name).collect();
    assert_eq!(names, BUNDLED_NETWORKS);
}

#[test]
fn every_bundled_network_loads() {
    for e in EXPECTED {
        let net = Eth2NetworkConfig::bundled(e.name).unwrap_or_else(|err| panic!("{err}"));
        let spec = &net.spec;
        assert_eq!(net.name, e.name);
        assert_eq!(spec.config_name, e.name, "{}", e.name);
        assert_eq!(spec.preset_base, PresetBase::Mainnet, "{}", e.name);
        assert_eq!(spec.era, e.era, "{}", e.name);
        assert_eq!(spec.type_level_preset(), Ok(e.preset), "{}", e.name);
        assert_eq!(
            spec.proportional_slashing_multiplier, e.proportional_slashing_multiplier,
            "{}",
            e.name
        );
        let (inactivity, min_slashing) = match e.era {
            SpecEra::V1_0 => (1 << 26, 128),
            SpecEra::V0_12 => (1 << 24, 32),
        };
        assert_eq!(spec.inactivity_penalty_quotient, inactivity, "{}", e.name);
        assert_eq!(
            spec.min_slashing_penalty_quotient, min_slashing,
            "{}",
            e.name
        );
        assert_eq!(spec.genesis_fork_version, e.fork_version, "{}", e.name);
        assert_eq!(spec.slots_per_epoch, 32);
        assert_eq!(net.deposit_contract_address, spec.deposit_contract_address);
        assert_eq!(
            net.deposit_contract_deploy_block, e.deploy_block,
            "{}",
            e.name
        );
        assert!(!net.boot_enrs.is_empty(), "{}", e.name);
        assert!(net.boot_enrs.iter().all(|enr| enr.starts_with("enr:-")));

        match (e.genesis_time, &net.genesis_state_bytes) {
            (None, None) => {}
            (Some(time), Some(bytes)) => {
                // BeaconState: genesis_time (8), genesis_validators_root (32), slot (8),
                // fork { previous_version (4), current_version (4), epoch (8) }, ...
                assert!(bytes.len() > 1_000_000, "{}", e.name);
                let genesis_time = u64::from_le_bytes(bytes[0..8].try_into().unwrap());
                assert_eq!(genesis_time, time, "{}", e.name);
                assert!(genesis_time >= spec.min_genesis_time);
                assert_eq!(bytes[52..56], e.fork_version, "{}", e.name);
            }
            other => panic!("{}: genesis presence mismatch {:?}", e.name, other.0),
        }
    }
}

#[test]
fn bundled_config_files_report_defaults_and_unknowns() {
    for e in EXPECTED {
        let path = network_dir(e.name).unwrap().join("config.yaml");
        let loaded = load_config_file(&path).unwrap();
        assert_eq!(loaded.defaulted_keys, e.defaulted, "{}", e.name);
        assert_eq!(loaded.unknown_keys, e.unknown, "{}", e.name);
    }
}

#[test]
fn bundled_config_files_have_required_keys() {
    for name in BUNDLED_NETWORKS {
        let path = network_dir(name).unwrap().join("config.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        for key in REQUIRED_KEYS {
            let present = text.lines().any(|l| l.starts_with(&format!("{key}:")));
            assert!(present, "{name} lacks {key}");
        }
    }
}

#[test]
fn old_testnets_get_v012_slashing_multiplier() {
    for name in ["altona", "medalla"] {
        let spec = Eth2NetworkConfig::bundled(name).unwrap().spec;
        assert_eq!(spec.proportional_slashing_multiplier, 3, "{name}");
        assert_eq!(spec.eth1_data_votes_limit(), 1024, "{name}");
    }
    let mainnet = Eth2NetworkConfig::bundled("mainnet").unwrap().spec;
    assert_eq!(mainnet.proportional_slashing_multiplier, 1);
    assert_eq!(mainnet.eth1_data_votes_limit(), 2048);
    assert_eq!(mainnet, eth2_config::ChainSpec::mainnet());
}

/// Lighthouse's copies of the Medalla/Altona configs add `CONFIG_NAME` and
/// `PROPORTIONAL_SLASHING_MULTIPLIER: 3`; they must give the same spec as the bare files.
#[test]
fn lighthouse_variants_agree() {
    let medalla = parse_config(
        include_str!("fixtures/medalla-lighthouse-v1.4.0-config.yaml"),
        "medalla-lh",
    )
    .unwrap();
    assert!(medalla.defaulted_keys.is_empty());
    assert_eq!(
        medalla.spec,
        Eth2NetworkConfig::bundled("medalla").unwrap().spec
    );

    let altona = parse_config(
        include_str!("fixtures/altona-lighthouse-v1.4.0-config.yaml"),
        "altona-lh",
    )
    .unwrap();
    let mut bundled = Eth2NetworkConfig::bundled("altona").unwrap().spec;
    assert_eq!(
        (bundled.deposit_chain_id, bundled.deposit_network_id),
        (1, 1)
    );
    bundled.deposit_chain_id = 5;
    bundled.deposit_network_id = 5;
    assert_eq!(altona.spec, bundled);
}

#[test]
fn witti_v011_is_rejected() {
    let err = parse_config(
        include_str!("fixtures/witti-config.yaml"),
        "witti/config.yaml",
    )
    .unwrap_err();
    match err {
        ConfigError::Unsupported { file, reason } => {
            assert_eq!(file, "witti/config.yaml");
            assert!(reason.contains("v0.11"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn network_dir_lookup() {
    assert!(network_dir("mainnet")
        .unwrap()
        .join("genesis.ssz")
        .is_file());
    assert_eq!(network_dir("nonexistent"), None);
    assert_eq!(network_dir("../testnets/mainnet"), None);
    assert_eq!(network_dir(""), None);
    assert!(matches!(
        Eth2NetworkConfig::bundled("witti"),
        Err(ConfigError::UnknownNetwork { .. })
    ));
}

#[test]
fn load_dir_layout_variants() {
    let tmp = std::env::temp_dir().join(format!("eth2_config_layout_{}", std::process::id()));
    let dir = tmp.join("devnet");
    std::fs::create_dir_all(&dir).unwrap();
    let config =
        std::fs::read_to_string(network_dir("pyrmont").unwrap().join("config.yaml")).unwrap();
    std::fs::write(dir.join("config.yaml"), &config).unwrap();

    // No deploy block file at all.
    let err = Eth2NetworkConfig::load_dir(&dir).unwrap_err();
    assert!(matches!(err, ConfigError::BadFile { .. }), "{err:?}");

    // bootstrap_nodes.txt fallback, deposit_contract_block.txt, no genesis.
    std::fs::write(dir.join("deposit_contract_block.txt"), "123\n").unwrap();
    std::fs::write(
        dir.join("bootstrap_nodes.txt"),
        "# comment\nenr:-abc\n/ip4/1.2.3.4/tcp/9000\n  enr:-def  \n",
    )
    .unwrap();
    let net = Eth2NetworkConfig::load_dir(&dir).unwrap();
    assert_eq!(net.name, "devnet");
    assert_eq!(net.spec.config_name, "devnet");
    assert_eq!(net.boot_enrs, ["enr:-abc", "enr:-def"]);
    assert_eq!(net.deposit_contract_deploy_block, 123);
    assert_eq!(net.genesis_state_bytes, None);

    // deploy_block.txt wins; boot_enr.yaml wins; genesis.ssz is read.
    std::fs::write(dir.join("deploy_block.txt"), "456").unwrap();
    std::fs::write(dir.join("boot_enr.yaml"), "# x\n- enr:-xyz\n").unwrap();
    std::fs::write(dir.join("genesis.ssz"), [1u8, 2, 3]).unwrap();
    let net = Eth2NetworkConfig::load_dir(&dir).unwrap();
    assert_eq!(net.boot_enrs, ["enr:-xyz"]);
    assert_eq!(net.deposit_contract_deploy_block, 456);
    assert_eq!(net.genesis_state_bytes, Some(vec![1, 2, 3]));
    assert!(format!("{net:?}").contains("<3 bytes>"));

    // A deposit_contract.txt that disagrees with the config is an error.
    std::fs::write(
        dir.join("deposit_contract.txt"),
        "0x0000000000000000000000000000000000000001",
    )
    .unwrap();
    let err = Eth2NetworkConfig::load_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("differs"), "{err}");

    // Bad files are errors, not panics.
    std::fs::remove_file(dir.join("deposit_contract.txt")).unwrap();
    std::fs::write(dir.join("boot_enr.yaml"), "- not-an-enr\n").unwrap();
    assert!(Eth2NetworkConfig::load_dir(&dir).is_err());
    std::fs::write(dir.join("boot_enr.yaml"), "a: b\n").unwrap();
    assert!(Eth2NetworkConfig::load_dir(&dir).is_err());
    std::fs::remove_file(dir.join("boot_enr.yaml")).unwrap();
    std::fs::write(dir.join("deploy_block.txt"), "0x1c8").unwrap();
    assert!(Eth2NetworkConfig::load_dir(&dir).is_err());

    // Missing config.yaml.
    std::fs::remove_file(dir.join("config.yaml")).unwrap();
    assert!(matches!(
        Eth2NetworkConfig::load_dir(&dir),
        Err(ConfigError::Io { .. })
    ));
    std::fs::remove_dir_all(&tmp).unwrap();
}
