//! Cases deliberately not run, each with the reason. Keep this list as short as the truth allows:
//! every entry is an expectation Fresnel disagrees with on purpose.

use crate::context::Suite;

/// (suite, case path relative to the tree root, reason).
pub const SKIPPED: &[(Suite, &str, &str)] = &[(
    Suite::V0_12_3,
    "general/phase0/bls/verify/small/verify_infinity_pubkey_and_infinity_signature",
    "v0.12.3 follows BLS draft-03, where the infinity public key with the infinity signature \
     verifies (expected true); Fresnel follows v1.0.1 / draft-04, where the infinity public key \
     is invalid (v1.0.1 expects false for the same case)",
)];

/// Why the case at `rel` of `suite` is skipped, if it is.
pub fn skip_reason(suite: Suite, rel: &str) -> Option<&'static str> {
    SKIPPED
        .iter()
        .find(|(s, path, _)| *s == suite && *path == rel)
        .map(|(.., reason)| *reason)
}
