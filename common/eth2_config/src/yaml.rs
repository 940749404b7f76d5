//! Reading a YAML mapping as `(key, raw value)` pairs with the scalars' source text preserved.
//!
//! `serde_yaml` resolves plain scalars to typed values (so `0x00000121` would become the integer
//! 289 and a 20-byte address does not even fit its `Value` type), but hands the untouched text to
//! a visitor that asks for a string. A value may also be a sequence or mapping (allowed for
//! unknown keys), which a string request cannot skip; so the document is read twice: once to
//! learn the shape of every value, once to take the text of the scalar ones.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Largest config text accepted (1 MiB).
const MAX_TEXT_LEN: usize = 1 << 20;
/// Most `[` / `{` characters accepted in a config text.
const MAX_FLOW_OPENERS: usize = 1024;

/// A top-level value of the config mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawValue {
    /// A scalar, as written (quotes removed, escapes resolved).
    Scalar(String),
    /// A sequence (only acceptable for unknown keys).
    Sequence,
    /// A mapping (only acceptable for unknown keys).
    Mapping,
}

/// Parses `text` into its top-level entries in document order. An empty document (or one with
/// only comments) is an empty mapping. Errors are human-readable reasons.
pub(crate) fn parse_entries(text: &str) -> Result<Vec<(String, RawValue)>, String> {
    // Guards against pathological input (libyaml is quadratic in flow-collection nesting); real
    // config files are a few KiB with no or a handful of flow collections.
    if text.len() > MAX_TEXT_LEN {
        return Err(format!("larger than {MAX_TEXT_LEN} bytes"));
    }
    let flow_openers = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if flow_openers > MAX_FLOW_OPENERS {
        return Err(format!(
            "more than {MAX_FLOW_OPENERS} '[' or '{{' characters ({flow_openers})"
        ));
    }
    let first = serde_yaml::Deserializer::from_str(text)
        .deserialize_any(TopVisitor { shapes: None })
        .map_err(|e| e.to_string())?;
    if first.is_empty() {
        return Ok(Vec::new());
    }
    let shapes: Vec<RawValue> = first.into_iter().map(|(_, v)| v).collect();
    let entries = serde_yaml::Deserializer::from_str(text)
        .deserialize_any(TopVisitor {
            shapes: Some(&shapes),
        })
        .map_err(|e| e.to_string())?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if !seen.insert(key.clone()) {
            return Err(format!("duplicate key {key}"));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// Reads the whole document. First pass (`shapes == None`): every scalar value is recorded as an
/// empty `Scalar`. Second pass: the text of each value the first pass saw as a scalar is taken.
struct TopVisitor<'a> {
    shapes: Option<&'a [RawValue]>,
}

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = Vec<(String, RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping of config keys to values")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(ScalarText(key)) = map.next_key::<ScalarText>()? {
            let value = match self.shapes {
                None => map.next_value::<ShapeOf>()?.0,
                Some(shapes) => match shapes.get(out.len()) {
                    Some(RawValue::Scalar(_)) => {
                        RawValue::Scalar(map.next_value::<ScalarText>()?.0)
                    }
                    Some(other) => {
                        map.next_value::<ShapeOf>()?;
                        other.clone()
                    }
                    None => return Err(de::Error::custom("document changed between passes")),
                },
            };
            out.push((key, value));
        }
        Ok(out)
    }
}

/// A scalar's source text, obtained by asking `serde_yaml` for a string.
struct ScalarText(String);

impl<'de> de::Deserialize<'de> for ScalarText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = ScalarText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ScalarText, E> {
                Ok(ScalarText(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ScalarText, E> {
                Ok(ScalarText(String::new()))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// The shape of any value (scalar, sequence or mapping), its contents skipped.
struct ShapeOf(RawValue);

impl<'de> de::Deserialize<'de> for ShapeOf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

/// Every scalar visit maps to `Scalar`.
macro_rules! scalar_visits {
    ($($name:ident: $ty:ty),*) => {
        $(fn $name<E: de::Error>(self, _: $ty) -> Result<ShapeOf, E> {
            Ok(ShapeOf(RawValue::Scalar(String::new())))
        })*
    };
}

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = ShapeOf;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    scalar_visits!(
        visit_bool: bool, visit_i64: i64, visit_i128: i128, visit_u64: u64, visit_u128: u128,
        visit_f64: f64, visit_char: char, visit_str: &str, visit_bytes: &[u8]
    );

    fn visit_unit<E: de::Error>(self) -> Result<ShapeOf, E> {
        Ok(ShapeOf(RawValue::Scalar(String::new())))
    }

    fn visit_none<E: de::Error>(self) -> Result<ShapeOf, E> {
        Ok(ShapeOf(RawValue::Scalar(String::new())))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<ShapeOf, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<ShapeOf, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ShapeOf, A::Error> {
        while seq.next_element::<ShapeOf>()?.is_some() {}
        Ok(ShapeOf(RawValue::Sequence))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ShapeOf, A::Error> {
        while map.next_key::<ShapeOf>()?.is_some() {
            map.next_value::<ShapeOf>()?;
        }
        Ok(ShapeOf(RawValue::Mapping))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<ShapeOf, A::Error> {
        // A value with a custom YAML tag (`!tag value`): its shape is that of the tagged value.
        let (_tag, variant) = data.variant::<IgnoredAny>()?;
        de::VariantAccess::newtype_variant_seed(variant, ShapeSeed)
    }
}

/// `DeserializeSeed` form of [`ShapeOf`] (for tagged values).
struct ShapeSeed;

impl<'de> DeserializeSeed<'de> for ShapeSeed {
    type Value = ShapeOf;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<ShapeOf, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(s: &str) -> RawValue {
        RawValue::Scalar(s.to_string())
    }

    #[test]
    fn keeps_scalar_text() {
        let text = "# c\nA: 0x00000121\nB: '0x01'\nC: 12\nD:\nE: ~\nF: 1e3\nADDR: 0x00000000219ab540356cBB839Cbe05303d7705Fa\nS: [1, 2]\nM: {a: 1}\n";
        let entries = parse_entries(text).unwrap();
        let expected = vec![
            ("A".to_string(), scalar("0x00000121")),
            ("B".to_string(), scalar("0x01")),
            ("C".to_string(), scalar("12")),
            ("D".to_string(), scalar("")),
            ("E".to_string(), scalar("~")),
            ("F".to_string(), scalar("1e3")),
            (
                "ADDR".to_string(),
                scalar("0x00000000219ab540356cBB839Cbe05303d7705Fa"),
            ),
            ("S".to_string(), RawValue::Sequence),
            ("M".to_string(), RawValue::Mapping),
        ];
        assert_eq!(entries, expected);
    }

    #[test]
    fn empty_and_errors() {
        assert_eq!(parse_entries(""), Ok(vec![]));
        assert_eq!(parse_entries("# only a comment\n"), Ok(vec![]));
        assert!(parse_entries("A: 1\nA: 2\n")
            .unwrap_err()
            .contains("duplicate key A"));
        assert!(parse_entries("- 1\n- 2\n").is_err());
        assert!(parse_entries("just text").is_err());
        assert!(parse_entries("A: [1\n").is_err());
        assert!(parse_entries("? [1, 2]\n: 3\n").is_err());
        assert!(parse_entries("A: 1\n---\nB: 2\n").is_err());
    }
}
