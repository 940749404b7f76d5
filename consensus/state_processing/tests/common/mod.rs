//! Shared by the vector tests of this crate.

/// The v1.0.1 minimal vectors as `scripts/spec-tests.sh` caches them
/// (`$FRESNEL_CACHE`, default `~/.cache/fresnel`). The conformance runner is the official
/// check; these tests give quick feedback while working on this crate.
pub fn vectors_root() -> std::path::PathBuf {
    let cache = std::env::var_os("FRESNEL_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/fresnel")
        });
    cache.join("spec-tests/v1.0.1/minimal/phase0")
}
