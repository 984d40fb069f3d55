//! A scripted miner speaking the wire protocol by hand: it can do everything the real miner
//! does, and everything it must not (forge a difficulty, replay a batch, skip the handshake).

use async_nats::Client;
use pegnet_common::wire::{
    Hello, HelloReply, Job, JobId, MinuteEvent, NONCE_LEN, PROTOCOL_VERSION, Proof, ProveReply,
    Rejected, Secret, SessionId, SessionKey, ShareAck, ShareBatch, ShareItem, Subjects, Welcome,
    decode, decode_hello_reply, decode_prove_reply, encode, miner_proof, session_key,
};

use super::WAIT;

/// A miner that authenticated.
pub struct Probe {
    pub client: Client,
    pub subjects: Subjects,
    pub welcome: Welcome,
    pub key: SessionKey,
    pub identity: String,
    pub payout: String,
    pub seq: u64,
}

/// Says hello and, with a secret, proves it. `Err` is the coordinator's refusal.
pub async fn authenticate(
    nats_url: &str,
    subjects: &Subjects,
    secret: Option<&str>,
    miner: &str,
    identity: &str,
    payout: &str,
) -> Result<Probe, Rejected> {
    let client = async_nats::connect(nats_url).await.unwrap();
    let hello = Hello {
        v: PROTOCOL_VERSION,
        miner: miner.into(),
        identity: identity.into(),
        payout: payout.into(),
        client_nonce: [7; 32],
        software: "probe".into(),
        resume: None,
    };
    let reply = request(&client, subjects.auth_hello(), encode(&hello).unwrap()).await;
    let (welcome, key) = match decode_hello_reply(&reply).unwrap() {
        HelloReply::Rejected(r) => return Err(r),
        HelloReply::Welcome(w) => (*w, SessionKey::disabled()),
        HelloReply::Challenge(c) => {
            let secret = Secret::new(secret.expect("the coordinator wants a secret")).unwrap();
            let proof = Proof {
                v: PROTOCOL_VERSION,
                challenge: c.challenge,
                client_nonce: hello.client_nonce,
                miner: miner.into(),
                identity: identity.into(),
                payout: payout.into(),
                mac: miner_proof(
                    &secret,
                    &c.challenge,
                    &hello.client_nonce,
                    miner,
                    identity,
                    payout,
                ),
            };
            let reply = request(&client, subjects.auth_prove(), encode(&proof).unwrap()).await;
            match decode_prove_reply(&reply).unwrap() {
                ProveReply::Rejected(r) => return Err(r),
                ProveReply::Welcome(w) => {
                    (*w, session_key(&secret, &c.challenge, &hello.client_nonce))
                }
            }
        }
    };
    Ok(Probe {
        client,
        subjects: subjects.clone(),
        welcome,
        key,
        identity: identity.into(),
        payout: payout.into(),
        seq: 0,
    })
}

async fn request(client: &Client, subject: String, payload: Vec<u8>) -> Vec<u8> {
    tokio::time::timeout(WAIT, client.request(subject, payload.into()))
        .await
        .expect("coordinator answers in time")
        .expect("request")
        .payload
        .to_vec()
}

impl Probe {
    pub fn session(&self) -> SessionId {
        self.welcome.session
    }

    /// Hashes `tries` nonces of this session's slot (thread `thread`) and returns the best
    /// `keep` at or above the job's minimum, best first.
    pub fn mine(
        &self,
        job: &Job,
        table: &lxrhash::Table,
        thread: u16,
        tries: u64,
        keep: usize,
    ) -> Vec<ShareItem> {
        let opr_hash = job.opr_hash(&self.identity, &self.payout).unwrap();
        let mut best = pegnet_common::opr::BestNonces::new(keep);
        for counter in 0..tries {
            let nonce =
                pegnet_common::wire::Nonce::new(self.welcome.slot, thread, counter).to_bytes();
            let d = table.difficulty(&opr_hash, &nonce);
            if d >= job.minimum_difficulty {
                best.offer(&nonce, d);
            }
        }
        best.sorted()
            .into_iter()
            .map(|s| {
                assert_eq!(s.nonce.len(), NONCE_LEN);
                ShareItem {
                    nonce: s.nonce,
                    difficulty: s.difficulty,
                }
            })
            .collect()
    }

    /// A signed batch with the next sequence number.
    pub fn batch(
        &mut self,
        job_id: &JobId,
        shares: Vec<ShareItem>,
        final_batch: bool,
    ) -> ShareBatch {
        self.seq += 1;
        let mut batch = ShareBatch {
            v: PROTOCOL_VERSION,
            session: self.session(),
            job_id: job_id.clone(),
            seq: self.seq,
            final_batch,
            shares,
            mac: [0; 32],
        };
        batch.mac = self.key.mac_batch(&batch).unwrap();
        batch
    }

    /// Sends `batch` on the share subject of `subject_job` and returns the ack.
    pub async fn send_on(&self, subject_job: &JobId, batch: &ShareBatch) -> ShareAck {
        let reply = request(
            &self.client,
            self.subjects.shares(subject_job),
            encode(batch).unwrap(),
        )
        .await;
        decode(&reply).unwrap()
    }

    /// Signs and sends shares for `job_id`.
    pub async fn send(
        &mut self,
        job_id: &JobId,
        shares: Vec<ShareItem>,
        final_batch: bool,
    ) -> ShareAck {
        let batch = self.batch(job_id, shares, final_batch);
        self.send_on(job_id, &batch).await
    }
}

/// The next minute event for `height` at `minute`, from a subscription.
pub async fn wait_minute(sub: &mut async_nats::Subscriber, height: u32, minute: u8) -> MinuteEvent {
    use futures_util::StreamExt;
    tokio::time::timeout(WAIT * 4, async {
        loop {
            let m = sub.next().await.expect("subscription open");
            let e: MinuteEvent = decode(&m.payload).unwrap();
            if e.height == height && e.minute == minute {
                return e;
            }
        }
    })
    .await
    .expect("minute event in time")
}
