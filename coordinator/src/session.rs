//! Miner authentication and sessions (DESIGN §5): challenges, proofs, nonce slots, the
//! per-session MAC key and replay window, and rate-limited failures.
//!
//! A miner coming back (its `Hello` names the session and slot it held, see
//! [`Resume`]) gets that slot again while the slot is still its own: its old session here
//! is replaced, or the slot is cooling off after that session, or this coordinator never
//! handed it out (it restarted). Its shares found in that slot stay its own, and no other
//! session can be hashing there (DESIGN §6, "Nothing found is lost", "No wasted search
//! space").
//!
//! Pure state: time and randomness come in as arguments, so every path is tested without
//! NATS or clocks. With authentication off (no secret), `Hello` is answered at once with a
//! session whose keys are [`SessionKey::disabled`] (all-zero MACs that always verify), so
//! the rest of the coordinator has a single code path.

use std::collections::{HashMap, VecDeque};

use pegnet_common::factom::{Address, AddressKind};
use pegnet_common::opr::valid_identity;
use pegnet_common::wire::{
    Challenge, Hello, MinerStats, PROTOCOL_VERSION, Proof, RejectReason, Resume, Secret, SeqWindow,
    SessionId, SessionKey, ShareBatch, ShareReject, SlotAllocator, coordinator_proof, session_key,
    verify_miner_proof,
};

/// The longest miner name; it is a metrics label and a rate-limit key.
pub const MAX_MINER_NAME: usize = 64;
/// Outstanding challenges kept at most; beyond it new `Hello`s are refused.
const MAX_PENDING_CHALLENGES: usize = 4096;
/// Miner names whose recent failures are remembered at most.
const MAX_FAILURE_KEYS: usize = 10_000;
/// The window failures are counted over.
const FAILURE_WINDOW_MS: u64 = 60_000;

/// How sessions are granted.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The shared secret; `None` turns authentication off.
    pub secret: Option<Secret>,
    /// How long a challenge may be answered.
    pub challenge_ttl_ms: u64,
    /// Failed proofs per miner name per minute before further attempts are refused unchecked.
    pub failures_per_minute: usize,
    /// Sessions held at most.
    pub max_sessions: usize,
    /// A session with no valid message for this long is dropped.
    pub session_idle_ms: u64,
    /// A dropped session's slot is not reused for this long: longer than any job can accept
    /// shares, so no new session repeats nonces the old one sent.
    pub slot_cooling_ms: u64,
}

/// Who a session mines for: its miner name, identity and payout. A miner that comes back
/// with the same three is the same miner (its records are the same OPRs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Owner {
    pub miner: String,
    pub identity: String,
    pub payout: String,
}

impl Owner {
    fn of(hello: &Hello) -> Owner {
        Owner {
            miner: hello.miner.clone(),
            identity: hello.identity.clone(),
            payout: hello.payout.clone(),
        }
    }
}

/// A miner that proved itself (or any miner, with authentication off).
#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub miner: String,
    pub identity: String,
    pub payout: String,
    pub slot: u32,
    pub key: SessionKey,
    pub last_seen_ms: u64,
    window: SeqWindow,
}

impl Session {
    /// Whom the session mines for.
    pub fn owner(&self) -> Owner {
        Owner {
            miner: self.miner.clone(),
            identity: self.identity.clone(),
            payout: self.payout.clone(),
        }
    }

    fn is_owned_by(&self, owner: &Owner) -> bool {
        self.miner == owner.miner && self.identity == owner.identity && self.payout == owner.payout
    }
}

/// A session just granted: what goes into the `Welcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub session: SessionId,
    pub slot: u32,
    /// The coordinator's proof of the secret (zero with authentication off).
    pub coordinator_proof: [u8; 32],
    /// The returning miner's old session, which this one replaced.
    pub replaced: Option<SessionId>,
}

/// The answer to a `Hello`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloAnswer {
    Challenge(Challenge),
    Welcome(Grant),
}

/// A refused `Hello` or `Proof`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", reason.as_str())]
pub struct Refusal {
    pub reason: RejectReason,
    pub detail: String,
}

fn refuse(reason: RejectReason, detail: impl Into<String>) -> Refusal {
    Refusal {
        reason,
        detail: detail.into(),
    }
}

#[derive(Debug, Clone)]
struct Pending {
    hello: Hello,
    expires_at_ms: u64,
}

/// Every session and outstanding challenge.
#[derive(Debug)]
pub struct Sessions {
    settings: AuthSettings,
    pending: HashMap<[u8; 32], Pending>,
    sessions: HashMap<SessionId, Session>,
    slots: SlotAllocator,
    /// Who held each slot that is cooling off, so that miner alone may take it back. At most
    /// one entry per cooling slot.
    released: HashMap<u32, Owner>,
    failures: HashMap<String, VecDeque<u64>>,
}

impl Sessions {
    pub fn new(settings: AuthSettings) -> Sessions {
        Sessions {
            settings,
            pending: HashMap::new(),
            sessions: HashMap::new(),
            slots: SlotAllocator::default(),
            released: HashMap::new(),
            failures: HashMap::new(),
        }
    }

    pub fn auth_enabled(&self) -> bool {
        self.settings.secret.is_some()
    }

    /// Answers a `Hello`. `challenge` and `session` are fresh random values from the caller;
    /// one of them is used.
    pub fn hello(
        &mut self,
        hello: &Hello,
        now_ms: u64,
        challenge: [u8; 32],
        session: SessionId,
    ) -> Result<HelloAnswer, Refusal> {
        check_hello(hello)?;
        self.check_rate(&hello.miner, now_ms)?;
        if self.settings.secret.is_none() {
            let grant = self.grant(hello, session, now_ms, SessionKey::disabled(), None)?;
            return Ok(HelloAnswer::Welcome(grant));
        }
        self.pending.retain(|_, p| p.expires_at_ms > now_ms);
        if self.pending.len() >= MAX_PENDING_CHALLENGES {
            return Err(refuse(
                RejectReason::RateLimited,
                "too many outstanding challenges; try again shortly",
            ));
        }
        let expires_at_ms = now_ms.saturating_add(self.settings.challenge_ttl_ms);
        self.pending.insert(
            challenge,
            Pending {
                hello: hello.clone(),
                expires_at_ms,
            },
        );
        Ok(HelloAnswer::Challenge(Challenge {
            v: PROTOCOL_VERSION,
            challenge,
            expires_at_ms,
        }))
    }

    /// Checks a `Proof` against its challenge (single use) and grants a session.
    pub fn prove(
        &mut self,
        proof: &Proof,
        now_ms: u64,
        session: SessionId,
    ) -> Result<Grant, Refusal> {
        let Some(secret) = self.settings.secret.clone() else {
            return Err(refuse(
                RejectReason::AuthDisabled,
                "authentication is off; Hello alone starts a session",
            ));
        };
        self.check_rate(&proof.miner, now_ms)?;
        let Some(pending) = self.pending.remove(&proof.challenge) else {
            self.fail(&proof.miner, now_ms);
            return Err(refuse(
                RejectReason::UnknownChallenge,
                "no such challenge (already used, or never issued)",
            ));
        };
        if pending.expires_at_ms <= now_ms {
            self.fail(&proof.miner, now_ms);
            return Err(refuse(RejectReason::ExpiredChallenge, "challenge expired"));
        }
        let h = &pending.hello;
        let same = h.miner == proof.miner
            && h.identity == proof.identity
            && h.payout == proof.payout
            && h.client_nonce == proof.client_nonce;
        let valid = same
            && verify_miner_proof(
                &secret,
                &proof.challenge,
                &proof.client_nonce,
                &proof.miner,
                &proof.identity,
                &proof.payout,
                &proof.mac,
            );
        if !valid {
            self.fail(&proof.miner, now_ms);
            return Err(refuse(
                RejectReason::BadProof,
                "proof does not verify: is Miner.CoordinatorSecret the same on both sides?",
            ));
        }
        let key = session_key(&secret, &proof.challenge, &proof.client_nonce);
        let context = Some((&secret, &proof.challenge, &proof.client_nonce));
        self.grant(&pending.hello, session, now_ms, key, context)
    }

    fn grant(
        &mut self,
        hello: &Hello,
        id: SessionId,
        now_ms: u64,
        key: SessionKey,
        proof_context: Option<(&Secret, &[u8; 32], &[u8; 32])>,
    ) -> Result<Grant, Refusal> {
        self.expire(now_ms);
        let owner = Owner::of(hello);
        let replaced = hello.resume.and_then(|r| self.take_over(&owner, r));
        let slot = match replaced {
            Some((_, slot)) => slot,
            None => {
                if self.sessions.len() >= self.settings.max_sessions {
                    return Err(refuse(
                        RejectReason::NoSlot,
                        "the coordinator is at its session limit",
                    ));
                }
                self.slot_for(&owner, hello.resume, now_ms)
                    .ok_or_else(|| refuse(RejectReason::NoSlot, "no nonce slot is free"))?
            }
        };
        let coordinator_proof = proof_context
            .map(|(secret, challenge, nonce)| {
                coordinator_proof(secret, challenge, nonce, &id, slot)
            })
            .unwrap_or([0; 32]);
        self.sessions.insert(
            id,
            Session {
                id,
                miner: hello.miner.clone(),
                identity: hello.identity.clone(),
                payout: hello.payout.clone(),
                slot,
                key,
                last_seen_ms: now_ms,
                window: SeqWindow::new(),
            },
        );
        Ok(Grant {
            session: id,
            slot,
            coordinator_proof,
            replaced: replaced.map(|(old, _)| old),
        })
    }

    /// The returning miner's old session, if it is still here with the slot it names: it is
    /// dropped and its slot passes to the new session without cooling off (the same miner
    /// goes on hashing there).
    fn take_over(&mut self, owner: &Owner, resume: Resume) -> Option<(SessionId, u32)> {
        let old = self.sessions.get(&resume.session)?;
        if old.slot != resume.slot || !old.is_owned_by(owner) {
            return None;
        }
        self.sessions.remove(&resume.session);
        Some((resume.session, resume.slot))
    }

    /// The slot a returning miner held, when it is still its own to take; else a new one.
    fn slot_for(&mut self, owner: &Owner, resume: Option<Resume>, now_ms: u64) -> Option<u32> {
        if let Some(r) = resume {
            let its_own = self.released.get(&r.slot) == Some(owner);
            if self.slots.claim(r.slot, its_own, now_ms) {
                self.released.remove(&r.slot);
                return Some(r.slot);
            }
        }
        let slot = self.slots.allocate(now_ms)?;
        self.released.remove(&slot);
        Some(slot)
    }

    /// Authenticates a share batch: known session, MAC, then a fresh sequence number (in
    /// that order, so a forger cannot burn a miner's sequence numbers).
    pub fn check_batch(
        &mut self,
        batch: &ShareBatch,
        now_ms: u64,
    ) -> Result<&Session, ShareReject> {
        let session = self
            .sessions
            .get_mut(&batch.session)
            .ok_or(ShareReject::UnknownSession)?;
        if !session.key.verify_batch(batch) {
            return Err(ShareReject::BadMac);
        }
        session
            .window
            .accept(batch.seq)
            .map_err(|_| ShareReject::Replayed)?;
        session.last_seen_ms = now_ms;
        Ok(session)
    }

    /// Authenticates a stats message the same way.
    pub fn check_stats(
        &mut self,
        stats: &MinerStats,
        now_ms: u64,
    ) -> Result<&Session, ShareReject> {
        let session = self
            .sessions
            .get_mut(&stats.session)
            .ok_or(ShareReject::UnknownSession)?;
        if !session.key.verify_stats(stats) {
            return Err(ShareReject::BadMac);
        }
        session
            .window
            .accept(stats.seq)
            .map_err(|_| ShareReject::Replayed)?;
        session.last_seen_ms = now_ms;
        Ok(session)
    }

    pub fn get(&self, id: &SessionId) -> Option<&Session> {
        self.sessions.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values()
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Drops idle sessions (their slots cool off) and expired challenges; returns the
    /// dropped sessions.
    pub fn expire(&mut self, now_ms: u64) -> Vec<Session> {
        self.pending.retain(|_, p| p.expires_at_ms > now_ms);
        let idle = self.settings.session_idle_ms;
        let gone: Vec<SessionId> = self
            .sessions
            .values()
            .filter(|s| now_ms.saturating_sub(s.last_seen_ms) > idle)
            .map(|s| s.id)
            .collect();
        let reusable_after = now_ms.saturating_add(self.settings.slot_cooling_ms);
        gone.iter()
            .filter_map(|id| self.sessions.remove(id))
            .inspect(|s| {
                if self.slots.release(s.slot, reusable_after) {
                    self.released.insert(s.slot, s.owner());
                }
            })
            .collect()
    }

    fn check_rate(&mut self, miner: &str, now_ms: u64) -> Result<(), Refusal> {
        let recent = self.failures.get_mut(miner).map_or(0, |times| {
            prune(times, now_ms);
            times.len()
        });
        if recent >= self.settings.failures_per_minute {
            return Err(refuse(
                RejectReason::RateLimited,
                format!("{recent} failed attempts in the last minute; wait and retry"),
            ));
        }
        Ok(())
    }

    fn fail(&mut self, miner: &str, now_ms: u64) {
        if self.failures.len() >= MAX_FAILURE_KEYS && !self.failures.contains_key(miner) {
            self.failures.retain(|_, times| {
                prune(times, now_ms);
                !times.is_empty()
            });
            if self.failures.len() >= MAX_FAILURE_KEYS {
                // A flood of names: forget the oldest bookkeeping rather than grow.
                self.failures.clear();
            }
        }
        let times = self.failures.entry(miner.to_owned()).or_default();
        times.push_back(now_ms);
        prune(times, now_ms);
    }
}

fn prune(times: &mut VecDeque<u64>, now_ms: u64) {
    while times
        .front()
        .is_some_and(|&t| now_ms.saturating_sub(t) >= FAILURE_WINDOW_MS)
    {
        times.pop_front();
    }
}

/// Whether `name` is usable as a miner name: a metrics label and rate-limit key.
pub fn valid_miner_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_MINER_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn check_hello(hello: &Hello) -> Result<(), Refusal> {
    if !valid_miner_name(&hello.miner) {
        return Err(refuse(
            RejectReason::BadMinerName,
            format!(
                "miner name {:?} must be 1..={MAX_MINER_NAME} of [A-Za-z0-9._-]",
                hello.miner
            ),
        ));
    }
    if !valid_identity(&hello.identity) {
        return Err(refuse(
            RejectReason::BadIdentity,
            format!("identity {:?} must match ^[a-zA-Z0-9,]+$", hello.identity),
        ));
    }
    if let Err(e) = Address::parse_kind(&hello.payout, AddressKind::FactoidPublic) {
        return Err(refuse(
            RejectReason::BadPayout,
            format!("payout {:?} is not an FA address: {e}", hello.payout),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use pegnet_common::wire::{broadcast_key, miner_proof, verify_coordinator_proof};

    use super::*;

    const PAYOUT: &str = "FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q";

    fn settings(secret: Option<&str>) -> AuthSettings {
        AuthSettings {
            secret: secret.map(|s| Secret::new(s).expect("secret")),
            challenge_ttl_ms: 10_000,
            failures_per_minute: 3,
            max_sessions: 8,
            session_idle_ms: 60_000,
            slot_cooling_ms: 600_000,
        }
    }

    fn hello(miner: &str) -> Hello {
        Hello {
            v: PROTOCOL_VERSION,
            miner: miner.into(),
            identity: "alice".into(),
            payout: PAYOUT.into(),
            client_nonce: [4; 32],
            software: "test".into(),
            resume: None,
        }
    }

    fn welcome(s: &mut Sessions, hello: &Hello, now_ms: u64, id: u8) -> Result<Grant, Refusal> {
        match s.hello(hello, now_ms, [id; 32], SessionId([id; 16]))? {
            HelloAnswer::Welcome(g) => Ok(g),
            HelloAnswer::Challenge(_) => panic!("authentication is off in this test"),
        }
    }

    fn returning(miner: &str, grant: &Grant) -> Hello {
        Hello {
            resume: Some(Resume {
                session: grant.session,
                slot: grant.slot,
            }),
            ..hello(miner)
        }
    }

    #[test]
    fn a_returning_miner_gets_its_slot_back_and_its_old_session_is_replaced() {
        let mut s = Sessions::new(settings(None));
        let a = welcome(&mut s, &hello("a"), 0, 1).unwrap();
        let b = welcome(&mut s, &hello("b"), 0, 2).unwrap();
        // Its old session still here (a reconnect): replaced, same slot.
        let again = welcome(&mut s, &returning("a", &a), 10, 3).unwrap();
        assert_eq!(again.slot, a.slot);
        assert_eq!(again.replaced, Some(a.session));
        assert!(s.get(&a.session).is_none());
        assert_eq!(s.len(), 2);
        // Another miner naming a's session gets a slot of its own, replacing nothing.
        let thief = welcome(&mut s, &returning("c", &again), 20, 4).unwrap();
        assert_ne!(thief.slot, again.slot);
        assert_eq!(thief.replaced, None);
        assert!(s.get(&again.session).is_some());
        // Its old session gone idle: the slot cools for it alone.
        assert_eq!(s.expire(60_030).len(), 3);
        let other = welcome(&mut s, &returning("b", &again), 60_031, 5).unwrap();
        assert_ne!(other.slot, again.slot, "cooling for a, not for b");
        let back = welcome(&mut s, &returning("a", &again), 60_032, 6).unwrap();
        assert_eq!(back.slot, a.slot);
        assert_eq!(back.replaced, None);
        // Same name with another payout is another miner.
        let mut changed = returning("a", &back);
        changed.payout = "FA3EPZYqodgyEGXNMbiZKE5TS2x2J9wF8J9MvPZb52iGR78xMgCb".into();
        assert_ne!(welcome(&mut s, &changed, 60_033, 7).unwrap().slot, a.slot);
        assert_ne!(b.slot, a.slot);
    }

    #[test]
    fn after_a_coordinator_restart_a_returning_miner_keeps_its_slot() {
        let mut before = Sessions::new(settings(None));
        welcome(&mut before, &hello("x"), 0, 1).unwrap();
        let a = welcome(&mut before, &hello("a"), 0, 2).unwrap();
        assert_eq!(a.slot, 1);
        let mut after = Sessions::new(settings(None));
        let back = welcome(&mut after, &returning("a", &a), 5, 3).unwrap();
        assert_eq!(back.slot, a.slot);
        let fresh = welcome(&mut after, &hello("n"), 5, 4).unwrap();
        let fresh2 = welcome(&mut after, &hello("m"), 5, 5).unwrap();
        assert_eq!(
            (fresh.slot, fresh2.slot),
            (0, 2),
            "new miners step over the claimed slot"
        );
    }

    fn proof(secret: &str, challenge: [u8; 32], miner: &str) -> Proof {
        let s = Secret::new(secret).expect("secret");
        let h = hello(miner);
        Proof {
            v: PROTOCOL_VERSION,
            challenge,
            client_nonce: h.client_nonce,
            mac: miner_proof(
                &s,
                &challenge,
                &h.client_nonce,
                miner,
                &h.identity,
                &h.payout,
            ),
            miner: h.miner,
            identity: h.identity,
            payout: h.payout,
        }
    }

    fn challenge_of(answer: HelloAnswer) -> [u8; 32] {
        match answer {
            HelloAnswer::Challenge(c) => c.challenge,
            HelloAnswer::Welcome(_) => panic!("expected a challenge"),
        }
    }

    #[test]
    fn handshake_grants_distinct_slots_and_a_verifiable_proof() {
        let mut s = Sessions::new(settings(Some("sesame")));
        let c1 = challenge_of(
            s.hello(&hello("a"), 0, [1; 32], SessionId([1; 16]))
                .unwrap(),
        );
        let c2 = challenge_of(
            s.hello(&hello("b"), 0, [2; 32], SessionId([2; 16]))
                .unwrap(),
        );
        let g1 = s
            .prove(&proof("sesame", c1, "a"), 5, SessionId([11; 16]))
            .unwrap();
        let g2 = s
            .prove(&proof("sesame", c2, "b"), 5, SessionId([12; 16]))
            .unwrap();
        assert_ne!(g1.slot, g2.slot);
        let secret = Secret::new("sesame").unwrap();
        assert!(verify_coordinator_proof(
            &secret,
            &c1,
            &[4; 32],
            &g1.session,
            g1.slot,
            &g1.coordinator_proof
        ));
        assert_eq!(s.len(), 2);
        // The broadcast key is independent of sessions; just check it is derivable.
        assert!(broadcast_key(&secret).is_enabled());
    }

    #[test]
    fn challenge_is_single_use_and_expires() {
        let mut s = Sessions::new(settings(Some("sesame")));
        let c = challenge_of(
            s.hello(&hello("a"), 0, [1; 32], SessionId([1; 16]))
                .unwrap(),
        );
        s.prove(&proof("sesame", c, "a"), 1, SessionId([2; 16]))
            .unwrap();
        let again = s.prove(&proof("sesame", c, "a"), 2, SessionId([3; 16]));
        assert_eq!(again.unwrap_err().reason, RejectReason::UnknownChallenge);
        let c = challenge_of(
            s.hello(&hello("a"), 0, [5; 32], SessionId([1; 16]))
                .unwrap(),
        );
        let late = s.prove(&proof("sesame", c, "a"), 10_000, SessionId([4; 16]));
        assert_eq!(late.unwrap_err().reason, RejectReason::ExpiredChallenge);
    }

    #[test]
    fn wrong_secret_is_refused_then_rate_limited() {
        let mut s = Sessions::new(settings(Some("sesame")));
        for i in 0..3u8 {
            let c = challenge_of(
                s.hello(&hello("a"), 0, [i; 32], SessionId([1; 16]))
                    .unwrap(),
            );
            let r = s.prove(&proof("wrong", c, "a"), 1, SessionId([2; 16]));
            assert_eq!(r.unwrap_err().reason, RejectReason::BadProof);
        }
        let r = s.hello(&hello("a"), 2, [9; 32], SessionId([1; 16]));
        assert_eq!(r.unwrap_err().reason, RejectReason::RateLimited);
        // Another miner is not affected, and the limit lifts after a minute.
        assert!(s.hello(&hello("b"), 2, [8; 32], SessionId([1; 16])).is_ok());
        assert!(
            s.hello(&hello("a"), 61_000, [7; 32], SessionId([1; 16]))
                .is_ok()
        );
        assert!(s.is_empty());
    }

    #[test]
    fn a_proof_for_another_hello_is_refused() {
        let mut s = Sessions::new(settings(Some("sesame")));
        let c = challenge_of(
            s.hello(&hello("a"), 0, [1; 32], SessionId([1; 16]))
                .unwrap(),
        );
        let r = s.prove(&proof("sesame", c, "b"), 1, SessionId([2; 16]));
        assert_eq!(r.unwrap_err().reason, RejectReason::BadProof);
    }

    #[test]
    fn bad_hello_fields_name_the_field() {
        let mut s = Sessions::new(settings(None));
        let mut h = hello("bad name");
        let r = s.hello(&h, 0, [0; 32], SessionId([0; 16]));
        assert_eq!(r.unwrap_err().reason, RejectReason::BadMinerName);
        h = hello("a");
        h.identity = "no spaces".into();
        let r = s.hello(&h, 0, [0; 32], SessionId([0; 16]));
        assert_eq!(r.unwrap_err().reason, RejectReason::BadIdentity);
        h = hello("a");
        h.payout = "FAxyz".into();
        let r = s.hello(&h, 0, [0; 32], SessionId([0; 16]));
        assert_eq!(r.unwrap_err().reason, RejectReason::BadPayout);
    }

    #[test]
    fn auth_off_welcomes_at_once_and_refuses_proofs() {
        let mut s = Sessions::new(settings(None));
        let a = s
            .hello(&hello("a"), 0, [0; 32], SessionId([1; 16]))
            .unwrap();
        assert!(matches!(a, HelloAnswer::Welcome(g) if g.coordinator_proof == [0; 32]));
        let r = s.prove(&proof("x", [0; 32], "a"), 0, SessionId([2; 16]));
        assert_eq!(r.unwrap_err().reason, RejectReason::AuthDisabled);
    }

    #[test]
    fn idle_sessions_expire_and_their_slot_cools() {
        let mut s = Sessions::new(settings(None));
        let HelloAnswer::Welcome(g) = s
            .hello(&hello("a"), 0, [0; 32], SessionId([1; 16]))
            .unwrap()
        else {
            panic!("welcome")
        };
        assert_eq!(s.expire(60_001).len(), 1);
        let HelloAnswer::Welcome(g2) = s
            .hello(&hello("b"), 60_002, [0; 32], SessionId([2; 16]))
            .unwrap()
        else {
            panic!("welcome")
        };
        assert_ne!(g.slot, g2.slot);
    }

    #[test]
    fn session_limit_is_no_slot() {
        let mut s = Sessions::new(AuthSettings {
            max_sessions: 1,
            ..settings(None)
        });
        s.hello(&hello("a"), 0, [0; 32], SessionId([1; 16]))
            .unwrap();
        let r = s.hello(&hello("b"), 0, [0; 32], SessionId([2; 16]));
        assert_eq!(r.unwrap_err().reason, RejectReason::NoSlot);
    }
}
