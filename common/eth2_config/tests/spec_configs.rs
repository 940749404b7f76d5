//! The four `ChainSpec` constructors against the spec's own config YAML files (tests/fixtures).

use eth2_config::{
    parse_config, parse_config_with_base, ChainSpec, EthSpecId, PresetBase, SpecEra, KNOWN_KEYS,
};

const V101_MAINNET: &str = include_str!("fixtures/v1.0.1-mainnet-phase0.yaml");
const V101_MINIMAL: &str = include_str!("fixtures/v1.0.1-minimal-phase0.yaml");
const V0123_MAINNET: &str = include_str!("fixtures/v0.12.3-mainnet-phase0.yaml");
const V0123_MINIMAL: &str = include_str!("fixtures/v0.12.3-minimal-phase0.yaml");

#[test]
fn constructors_match_spec_yaml() {
    for (yaml, name, expected, preset, era, id) in [
        (
            V101_MAINNET,
            "v1.0.1 mainnet",
            ChainSpec::mainnet(),
            PresetBase::Mainnet,
            SpecEra::V1_0,
            EthSpecId::Mainnet,
        ),
        (
            V101_MINIMAL,
            "v1.0.1 minimal",
            ChainSpec::minimal(),
            PresetBase::Minimal,
            SpecEra::V1_0,
            EthSpecId::Minimal,
        ),
        (
            V0123_MAINNET,
            "v0.12.3 mainnet",
            ChainSpec::mainnet_v012(),
            PresetBase::Mainnet,
            SpecEra::V0_12,
            EthSpecId::MainnetV012,
        ),
        (
            V0123_MINIMAL,
            "v0.12.3 minimal",
            ChainSpec::minimal_v012(),
            PresetBase::Minimal,
            SpecEra::V0_12,
            EthSpecId::Minimal,
        ),
    ] {
        let loaded = parse_config(yaml, name).unwrap();
        assert_eq!(loaded.spec, expected, "{name}");
        assert!(
            loaded.defaulted_keys.is_empty(),
            "{name}: {:?}",
            loaded.defaulted_keys
        );
        assert_eq!(loaded.spec.preset_base, preset, "{name}");
        assert_eq!(loaded.spec.era, era, "{name}");
        assert_eq!(loaded.spec.type_level_preset(), Ok(id), "{name}");
        assert!(
            loaded.unknown_keys.is_empty(),
            "{name}: {:?}",
            loaded.unknown_keys
        );

        // Independent of detection: overlaid on the most different base, every field of the
        // file must still come out as the constructor's value (the file has every key).
        let other_base = match (preset, era) {
            (PresetBase::Mainnet, SpecEra::V1_0) => ChainSpec::minimal_v012(),
            (PresetBase::Minimal, SpecEra::V1_0) => ChainSpec::mainnet_v012(),
            (PresetBase::Mainnet, SpecEra::V0_12) => ChainSpec::minimal(),
            (PresetBase::Minimal, SpecEra::V0_12) => ChainSpec::mainnet(),
        };
        let mut spec = parse_config_with_base(yaml, name, &other_base)
            .unwrap()
            .spec;
        spec.preset_base = preset;
        spec.era = era;
        assert_eq!(spec, expected, "{name} over another base");
    }
}

#[test]
fn v101_files_have_no_unknown_keys() {
    assert!(parse_config(V101_MAINNET, "m")
        .unwrap()
        .unknown_keys
        .is_empty());
    assert!(parse_config(V101_MINIMAL, "m")
        .unwrap()
        .unknown_keys
        .is_empty());
    // The v1.0.1 phase0.yaml has exactly the known keys.
    let keys: Vec<&str> = V101_MAINNET
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains(':'))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(keys.len(), KNOWN_KEYS.len());
    for key in KNOWN_KEYS {
        assert!(keys.contains(key), "{key}");
    }
}

#[test]
fn v012_values() {
    let m = ChainSpec::mainnet_v012();
    assert_eq!(m.proportional_slashing_multiplier, 3);
    assert_eq!(m.inactivity_penalty_quotient, 1 << 24);
    assert_eq!(m.min_slashing_penalty_quotient, 32);
    assert_eq!(m.epochs_per_eth1_voting_period, 32);
    assert_eq!(m.eth1_data_votes_limit(), 1024);
}

/// Maps every known key to a distinct value and checks (through the derived `Debug`, which is
/// independent of the loader's key table) that each lands in the field named after it.
#[test]
fn every_key_sets_its_own_field() {
    let mut yaml = String::new();
    let mut expected = Vec::new();
    for (i, key) in KNOWN_KEYS.iter().enumerate() {
        let i = i as u64 + 1;
        let field = key.to_ascii_lowercase();
        let (text, debug) = match *key {
            "CONFIG_NAME" => ("name".to_string(), "\"name\"".to_string()),
            "DEPOSIT_CONTRACT_ADDRESS" => {
                let bytes: Vec<u8> = (0..20).map(|b| b as u8 + 100).collect();
                (format!("0x{}", hex::encode(&bytes)), format!("{bytes:?}"))
            }
            "BLS_WITHDRAWAL_PREFIX" => (format!("0x{i:02x}"), format!("{i}")),
            k if k == "GENESIS_FORK_VERSION" || k.starts_with("DOMAIN_") => {
                let bytes = [i as u8, 0xaa, 0xbb, 0xcc];
                (format!("0x{}", hex::encode(bytes)), format!("{bytes:?}"))
            }
            _ => ((1000 + i).to_string(), (1000 + i).to_string()),
        };
        yaml.push_str(&format!("{key}: {text}\n"));
        expected.push(format!(" {field}: {debug}"));
    }
    let spec = parse_config(&yaml, "unique").unwrap().spec;
    let debug = format!("{spec:?}");
    for item in expected {
        let found = debug.contains(&format!("{item},")) || debug.contains(&format!("{item} }}"));
        assert!(found, "{item} not in {debug}");
    }
}

#[test]
fn type_level_preset_names_the_misfit() {
    let mut yaml = V101_MAINNET.replace(
        "SLOTS_PER_HISTORICAL_ROOT: 8192",
        "SLOTS_PER_HISTORICAL_ROOT: 64",
    );
    let err = parse_config(&yaml, "t")
        .unwrap()
        .spec
        .type_level_preset()
        .unwrap_err();
    assert!(err.starts_with("SLOTS_PER_HISTORICAL_ROOT = 64"), "{err}");
    yaml = V101_MINIMAL.replace("MAX_ATTESTATIONS: 128", "MAX_ATTESTATIONS: 100");
    let err = parse_config(&yaml, "t")
        .unwrap()
        .spec
        .type_level_preset()
        .unwrap_err();
    assert!(err.starts_with("MAX_ATTESTATIONS = 100"), "{err}");
    let minimal_v012 = ChainSpec::minimal_v012();
    assert_eq!(minimal_v012.type_level_preset(), Ok(EthSpecId::Minimal));
}
