//! Identifiers that appear in subjects and messages: job ids and session ids.
//!
//! A job id becomes a NATS subject token (`<p>.shares.<job>`), so it is restricted to
//! `[a-z0-9-]` by construction and on decoding; nothing from the network can inject a `.`,
//! `*` or `>` into a subject.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::auth::{RandomError, random_bytes};
use super::bin;

/// The longest job id accepted.
const MAX_JOB_ID_LEN: usize = 64;

/// Names one job: `h<height>-<n>`, or `h<height>-<instance>-<n>` as the coordinator makes it
/// ([`JobId::unique`]): `instance` is random per coordinator start and `n` counts its jobs,
/// so no restart and no second coordinator reuses an id a miner has seen (a miner ignores a
/// job whose id it is already hashing).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JobId(String);

/// Why a string is not a job id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobIdError {
    /// No characters.
    #[error("job id is empty")]
    Empty,
    /// Longer than 64 bytes.
    #[error("job id is {0} bytes, more than {MAX_JOB_ID_LEN}")]
    TooLong(usize),
    /// A character outside `[a-z0-9-]`.
    #[error("job id contains {0:?}; only a-z, 0-9 and '-' are allowed")]
    BadChar(char),
}

impl JobId {
    /// The id of the `n`th job for block `height`.
    pub fn new(height: u32, n: u32) -> JobId {
        JobId(format!("h{height}-{n}"))
    }

    /// The `n`th job of the coordinator instance `instance` (random at its start; 48 bits
    /// are used), for block `height`.
    pub fn unique(height: u32, instance: u64, n: u32) -> JobId {
        JobId(format!(
            "h{height}-{:012x}-{n}",
            instance & 0xffff_ffff_ffff
        ))
    }

    /// Accepts any non-empty string of at most 64 characters from `[a-z0-9-]`.
    pub fn parse(s: &str) -> Result<JobId, JobIdError> {
        if s.is_empty() {
            return Err(JobIdError::Empty);
        }
        if s.len() > MAX_JOB_ID_LEN {
            return Err(JobIdError::TooLong(s.len()));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(JobIdError::BadChar(c));
        }
        Ok(JobId(s.to_owned()))
    }

    /// The id as a subject token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for JobId {
    type Err = JobIdError;

    fn from_str(s: &str) -> Result<JobId, JobIdError> {
        JobId::parse(s)
    }
}

impl TryFrom<String> for JobId {
    type Error = JobIdError;

    fn try_from(s: String) -> Result<JobId, JobIdError> {
        JobId::parse(&s)?;
        Ok(JobId(s))
    }
}

impl From<JobId> for String {
    fn from(id: JobId) -> String {
        id.0
    }
}

/// A miner's session, chosen by the coordinator from the OS random source at `Welcome`.
/// Random rather than sequential so that it cannot be guessed by another miner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(#[serde(with = "bin::array")] pub [u8; 16]);

impl SessionId {
    /// A fresh random session id.
    pub fn random() -> Result<SessionId, RandomError> {
        random_bytes().map(SessionId)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn job_id_from_height() {
        assert_eq!(JobId::new(258_796, 0).as_str(), "h258796-0");
        assert_eq!(JobId::parse("h1-2").unwrap(), JobId::new(1, 2));
        let unique = JobId::unique(u32::MAX, u64::MAX, u32::MAX);
        assert_eq!(unique.as_str(), "h4294967295-ffffffffffff-4294967295");
        assert_eq!(JobId::parse(unique.as_str()), Ok(unique));
        assert_ne!(JobId::unique(5, 1, 0), JobId::unique(5, 2, 0));
    }

    #[test]
    fn job_id_rejects_subject_syntax() {
        assert_eq!(JobId::parse(""), Err(JobIdError::Empty));
        assert_eq!(JobId::parse("a.b"), Err(JobIdError::BadChar('.')));
        assert_eq!(JobId::parse("*"), Err(JobIdError::BadChar('*')));
        assert_eq!(JobId::parse(">"), Err(JobIdError::BadChar('>')));
        assert_eq!(JobId::parse("H1"), Err(JobIdError::BadChar('H')));
        assert_eq!(JobId::parse("a b"), Err(JobIdError::BadChar(' ')));
        assert_eq!(JobId::parse(&"a".repeat(65)), Err(JobIdError::TooLong(65)));
        assert!(JobId::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn session_id_displays_hex() {
        assert_eq!(SessionId([0xab; 16]).to_string(), "ab".repeat(16));
    }

    proptest! {
        #[test]
        fn generated_job_ids_parse(h: u32, n: u32) {
            let id = JobId::new(h, n);
            prop_assert_eq!(JobId::parse(id.as_str()), Ok(id));
        }
    }
}
