//! `ssz_generic` runner (`tests/formats/ssz_generic`): the SSZ library itself, on test types
//! named by the case (`vec_uint16_31_…`, `bitlist_512_…`, `ComplexTestStruct_…`).
//!
//! `valid` cases: `serialized.ssz` decodes, re-encodes to the same bytes, its hash tree root is
//! `meta.yaml`'s `root`, and the decoded value equals `value.yaml`. `invalid` cases: decoding
//! must fail. A type name the runner does not know is a failure, never a skip.

use crate::diff::truncate;
use crate::files::{CaseDir, RootYaml};
use alloy_primitives::{U128, U256};
use anyhow::{anyhow, bail, ensure, Result};
use serde_yaml::{Mapping, Value};
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};
use ssz_types::typenum::{
    Unsigned, U1, U1024, U128 as N128, U16, U2, U256 as N256, U3, U31, U32, U4, U5, U512, U513, U6,
    U8, U9,
};
use ssz_types::{BitList, BitVector, FixedVector, VariableList};
use std::fmt::Debug;
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;

/// The handlers of this runner.
pub const HANDLERS: &[&str] = &[
    "basic_vector",
    "bitlist",
    "bitvector",
    "boolean",
    "containers",
    "uints",
];

/// Vector lengths, bitlist limits and bitvector lengths the test types are instantiated with
/// (every size the generators use).
const SIZES: &[usize] = &[1, 2, 3, 4, 5, 8, 9, 16, 31, 32, 512, 513];

/// Element types of `basic_vector`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elem {
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    U256,
}

impl Elem {
    fn parse(s: &str) -> Option<Elem> {
        Some(match s {
            "bool" => Elem::Bool,
            "uint8" => Elem::U8,
            "uint16" => Elem::U16,
            "uint32" => Elem::U32,
            "uint64" => Elem::U64,
            "uint128" => Elem::U128,
            "uint256" => Elem::U256,
            _ => return None,
        })
    }
}

/// The containers of the generator (`ssz_container.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContainerName {
    SingleField,
    Small,
    Fixed,
    Var,
    Complex,
    Bits,
}

/// The type a case is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TestType {
    /// `Vector[elem, len]`; length 0 is not a legal SSZ type.
    Vector(Elem, usize),
    /// `Bitlist[limit]`.
    Bitlist(usize),
    /// `Bitvector[len]`; length 0 is not a legal SSZ type.
    Bitvector(usize),
    /// `boolean`.
    Bool,
    /// `uintN` (N in bits).
    Uint(usize),
    /// One of the test containers.
    Container(ContainerName),
}

fn parse_size(s: Option<&str>, what: &str, case: &str) -> Result<usize, String> {
    let s = s.ok_or_else(|| format!("case {case:?}: no {what} in the name"))?;
    let n: usize = s
        .parse()
        .map_err(|_| format!("case {case:?}: {what} {s:?} is not a number"))?;
    if n != 0 && !SIZES.contains(&n) {
        return Err(format!(
            "case {case:?}: {what} {n} is not instantiated by this runner (known: {SIZES:?})"
        ));
    }
    Ok(n)
}

/// The type named by a case of `handler`.
fn parse_type(handler: &str, case: &str) -> Result<TestType, String> {
    let mut parts = case.split('_');
    let first = parts.next().unwrap_or_default();
    match handler {
        "basic_vector" => {
            if first != "vec" {
                return Err(format!("case {case:?}: expected vec_<type>_<length>_…"));
            }
            let elem_name = parts.next().unwrap_or_default();
            let elem = Elem::parse(elem_name)
                .ok_or_else(|| format!("case {case:?}: unknown element type {elem_name:?}"))?;
            let len = parse_size(parts.next(), "length", case)?;
            Ok(TestType::Vector(elem, len))
        }
        "bitlist" => {
            if first != "bitlist" {
                return Err(format!("case {case:?}: expected bitlist_<limit>_…"));
            }
            match parts.next() {
                // `bitlist_no_delimiter_*`: bytes without the length-delimiting bit, invalid
                // whatever the limit; checked against the largest limit so that only the missing
                // delimiter can make the decoding fail.
                Some("no") => Ok(TestType::Bitlist(513)),
                limit => {
                    let limit = parse_size(limit, "limit", case)?;
                    if limit == 0 {
                        return Err(format!(
                            "case {case:?}: bitlist limit 0 is not instantiated"
                        ));
                    }
                    Ok(TestType::Bitlist(limit))
                }
            }
        }
        "bitvector" => {
            if first != "bitvec" {
                return Err(format!("case {case:?}: expected bitvec_<length>_…"));
            }
            Ok(TestType::Bitvector(parse_size(
                parts.next(),
                "length",
                case,
            )?))
        }
        "boolean" => Ok(TestType::Bool),
        "uints" => {
            if first != "uint" {
                return Err(format!("case {case:?}: expected uint_<bits>_…"));
            }
            let bits = parts.next().unwrap_or_default();
            match bits {
                "8" | "16" | "32" | "64" | "128" | "256" => Ok(TestType::Uint(
                    bits.parse().map_err(|_| "unreachable".to_string())?,
                )),
                other => Err(format!("case {case:?}: unknown uint width {other:?}")),
            }
        }
        "containers" => {
            let name = match first {
                "SingleFieldTestStruct" => ContainerName::SingleField,
                "SmallTestStruct" => ContainerName::Small,
                "FixedTestStruct" => ContainerName::Fixed,
                "VarTestStruct" => ContainerName::Var,
                "ComplexTestStruct" => ContainerName::Complex,
                "BitsStruct" => ContainerName::Bits,
                other => return Err(format!("case {case:?}: unknown container {other:?}")),
            };
            Ok(TestType::Container(name))
        }
        other => Err(format!("unknown ssz_generic handler {other:?}")),
    }
}

/// Whether the case names a type this runner can instantiate.
pub fn recognise(handler: &str, case: &str) -> Result<(), String> {
    parse_type(handler, case).map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Test containers (consensus-specs `tests/generators/ssz_generic/ssz_container.py`).

/// `SingleFieldTestStruct`.
#[derive(Debug, Clone, PartialEq, Encode, Decode, TreeHash)]
pub struct SingleFieldTestStruct {
    a: u8,
}

/// `SmallTestStruct`.
#[derive(Debug, Clone, PartialEq, Encode, Decode, TreeHash)]
pub struct SmallTestStruct {
    a: u16,
    b: u16,
}

/// `FixedTestStruct`.
#[derive(Debug, Clone, PartialEq, Encode, Decode, TreeHash)]
pub struct FixedTestStruct {
    a: u8,
    b: u64,
    c: u32,
}

/// `VarTestStruct`.
#[derive(Debug, Clone, PartialEq, Encode, Decode, TreeHash)]
pub struct VarTestStruct {
    a: u16,
    b: VariableList<u16, U1024>,
    c: u8,
}

/// `ComplexTestStruct`.
#[derive(Debug, Clone, PartialEq, Encode, Decode, TreeHash)]
pub struct ComplexTestStruct {
    a: u16,
    b: VariableList<u16, N128>,
    c: u8,
    d: VariableList<u8, N256>,
    e: VarTestStruct,
    f: FixedVector<FixedTestStruct, U4>,
    g: FixedVector<VarTestStruct, U2>,
}

/// `BitsStruct`.
#[derive(Debug, Clone, PartialEq, Encode, Decode, TreeHash)]
pub struct BitsStruct {
    a: BitList<U5>,
    b: BitVector<U2>,
    c: BitVector<U1>,
    d: BitList<U6>,
    e: BitVector<U8>,
}

// ---------------------------------------------------------------------------------------------
// The YAML form of a value (`value.yaml`), for comparison with the decoded value.

/// The value as the generators write it to `value.yaml`.
pub trait YamlRepr {
    /// This value.
    fn to_yaml(&self) -> Value;

    /// A `List` of such values (a `List[byte, N]` is written as hex, others as sequences).
    fn list_to_yaml(items: &[Self]) -> Value
    where
        Self: Sized,
    {
        Value::Sequence(items.iter().map(YamlRepr::to_yaml).collect())
    }
}

macro_rules! yaml_int {
    ($($t:ty),*) => {$(
        impl YamlRepr for $t {
            fn to_yaml(&self) -> Value {
                Value::Number(u64::from(*self).into())
            }
        }
    )*};
}
yaml_int!(u16, u32, u64);

impl YamlRepr for u8 {
    fn to_yaml(&self) -> Value {
        Value::Number(u64::from(*self).into())
    }
    fn list_to_yaml(items: &[Self]) -> Value {
        Value::String(format!("0x{}", hex::encode(items)))
    }
}

impl YamlRepr for U128 {
    fn to_yaml(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl YamlRepr for U256 {
    fn to_yaml(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl YamlRepr for bool {
    fn to_yaml(&self) -> Value {
        Value::Bool(*self)
    }
}

impl<T: YamlRepr, N: Unsigned> YamlRepr for FixedVector<T, N> {
    fn to_yaml(&self) -> Value {
        Value::Sequence(self.iter().map(YamlRepr::to_yaml).collect())
    }
}

impl<T: YamlRepr, N: Unsigned> YamlRepr for VariableList<T, N> {
    fn to_yaml(&self) -> Value {
        T::list_to_yaml(self)
    }
}

impl<N: Unsigned + Clone> YamlRepr for BitList<N> {
    fn to_yaml(&self) -> Value {
        Value::String(format!("0x{}", hex::encode(self.as_ssz_bytes())))
    }
}

impl<N: Unsigned + Clone> YamlRepr for BitVector<N> {
    fn to_yaml(&self) -> Value {
        Value::String(format!("0x{}", hex::encode(self.as_ssz_bytes())))
    }
}

fn mapping(fields: &[(&str, Value)]) -> Value {
    let mut m = Mapping::new();
    for (k, v) in fields {
        m.insert(Value::String((*k).to_string()), v.clone());
    }
    Value::Mapping(m)
}

impl YamlRepr for SingleFieldTestStruct {
    fn to_yaml(&self) -> Value {
        mapping(&[("A", self.a.to_yaml())])
    }
}

impl YamlRepr for SmallTestStruct {
    fn to_yaml(&self) -> Value {
        mapping(&[("A", self.a.to_yaml()), ("B", self.b.to_yaml())])
    }
}

impl YamlRepr for FixedTestStruct {
    fn to_yaml(&self) -> Value {
        mapping(&[
            ("A", self.a.to_yaml()),
            ("B", self.b.to_yaml()),
            ("C", self.c.to_yaml()),
        ])
    }
}

impl YamlRepr for VarTestStruct {
    fn to_yaml(&self) -> Value {
        mapping(&[
            ("A", self.a.to_yaml()),
            ("B", self.b.to_yaml()),
            ("C", self.c.to_yaml()),
        ])
    }
}

impl YamlRepr for ComplexTestStruct {
    fn to_yaml(&self) -> Value {
        mapping(&[
            ("A", self.a.to_yaml()),
            ("B", self.b.to_yaml()),
            ("C", self.c.to_yaml()),
            ("D", self.d.to_yaml()),
            ("E", self.e.to_yaml()),
            ("F", self.f.to_yaml()),
            ("G", self.g.to_yaml()),
        ])
    }
}

impl YamlRepr for BitsStruct {
    fn to_yaml(&self) -> Value {
        mapping(&[
            ("A", self.a.to_yaml()),
            ("B", self.b.to_yaml()),
            ("C", self.c.to_yaml()),
            ("D", self.d.to_yaml()),
            ("E", self.e.to_yaml()),
        ])
    }
}

/// Structural equality of YAML values, where a plain scalar may have been read as a string or
/// as a number (`0x` is a string; `12` a number; a quoted `'12'` a string).
fn yaml_eq(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Sequence(a), Value::Sequence(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| yaml_eq(x, y))
        }
        (Value::Mapping(a), Value::Mapping(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| yaml_eq(v, w)))
        }
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            *s == n.to_string()
        }
        (a, b) => a == b,
    }
}

// ---------------------------------------------------------------------------------------------
// Running a case.

/// What every test type can do.
trait GenericType: Encode + Decode + TreeHash + YamlRepr + Debug {}
impl<T: Encode + Decode + TreeHash + YamlRepr + Debug> GenericType for T {}

/// A check to run with one concrete type.
trait Check {
    fn check<T: GenericType>(self) -> Result<()>;
    /// The type is not a legal SSZ type (a zero-length vector).
    fn illegal_type(self, what: &str) -> Result<()>;
}

struct Valid<'a>(&'a CaseDir);
struct Invalid<'a>(&'a CaseDir);

fn truncated(s: String) -> String {
    truncate(&s, 300)
}

impl Check for Valid<'_> {
    fn check<T: GenericType>(self) -> Result<()> {
        let dir = self.0;
        let bytes = dir.ssz_bytes("serialized")?;
        let meta: RootYaml = dir.yaml("meta")?;
        let expected_root = meta.root()?;
        let value =
            T::from_ssz_bytes(&bytes).map_err(|e| anyhow!("valid input does not decode: {e:?}"))?;
        let encoded = value.as_ssz_bytes();
        ensure!(
            encoded == bytes,
            "re-encoding differs: got 0x{}, expected 0x{}",
            truncated(hex::encode(&encoded)),
            truncated(hex::encode(&bytes))
        );
        let root = value.tree_hash_root();
        ensure!(
            root.as_slice() == expected_root.as_slice(),
            "hash_tree_root {root:?} differs from expected 0x{}",
            hex::encode(expected_root)
        );
        let expected_yaml: Value = dir.yaml("value")?;
        let ours = value.to_yaml();
        ensure!(
            yaml_eq(&ours, &expected_yaml),
            "decoded value differs from value.yaml: ours {}, file {}",
            truncated(format!("{ours:?}")),
            truncated(format!("{expected_yaml:?}"))
        );
        Ok(())
    }

    fn illegal_type(self, what: &str) -> Result<()> {
        bail!("a valid case for {what}, which is not a legal SSZ type")
    }
}

impl Check for Invalid<'_> {
    fn check<T: GenericType>(self) -> Result<()> {
        let bytes = self.0.ssz_bytes("serialized")?;
        match T::from_ssz_bytes(&bytes) {
            Ok(value) => bail!(
                "invalid input 0x{} decoded as {}",
                truncated(hex::encode(&bytes)),
                truncated(format!("{value:?}"))
            ),
            Err(_) => Ok(()),
        }
    }

    fn illegal_type(self, _what: &str) -> Result<()> {
        // No input decodes as a type that does not exist; the file is still read so that the
        // case's only file counts as checked.
        self.0.ssz_bytes("serialized")?;
        Ok(())
    }
}

macro_rules! with_size {
    ($n:expr, $c:expr, |$N:ident| $ty:ty) => {
        match $n {
            1 => {
                type $N = U1;
                $c.check::<$ty>()
            }
            2 => {
                type $N = U2;
                $c.check::<$ty>()
            }
            3 => {
                type $N = U3;
                $c.check::<$ty>()
            }
            4 => {
                type $N = U4;
                $c.check::<$ty>()
            }
            5 => {
                type $N = U5;
                $c.check::<$ty>()
            }
            8 => {
                type $N = U8;
                $c.check::<$ty>()
            }
            9 => {
                type $N = U9;
                $c.check::<$ty>()
            }
            16 => {
                type $N = U16;
                $c.check::<$ty>()
            }
            31 => {
                type $N = U31;
                $c.check::<$ty>()
            }
            32 => {
                type $N = U32;
                $c.check::<$ty>()
            }
            512 => {
                type $N = U512;
                $c.check::<$ty>()
            }
            513 => {
                type $N = U513;
                $c.check::<$ty>()
            }
            other => bail!("size {other} is not instantiated by this runner"),
        }
    };
}

fn dispatch<C: Check>(ty: TestType, c: C) -> Result<()> {
    match ty {
        TestType::Vector(_, 0) => c.illegal_type("Vector[_, 0]"),
        TestType::Bitvector(0) => c.illegal_type("Bitvector[0]"),
        TestType::Vector(elem, len) => match elem {
            Elem::Bool => with_size!(len, c, |N| FixedVector<bool, N>),
            Elem::U8 => with_size!(len, c, |N| FixedVector<u8, N>),
            Elem::U16 => with_size!(len, c, |N| FixedVector<u16, N>),
            Elem::U32 => with_size!(len, c, |N| FixedVector<u32, N>),
            Elem::U64 => with_size!(len, c, |N| FixedVector<u64, N>),
            Elem::U128 => with_size!(len, c, |N| FixedVector<U128, N>),
            Elem::U256 => with_size!(len, c, |N| FixedVector<U256, N>),
        },
        TestType::Bitlist(limit) => with_size!(limit, c, |N| BitList<N>),
        TestType::Bitvector(len) => with_size!(len, c, |N| BitVector<N>),
        TestType::Bool => c.check::<bool>(),
        TestType::Uint(bits) => match bits {
            8 => c.check::<u8>(),
            16 => c.check::<u16>(),
            32 => c.check::<u32>(),
            64 => c.check::<u64>(),
            128 => c.check::<U128>(),
            256 => c.check::<U256>(),
            other => bail!("uint{other} is not a known type"),
        },
        TestType::Container(name) => match name {
            ContainerName::SingleField => c.check::<SingleFieldTestStruct>(),
            ContainerName::Small => c.check::<SmallTestStruct>(),
            ContainerName::Fixed => c.check::<FixedTestStruct>(),
            ContainerName::Var => c.check::<VarTestStruct>(),
            ContainerName::Complex => c.check::<ComplexTestStruct>(),
            ContainerName::Bits => c.check::<BitsStruct>(),
        },
    }
}

/// Run one case of `handler` in suite directory `valid` or `invalid`.
pub fn run(handler: &str, suite_dir: &str, dir: &CaseDir) -> Result<()> {
    let ty = parse_type(handler, &dir.name()).map_err(|e| anyhow!(e))?;
    match suite_dir {
        "valid" => dispatch(ty, Valid(dir)),
        "invalid" => dispatch(ty, Invalid(dir)),
        other => bail!("unknown ssz_generic suite {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        assert_eq!(
            parse_type("basic_vector", "vec_uint16_31_max_one_less"),
            Ok(TestType::Vector(Elem::U16, 31))
        );
        assert_eq!(
            parse_type("basic_vector", "vec_bool_0"),
            Ok(TestType::Vector(Elem::Bool, 0))
        );
        assert_eq!(
            parse_type("bitlist", "bitlist_no_delimiter_empty"),
            Ok(TestType::Bitlist(513))
        );
        assert_eq!(
            parse_type("bitvector", "bitvec_513_random_0"),
            Ok(TestType::Bitvector(513))
        );
        assert_eq!(
            parse_type("uints", "uint_256_max_0"),
            Ok(TestType::Uint(256))
        );
        assert_eq!(
            parse_type("containers", "BitsStruct_offset_0_zeroed"),
            Ok(TestType::Container(ContainerName::Bits))
        );
        assert!(parse_type("containers", "UnknownStruct_max").is_err());
        assert!(parse_type("basic_vector", "vec_uint7_3_max").is_err());
        assert!(parse_type("basic_vector", "vec_uint8_7_max").is_err());
    }
}
