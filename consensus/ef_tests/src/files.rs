//! Reading the files of one case directory.
//!
//! Every read goes through a [`CaseDir`], which remembers what was read so that the runner can
//! fail a case that left a file unread (a file it does not know how to check is a file whose
//! expectation is silently ignored). A `.yaml` file whose `.ssz` / `.ssz_snappy` twin was read
//! counts as read: the YAML form of a container is a human-readable copy of the SSZ one.
//!
//! SSZ files may be plain (`.ssz`) or snappy-compressed (`.ssz_snappy`, raw snappy block
//! format as written by the official generators); both are accepted everywhere.

use anyhow::{anyhow, bail, Context, Result};
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Largest decompressed size accepted from a `.ssz_snappy` file (a mainnet state is ~3 MB).
const MAX_DECOMPRESSED: usize = 512 << 20;

/// One case directory and the set of its files read so far.
#[derive(Debug)]
pub struct CaseDir {
    path: PathBuf,
    read: RefCell<BTreeSet<String>>,
}

impl CaseDir {
    /// A case directory; nothing read yet.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CaseDir {
            path: path.into(),
            read: RefCell::new(BTreeSet::new()),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory's last component (the case name).
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn mark(&self, file: &str) {
        self.read.borrow_mut().insert(file.to_string());
    }

    /// Declare a file as deliberately not checked (it is then not reported as unread).
    pub fn ignore(&self, file: &str) {
        self.mark(file);
    }

    /// Whether `<name>.ssz_snappy` or `<name>.ssz` exists.
    pub fn has_ssz(&self, name: &str) -> bool {
        self.ssz_path(name).is_some()
    }

    /// Whether `<name>.yaml` exists.
    pub fn has_yaml(&self, name: &str) -> bool {
        self.path.join(format!("{name}.yaml")).is_file()
    }

    fn ssz_path(&self, name: &str) -> Option<(String, PathBuf)> {
        ["ssz_snappy", "ssz"].iter().find_map(|ext| {
            let file = format!("{name}.{ext}");
            let path = self.path.join(&file);
            path.is_file().then_some((file, path))
        })
    }

    /// The bytes of `<name>.ssz_snappy` (decompressed) or `<name>.ssz`.
    pub fn ssz_bytes(&self, name: &str) -> Result<Vec<u8>> {
        let (file, path) = self
            .ssz_path(name)
            .ok_or_else(|| anyhow!("missing file {name}.ssz (or {name}.ssz_snappy)"))?;
        self.mark(&file);
        let raw = fs::read(&path).with_context(|| format!("reading {file}"))?;
        if file.ends_with(".ssz_snappy") {
            decompress(&raw).with_context(|| format!("decompressing {file}"))
        } else {
            Ok(raw)
        }
    }

    /// `<name>.ssz(_snappy)` decoded as `T`.
    pub fn ssz<T: ssz::Decode>(&self, name: &str) -> Result<T> {
        let bytes = self.ssz_bytes(name)?;
        T::from_ssz_bytes(&bytes).map_err(|e| anyhow!("{name}.ssz does not decode: {e:?}"))
    }

    /// `<name>.ssz(_snappy)` decoded as `T`, or `None` if the file does not exist.
    pub fn ssz_opt<T: ssz::Decode>(&self, name: &str) -> Result<Option<T>> {
        if self.has_ssz(name) {
            self.ssz(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The text of `<name>.yaml`.
    pub fn yaml_text(&self, name: &str) -> Result<String> {
        let file = format!("{name}.yaml");
        let text =
            fs::read_to_string(self.path.join(&file)).with_context(|| format!("reading {file}"))?;
        self.mark(&file);
        Ok(text)
    }

    /// `<name>.yaml` deserialized as `T`.
    pub fn yaml<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        let text = self.yaml_text(name)?;
        serde_yaml::from_str(&text).with_context(|| format!("parsing {name}.yaml"))
    }

    /// `<name>.yaml` deserialized as `T`, or `None` if the file does not exist.
    pub fn yaml_opt<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        if self.has_yaml(name) {
            self.yaml(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Files of the directory that were neither read nor declared ignored.
    pub fn unread_files(&self) -> Result<Vec<String>> {
        let read = self.read.borrow();
        let mut unread = Vec::new();
        for entry in fs::read_dir(&self.path).with_context(|| "listing the case directory")? {
            let entry = entry?;
            let file = entry.file_name().to_string_lossy().into_owned();
            if read.contains(&file) {
                continue;
            }
            if let Some(stem) = file.strip_suffix(".yaml") {
                let twin_read = ["ssz", "ssz_snappy"]
                    .iter()
                    .any(|ext| read.contains(&format!("{stem}.{ext}")));
                if twin_read {
                    continue;
                }
            }
            unread.push(file);
        }
        unread.sort();
        Ok(unread)
    }
}

/// Decompress a raw snappy block (the `.ssz_snappy` format of the vectors).
pub fn decompress(raw: &[u8]) -> Result<Vec<u8>> {
    let len = snap::raw::decompress_len(raw).map_err(|e| anyhow!("bad snappy header: {e}"))?;
    if len > MAX_DECOMPRESSED {
        bail!("snappy block claims {len} bytes, more than the {MAX_DECOMPRESSED} accepted");
    }
    snap::raw::Decoder::new()
        .decompress_vec(raw)
        .map_err(|e| anyhow!("bad snappy block: {e}"))
}

/// Compress bytes as a raw snappy block (used by the self-test to rewrite a corrupted file).
pub fn compress(bytes: &[u8]) -> Result<Vec<u8>> {
    snap::raw::Encoder::new()
        .compress_vec(bytes)
        .map_err(|e| anyhow!("snappy compression failed: {e}"))
}

/// Parse a `0x`-prefixed hex string.
pub fn parse_hex(s: &str) -> Result<Vec<u8>> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| anyhow!("hex string {s:?} lacks the 0x prefix"))?;
    hex::decode(digits).map_err(|e| anyhow!("bad hex string {s:?}: {e}"))
}

/// Parse a `0x`-prefixed hex string of exactly `N` bytes.
pub fn parse_hex_array<const N: usize>(s: &str) -> Result<[u8; N]> {
    let bytes = parse_hex(s)?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| anyhow!("expected {N} bytes, got {} in {s:?}", bytes.len()))
}

/// `{root: '0x…'}`: the expected root in `roots.yaml` (ssz_static) and `meta.yaml` (ssz_generic).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootYaml {
    /// The hash tree root.
    pub root: String,
}

impl RootYaml {
    /// The root as 32 bytes.
    pub fn root(&self) -> Result<[u8; 32]> {
        parse_hex_array::<32>(&self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ef_tests_files_{name}_{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn snappy_and_plain_ssz_read_alike_and_count_as_read() {
        let dir = scratch("snappy");
        let payload: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        fs::write(dir.join("a.ssz"), &payload).unwrap();
        fs::write(dir.join("b.ssz_snappy"), compress(&payload).unwrap()).unwrap();
        fs::write(dir.join("b.yaml"), "x: 1\n").unwrap();
        fs::write(dir.join("c.yaml"), "7\n").unwrap();
        let case = CaseDir::new(&dir);
        assert_eq!(case.ssz_bytes("a").unwrap(), payload);
        assert_eq!(case.ssz_bytes("b").unwrap(), payload);
        assert!(case.ssz_bytes("missing").is_err());
        // b.yaml is the twin of the read b.ssz_snappy; c.yaml was never read.
        assert_eq!(case.unread_files().unwrap(), vec!["c.yaml".to_string()]);
        assert_eq!(case.yaml::<u64>("c").unwrap(), 7);
        assert!(case.unread_files().unwrap().is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_snappy_is_an_error() {
        let dir = scratch("bad_snappy");
        fs::write(
            dir.join("x.ssz_snappy"),
            [0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2],
        )
        .unwrap();
        assert!(CaseDir::new(&dir).ssz_bytes("x").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hex() {
        assert_eq!(parse_hex("0x0aff").unwrap(), vec![10, 255]);
        assert!(parse_hex("0aff").is_err());
        assert!(parse_hex("0xzz").is_err());
        assert!(parse_hex_array::<2>("0x0a").is_err());
    }
}
