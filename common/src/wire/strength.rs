//! What a configured `CoordinatorSecret` must be before either program starts with it
//! (DESIGN §5): not empty, at least [`MIN_SECRET_BYTES`] long, and not a value published in an
//! example file ([`EXAMPLE_SECRETS`]).
//!
//! The HMAC handshake is only as strong as the secret: one copied from a README is no secret,
//! and a short one can be guessed offline from a single recorded `Proof`. Both programs call
//! [`Secret::configured`] at start-up, so a weak value stops them with a message that says how
//! to make a good one ([`HOW_TO_MAKE_A_SECRET`]). [`Secret::new`] stays the plain constructor
//! for the protocol's own tests and known answers.

use super::auth::Secret;

/// The shortest secret either program accepts, in bytes (after trimming whitespace). 16 bytes
/// of base64 from a random source are 96 bits; `pegnet-coordinator init` makes 32 random bytes.
pub const MIN_SECRET_BYTES: usize = 16;

/// Every secret that appears in a committed example file or document, compared without regard
/// to case or surrounding whitespace. A test reads each example file and checks that its secret
/// is listed here: add the value when you publish a new one.
pub const EXAMPLE_SECRETS: &[&str] = &[
    // coordinator/coordinator.example.toml and miner/miner.example.toml
    "change-me-run-pegnet-coordinator-init",
    // what those files said before
    "change-me",
    // placeholders people paste from documentation
    "changeme",
    "secret",
    "password",
    "your-secret-here",
    "replace-with-a-long-random-secret",
];

/// How to make a secret, for error messages.
pub const HOW_TO_MAKE_A_SECRET: &str = "make one with `pegnet-coordinator init --dir DIR` (it writes the coordinator's and the miners' env files) or `openssl rand -base64 32`, and give the same value to the coordinator and every miner";

/// Why a configured secret is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakSecret {
    /// Empty or only whitespace.
    #[error("is empty; {HOW_TO_MAKE_A_SECRET}")]
    Empty,
    /// Fewer than [`MIN_SECRET_BYTES`] bytes.
    #[error(
        "is {len} bytes, shorter than the {MIN_SECRET_BYTES} bytes required; {HOW_TO_MAKE_A_SECRET}"
    )]
    TooShort {
        /// The secret's length in bytes, trimmed.
        len: usize,
    },
    /// A value from [`EXAMPLE_SECRETS`]: published, so known to everyone.
    #[error(
        "is the example value from a published config file, known to everyone; {HOW_TO_MAKE_A_SECRET}"
    )]
    Example,
}

/// Checks a configured secret without building a key from it.
pub fn check_secret_strength(secret: &str) -> Result<(), WeakSecret> {
    let trimmed = secret.trim();
    if trimmed.is_empty() {
        return Err(WeakSecret::Empty);
    }
    if EXAMPLE_SECRETS
        .iter()
        .any(|example| example.eq_ignore_ascii_case(trimmed))
    {
        return Err(WeakSecret::Example);
    }
    if trimmed.len() < MIN_SECRET_BYTES {
        return Err(WeakSecret::TooShort { len: trimmed.len() });
    }
    Ok(())
}

impl Secret {
    /// The secret from a configuration: refused unless [`check_secret_strength`] passes.
    pub fn configured(secret: &str) -> Result<Secret, WeakSecret> {
        check_secret_strength(secret)?;
        Secret::new(secret).map_err(|_| WeakSecret::Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_secrets_are_refused_with_the_reason() {
        assert_eq!(check_secret_strength(""), Err(WeakSecret::Empty));
        assert_eq!(check_secret_strength(" \t\n"), Err(WeakSecret::Empty));
        assert_eq!(
            check_secret_strength("fifteen-bytes.."),
            Err(WeakSecret::TooShort { len: 15 })
        );
        assert_eq!(
            check_secret_strength("   short  but  padded   "),
            Ok(()),
            "inner spaces count"
        );
        assert_eq!(
            check_secret_strength("  short  "),
            Err(WeakSecret::TooShort { len: 5 })
        );
        assert_eq!(check_secret_strength("Change-Me"), Err(WeakSecret::Example));
        assert_eq!(
            check_secret_strength(" CHANGE-ME-RUN-PEGNET-COORDINATOR-INIT "),
            Err(WeakSecret::Example)
        );
        assert_eq!(check_secret_strength("sixteen-bytes..."), Ok(()));
        assert!(Secret::configured("correct horse battery staple").is_ok());
    }

    #[test]
    fn the_message_says_how_to_make_one() {
        for weak in [
            WeakSecret::Empty,
            WeakSecret::TooShort { len: 3 },
            WeakSecret::Example,
        ] {
            let message = weak.to_string();
            assert!(message.contains("pegnet-coordinator init"), "{message}");
            assert!(message.contains("openssl rand -base64 32"), "{message}");
        }
    }
}
