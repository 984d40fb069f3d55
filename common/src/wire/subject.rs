//! NATS subject names: the only place they are built (DESIGN §3).
//!
//! Building every subject here means a typo cannot make the coordinator and the miners talk
//! past each other, and the prefix is validated once so a configured prefix cannot smuggle in
//! a wildcard that would widen a subscription.

use crate::opr::Network;

use super::id::JobId;

/// The longest prefix accepted; NATS has no hard limit, but a prefix this long is a mistake.
const MAX_PREFIX_LEN: usize = 200;

/// Why a subject prefix is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    /// No prefix at all.
    #[error("subject prefix is empty")]
    Empty,
    /// Longer than the limit.
    #[error("subject prefix is {0} bytes, more than {MAX_PREFIX_LEN}")]
    TooLong(usize),
    /// A leading, trailing or doubled `.`.
    #[error("subject prefix {0:?} has an empty token (leading, trailing or doubled '.')")]
    EmptyToken(String),
    /// `*` or `>`, which would widen subscriptions.
    #[error("subject prefix {0:?} contains a wildcard ('*' or '>')")]
    Wildcard(String),
    /// Whitespace or a control character, which NATS does not allow.
    #[error("subject prefix {0:?} contains whitespace or a control character")]
    Whitespace(String),
}

/// The subjects of one deployment, all under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subjects {
    prefix: String,
}

impl Subjects {
    /// Subjects under a custom prefix: dot-separated NATS tokens, no wildcards.
    pub fn new(prefix: &str) -> Result<Subjects, SubjectError> {
        if prefix.is_empty() {
            return Err(SubjectError::Empty);
        }
        if prefix.len() > MAX_PREFIX_LEN {
            return Err(SubjectError::TooLong(prefix.len()));
        }
        if prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SubjectError::Whitespace(prefix.to_owned()));
        }
        if prefix.contains(['*', '>']) {
            return Err(SubjectError::Wildcard(prefix.to_owned()));
        }
        if prefix.split('.').any(str::is_empty) {
            return Err(SubjectError::EmptyToken(prefix.to_owned()));
        }
        Ok(Subjects {
            prefix: prefix.to_owned(),
        })
    }

    /// The default subjects for a network: `pegnet.mainnet` or `pegnet.testnet`.
    pub fn for_network(network: Network) -> Subjects {
        let name = match network {
            Network::MainNet => "mainnet",
            Network::TestNet => "testnet",
        };
        Subjects {
            prefix: format!("pegnet.{name}"),
        }
    }

    /// The prefix every subject starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `<p>.events.minute`: coordinator → miners, `MinuteEvent`.
    pub fn minute_events(&self) -> String {
        format!("{}.events.minute", self.prefix)
    }

    /// `<p>.jobs`: coordinator → miners, `Job`, with the job's share subject as reply.
    pub fn jobs(&self) -> String {
        format!("{}.jobs", self.prefix)
    }

    /// `<p>.auth.hello`: miner → coordinator request, `Hello` → `Challenge` or `Welcome`.
    pub fn auth_hello(&self) -> String {
        format!("{}.auth.hello", self.prefix)
    }

    /// `<p>.auth.prove`: miner → coordinator request, `Proof` → `Welcome` or `Rejected`.
    pub fn auth_prove(&self) -> String {
        format!("{}.auth.prove", self.prefix)
    }

    /// `<p>.shares.<job>`: miner → coordinator request, `ShareBatch` → `ShareAck`.
    pub fn shares(&self, job: &JobId) -> String {
        format!("{}.shares.{}", self.prefix, job)
    }

    /// `<p>.shares.*`: what the coordinator subscribes to for every job's shares.
    pub fn shares_wildcard(&self) -> String {
        format!("{}.shares.*", self.prefix)
    }

    /// The job of a subject matched by [`Subjects::shares_wildcard`], or `None` if the subject
    /// is not a share subject under this prefix or its token is not a job id.
    pub fn job_of_shares_subject(&self, subject: &str) -> Option<JobId> {
        let token = subject
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix(".shares.")?;
        JobId::parse(token).ok()
    }

    /// `<p>.stats`: miner → coordinator, `MinerStats`.
    pub fn stats(&self) -> String {
        format!("{}.stats", self.prefix)
    }

    /// `<p>.barrier.<who>` (`coordinator` or `miner`): a subject nobody subscribes to. A
    /// request there is answered "no responders" by the server itself, after it has
    /// processed everything the client sent before, so a client learns that its
    /// subscriptions are in effect.
    pub fn barrier(&self, who: Barrier) -> String {
        let who = match who {
            Barrier::Coordinator => "coordinator",
            Barrier::Miner => "miner",
        };
        format!("{}.barrier.{who}", self.prefix)
    }
}

/// Whose barrier subject ([`Subjects::barrier`]); each side may publish only to its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Barrier {
    /// `<p>.barrier.coordinator`.
    Coordinator,
    /// `<p>.barrier.miner`.
    Miner,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn default_prefixes() {
        let s = Subjects::for_network(Network::MainNet);
        assert_eq!(s.prefix(), "pegnet.mainnet");
        assert_eq!(s.minute_events(), "pegnet.mainnet.events.minute");
        assert_eq!(s.jobs(), "pegnet.mainnet.jobs");
        assert_eq!(s.auth_hello(), "pegnet.mainnet.auth.hello");
        assert_eq!(s.auth_prove(), "pegnet.mainnet.auth.prove");
        assert_eq!(
            s.shares(&JobId::new(7, 1)),
            "pegnet.mainnet.shares.h7-1".to_owned()
        );
        assert_eq!(s.shares_wildcard(), "pegnet.mainnet.shares.*");
        assert_eq!(s.stats(), "pegnet.mainnet.stats");
        assert_eq!(
            Subjects::for_network(Network::TestNet).jobs(),
            "pegnet.testnet.jobs"
        );
    }

    #[test]
    fn default_prefix_is_valid() {
        for n in [Network::MainNet, Network::TestNet] {
            let s = Subjects::for_network(n);
            assert_eq!(Subjects::new(s.prefix()), Ok(s));
        }
    }

    #[test]
    fn bad_prefixes_name_the_problem() {
        assert_eq!(Subjects::new(""), Err(SubjectError::Empty));
        assert!(matches!(
            Subjects::new("a..b"),
            Err(SubjectError::EmptyToken(_))
        ));
        assert!(matches!(
            Subjects::new(".a"),
            Err(SubjectError::EmptyToken(_))
        ));
        assert!(matches!(
            Subjects::new("a."),
            Err(SubjectError::EmptyToken(_))
        ));
        assert!(matches!(
            Subjects::new("a.*"),
            Err(SubjectError::Wildcard(_))
        ));
        assert!(matches!(
            Subjects::new("a.>"),
            Err(SubjectError::Wildcard(_))
        ));
        assert!(matches!(
            Subjects::new("a b"),
            Err(SubjectError::Whitespace(_))
        ));
        assert!(matches!(
            Subjects::new("a\tb"),
            Err(SubjectError::Whitespace(_))
        ));
        assert!(matches!(
            Subjects::new(&"a".repeat(201)),
            Err(SubjectError::TooLong(201))
        ));
        assert!(Subjects::new("acme.pegnet-1.mainnet").is_ok());
    }

    #[test]
    fn share_subject_parses_back() {
        let s = Subjects::new("x.y").unwrap();
        let job = JobId::new(12, 3);
        assert_eq!(s.job_of_shares_subject(&s.shares(&job)), Some(job));
        assert_eq!(s.job_of_shares_subject("x.y.shares.A"), None);
        assert_eq!(s.job_of_shares_subject("x.y.shares.a.b"), None);
        assert_eq!(s.job_of_shares_subject("x.z.shares.h1-1"), None);
        assert_eq!(s.job_of_shares_subject("x.y.stats"), None);
    }

    proptest! {
        #[test]
        fn valid_prefixes_give_well_formed_subjects(
            tokens in prop::collection::vec("[a-zA-Z0-9_$-]{1,8}", 1..5)
        ) {
            let prefix = tokens.join(".");
            let s = Subjects::new(&prefix).unwrap();
            for subject in [s.minute_events(), s.jobs(), s.auth_hello(), s.auth_prove(),
                            s.shares(&JobId::new(1, 2)), s.stats()] {
                let start = format!("{prefix}.");
                prop_assert!(subject.starts_with(&start));
                prop_assert!(!subject.contains(['*', '>', ' ']));
                prop_assert!(subject.split('.').all(|t| !t.is_empty()));
            }
        }
    }
}
