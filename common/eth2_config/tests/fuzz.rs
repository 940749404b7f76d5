//! The loader never panics, whatever the input.

use eth2_config::{parse_config, KNOWN_KEYS};
use proptest::prelude::*;

/// A line made of config-ish pieces: known/unknown keys, odd values, YAML punctuation.
fn line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        proptest::sample::select(KNOWN_KEYS.to_vec()).prop_map(str::to_string),
        Just("PRESET_BASE".to_string()),
        Just("MIN_GENESIS_DELAY".to_string()),
        "[A-Z_]{1,12}",
        ".{0,8}",
    ];
    let value = prop_oneof![
        any::<u64>().prop_map(|v| v.to_string()),
        any::<u128>().prop_map(|v| format!("0x{v:x}")),
        "0x[0-9a-fA-F]{0,44}",
        "'0x[0-9a-f]{0,10}'",
        Just("minimal".to_string()),
        Just("[1, 2".to_string()),
        Just("{a: b}".to_string()),
        Just("&a 1".to_string()),
        Just("*a".to_string()),
        Just("!tag x".to_string()),
        "-?[0-9]{0,25}(\\.[0-9]*)?(e[0-9]+)?",
        ".{0,12}",
    ];
    let indent = prop_oneof![Just(""), Just("  "), Just("- "), Just("\t")];
    (indent, key, value).prop_map(|(i, k, v)| format!("{i}{k}: {v}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        if let Ok(loaded) = parse_config(&text, "fuzz") {
            let _ = loaded.spec.type_level_preset();
        }
    }

    #[test]
    fn configish_text_never_panics(lines in proptest::collection::vec(line(), 0..40)) {
        let text = lines.join("\n");
        if let Ok(loaded) = parse_config(&text, "fuzz") {
            let _ = loaded.spec.type_level_preset();
            let _ = loaded.spec.eth1_data_votes_limit();
        }
    }

    #[test]
    fn mutated_real_config_never_panics(
        cut in 0usize..4200,
        insert in ".{0,6}",
    ) {
        let base = include_str!("fixtures/v1.0.1-mainnet-phase0.yaml");
        let mut cut = cut.min(base.len());
        while !base.is_char_boundary(cut) {
            cut -= 1;
        }
        let text = format!("{}{}{}", &base[..cut], insert, &base[cut..]);
        if let Ok(loaded) = parse_config(&text, "fuzz") {
            let _ = loaded.spec.type_level_preset();
        }
    }
}
