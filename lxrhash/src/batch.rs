//! The batch LXRHash: K independent inputs advanced in lockstep.
//!
//! One hash is a single chain of dependent table reads, so a core hashing one input waits on
//! DRAM for nearly every read. Inputs are independent of each other, though: running K of
//! them sub-step by sub-step (every lane's first read, then every lane's second, ...) puts K
//! independent misses in flight at once, up to what the core can track. State is kept as
//! struct-of-arrays (`a[k]`, `s1[k]`, ...) so each sub-step is one tight loop over lanes.
//!
//! Lockstep alone is capped by the reorder buffer: a load that misses holds its place until
//! DRAM answers, so the core only runs as many lanes ahead as ~17 instructions each fit in
//! the buffer. So every sub-step, as soon as it has a lane's new state, computes that
//! lane's next index, prefetches it into L2 and keeps it (a prefetch retires at once and
//! merely occupies a miss buffer); the read itself comes a whole round of lanes later and
//! finds the line arriving or arrived. On the machine this was built on, one thread went
//! from 39.6k H/s (76% of the plain dependent-load probe's ceiling) to 103k, the ceiling a
//! prefetching probe measures (`pegnet-miner bench`).
//!
//! Two savings on top, both exact: phase 1 over a shared prefix (the 32-byte OPR hash) does
//! not depend on the nonce, so it runs once per prefix ([`Prefix`]); and for difficulties the
//! output bytes 8..31 are never needed, so their two final reads per byte are skipped.
//!
//! Every result is bit-identical to [`Table::hash`] (a property test checks it over random
//! inputs, table sizes and batch lengths).

#![expect(
    clippy::needless_range_loop,
    reason = "each sub-step indexes several parallel lane arrays by lane, a line-by-line transcription of the reference's step"
)]

use crate::table::Index;
use crate::{HASH_SIZE, SEED, Table};

/// Lanes per lockstep group, chosen by measurement (`pegnet-miner bench` prints the rate per
/// lane count). On the 2-core AMD EPYC this was built on, 30-bit table, one thread, with
/// each lane's next read prefetched into L2: 16 lanes 46.5k H/s, 32: 79.8k, 48: 96.2k,
/// 64: 103.7k, 96: 105.0k, 128: 100.5k. Sixty-four lanes keep about 34 misses in flight,
/// which is what the probe shows this machine's memory serves to one core; 96 is within the
/// noise and costs more state, stack and padding on short batches.
pub const LANES: usize = 64;

/// Struct-of-arrays state of K hashes.
#[derive(Clone)]
struct Lanes<const K: usize> {
    a: [u64; K],
    s1: [u64; K],
    s2: [u64; K],
    s3: [u64; K],
    hs: [[u64; K]; HASH_SIZE],
    /// Each lane's next read: the table index, masked, already prefetched.
    ix: [Index; K],
}

/// The state after phase 1 over a prefix every input of a batch starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    bytes: Vec<u8>,
    a: u64,
    s: [u64; 3],
    hs: [u64; HASH_SIZE],
}

impl Prefix {
    /// The prefix's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl Table {
    /// Runs phase 1 over `prefix` once, for every input that starts with it.
    pub fn prefix(&self, prefix: &[u8]) -> Prefix {
        let mut l = Lanes::<1> {
            a: [SEED],
            s1: [0],
            s2: [0],
            s3: [0],
            hs: [[0]; HASH_SIZE],
            ix: [Index::default()],
        };
        let byte = |j: usize| prefix.get(j).map_or(0, |&b| u64::from(b));
        l.ix[0] = self.ahead(SEED ^ byte(0));
        for j in 0..prefix.len() {
            // The next read is the next fast step's (one past the end: never made).
            self.fast_lanes(&mut l, &[byte(j)], j % HASH_SIZE, |a, _| a ^ byte(j + 1));
        }
        Prefix {
            bytes: prefix.to_vec(),
            a: l.a[0],
            s: [l.s1[0], l.s2[0], l.s3[0]],
            hs: l.hs.map(|h| h[0]),
        }
    }

    /// PegNet difficulties of `prefix ‖ nonce` for each nonce of `nonces` (all of one length),
    /// written to `out` (same length as `nonces`). Equal to [`Table::difficulty`] per nonce.
    ///
    /// # Panics
    /// If the nonces differ in length or `out` is not as long as `nonces` (a caller's bug).
    pub fn difficulties<N: AsRef<[u8]>>(&self, prefix: &Prefix, nonces: &[N], out: &mut [u64]) {
        assert_eq!(nonces.len(), out.len(), "one output per nonce");
        // Whole groups of LANES, then the rest in the smallest group that holds it, so a
        // short batch (a miner's few shares) does not pay for LANES hashes.
        let whole = nonces.len() / LANES * LANES;
        let (nonces, rest) = nonces.split_at(whole);
        let (out, rest_out) = out.split_at_mut(whole);
        self.difficulties_in_lanes::<LANES, N>(prefix, nonces, out);
        match rest.len() {
            0 => {}
            1..=8 => self.difficulties_in_lanes::<8, N>(prefix, rest, rest_out),
            9..=16 => self.difficulties_in_lanes::<16, N>(prefix, rest, rest_out),
            17..=32 => self.difficulties_in_lanes::<32, N>(prefix, rest, rest_out),
            _ => self.difficulties_in_lanes::<LANES, N>(prefix, rest, rest_out),
        }
    }

    /// [`Table::difficulties`] with `K` lanes per lockstep group, for measuring the choice
    /// of [`LANES`].
    ///
    /// # Panics
    /// As [`Table::difficulties`].
    pub fn difficulties_in_lanes<const K: usize, N: AsRef<[u8]>>(
        &self,
        prefix: &Prefix,
        nonces: &[N],
        out: &mut [u64],
    ) {
        assert_eq!(nonces.len(), out.len(), "one output per nonce");
        for (group, out) in nonces.chunks(K).zip(out.chunks_mut(K)) {
            let suffixes: [&[u8]; K] =
                std::array::from_fn(|k| group[k.min(group.len() - 1)].as_ref());
            let hashes = self.lockstep::<K>(prefix, &suffixes, 8);
            for (o, h) in out.iter_mut().zip(hashes.iter()) {
                *o = u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
            }
        }
    }

    /// The LXRHash of each of `inputs` (all of one length). Equal to [`Table::hash`] each.
    ///
    /// # Panics
    /// If the inputs differ in length or `out` is not as long as `inputs`.
    pub fn hash_batch<I: AsRef<[u8]>>(&self, inputs: &[I], out: &mut [[u8; HASH_SIZE]]) {
        assert_eq!(inputs.len(), out.len(), "one output per input");
        let empty = self.prefix(&[]);
        for (group, out) in inputs.chunks(LANES).zip(out.chunks_mut(LANES)) {
            let suffixes: [&[u8]; LANES] =
                std::array::from_fn(|k| group[k.min(group.len() - 1)].as_ref());
            let hashes = self.lockstep::<LANES>(&empty, &suffixes, HASH_SIZE);
            out.copy_from_slice(&hashes[..out.len()]);
        }
    }

    /// Hashes `prefix ‖ suffixes[k]` for every lane; only output bytes `0..out_bytes` are
    /// computed (the rest stay 0).
    fn lockstep<const K: usize>(
        &self,
        prefix: &Prefix,
        suffixes: &[&[u8]; K],
        out_bytes: usize,
    ) -> [[u8; HASH_SIZE]; K] {
        let len = suffixes[0].len();
        assert!(
            suffixes.iter().all(|s| s.len() == len),
            "lockstep inputs must have one length"
        );
        let mut l = Lanes::<K> {
            a: [prefix.a; K],
            s1: [prefix.s[0]; K],
            s2: [prefix.s[1]; K],
            s3: [prefix.s[2]; K],
            hs: prefix.hs.map(|h| [h; K]),
            ix: [Index::default(); K],
        };
        let p = prefix.bytes.len();
        let n = p + len;
        // Byte `j` of lane `k`'s input.
        let byte = |j: usize, k: usize| -> u64 {
            u64::from(if j < p {
                prefix.bytes[j]
            } else {
                suffixes[k][j - p]
            })
        };
        // Every read goes through `ix`: each sub-step, as soon as it has a lane's new state,
        // computes that lane's next index, prefetches it and keeps it, and the read comes a
        // whole round of lanes later. Where one phase hands over to the next, the first
        // index of the next phase is computed from the exact state it depends on.
        //
        // Phase 1 over the suffixes (the prefix's is done).
        for k in 0..K {
            l.ix[k] = self.ahead(l.a[k] ^ if len > 0 { byte(p, k) } else { 0 });
        }
        let input = |j: usize| -> [u64; K] {
            if j < n {
                std::array::from_fn(|k| byte(j, k))
            } else {
                [0; K]
            }
        };
        for j in p..n {
            let (v2, next) = (input(j), input(j + 1));
            // After the last byte `next` is a placeholder: phase 2 sets its own first read.
            self.fast_lanes(&mut l, &v2, j % HASH_SIZE, |a, k| a ^ next[k]);
        }
        // Phase 2 over the whole input; its first read is `a >> 5 ^ byte 0`.
        if n > 0 {
            for k in 0..K {
                l.ix[k] = self.ahead(l.a[k] >> 5 ^ byte(0, k));
            }
        }
        for j in 0..n {
            let (v2, next) = (input(j), input(j + 1));
            // After the last byte `next` is a placeholder: phase 3 sets its own first read.
            self.step_lanes(&mut l, &v2, j % HASH_SIZE, |a, k| a >> 5 ^ next[k]);
        }
        // Phase 3: reduction from the last word down; its first read is `a >> 5 ^ hs[31]`
        // (the last step of phase 2 may have just rewritten that word). Step i leaves word
        // i - 1 alone, so each step can hand the next its index. Output byte i reads the
        // table at `a` just after step i and at word i (final from then on); those reads
        // are prefetched there and made at the end.
        for k in 0..K {
            l.ix[k] = self.ahead(l.a[k] >> 5 ^ l.hs[HASH_SIZE - 1][k]);
        }
        let mut out_a = [[0u64; K]; HASH_SIZE];
        for i in (0..HASH_SIZE).rev() {
            let v2 = l.hs[i];
            let next = l.hs[i.saturating_sub(1)];
            self.step_lanes(&mut l, &v2, i, |a, k| a >> 5 ^ next[k]);
            if i < out_bytes {
                for k in 0..K {
                    self.prefetch(l.a[k]);
                    self.prefetch(l.hs[i][k]);
                    out_a[i][k] = l.a[k];
                }
            }
        }
        let mut out = [[0u8; HASH_SIZE]; K];
        for i in 0..out_bytes {
            for k in 0..K {
                out[k][i] = (self.b(out_a[i][k]) ^ self.b(l.hs[i][k])) as u8;
            }
        }
        out
    }

    /// The reference's fast step (phase 1) across all lanes, reading at `ix`; `next(a, k)`
    /// is lane `k`'s next read given its new `a`.
    #[inline(always)]
    fn fast_lanes<const K: usize>(
        &self,
        l: &mut Lanes<K>,
        v2: &[u64; K],
        idx: usize,
        next: impl Fn(u64, usize) -> u64,
    ) {
        let hs = &mut l.hs[idx];
        for k in 0..K {
            let t = self.at(l.ix[k]);
            let (a, v) = (l.a[k], v2[k]);
            l.a[k] = a << 7 ^ a >> 5 ^ v << 20 ^ v << 16 ^ v ^ t << 20 ^ t << 12 ^ t << 4;
            l.ix[k] = self.ahead(next(l.a[k], k));
            l.s1[k] = l.s1[k] << 9 ^ l.s1[k] >> 3 ^ hs[k];
            hs[k] = l.s1[k] ^ l.a[k];
        }
        rotate(l);
    }

    /// The reference's `step`, one sub-step at a time across all lanes. Each sub-step
    /// prefetches its lane's next read; `next(a, k)` gives the one after the step, if any.
    #[inline(always)]
    fn step_lanes<const K: usize>(
        &self,
        l: &mut Lanes<K>,
        v2: &[u64; K],
        idx: usize,
        next: impl Fn(u64, usize) -> u64,
    ) {
        let Lanes {
            a, s1, s2, hs, ix, ..
        } = &mut *l;
        let hs = &mut hs[idx];
        for k in 0..K {
            s1[k] = s1[k] << 9 ^ s1[k] >> 1 ^ a[k] ^ self.at(ix[k]) << 3;
            ix[k] = self.ahead(s1[k] ^ v2[k]);
        }
        for k in 0..K {
            s1[k] = s1[k] << 5 ^ s1[k] >> 3 ^ self.at(ix[k]) << 7;
            ix[k] = self.ahead(a[k] ^ s1[k] >> 7);
        }
        for k in 0..K {
            s1[k] = s1[k] << 7 ^ s1[k] >> 7 ^ self.at(ix[k]) << 5;
            ix[k] = self.ahead(v2[k] ^ a[k] >> 11 ^ s1[k]);
        }
        for k in 0..K {
            s1[k] = s1[k] << 11 ^ s1[k] >> 5 ^ self.at(ix[k]) << 27;
            ix[k] = self.ahead(a[k] ^ s1[k] >> 27 ^ v2[k]);
        }
        for k in 0..K {
            hs[k] = s1[k] ^ a[k] ^ hs[k] << 7 ^ hs[k] >> 13;
        }
        for k in 0..K {
            a[k] = a[k] << 17 ^ a[k] >> 5 ^ s1[k] ^ self.at(ix[k]) << 3;
            ix[k] = self.ahead(a[k] ^ s1[k]);
        }
        for k in 0..K {
            a[k] = a[k] << 13 ^ a[k] >> 3 ^ self.at(ix[k]) << 7;
            ix[k] = self.ahead(a[k] >> 7 ^ s1[k]);
        }
        for k in 0..K {
            a[k] = a[k] << 15 ^ a[k] >> 7 ^ self.at(ix[k]) << 11;
            ix[k] = self.ahead(v2[k] ^ a[k] ^ s1[k]);
        }
        for k in 0..K {
            a[k] = a[k] << 9 ^ a[k] >> 11 ^ self.at(ix[k]) << 3;
            ix[k] = self.ahead(a[k] >> 3);
        }
        for k in 0..K {
            s1[k] = s1[k] << 7 ^ s1[k] >> 27 ^ a[k] ^ self.at(ix[k]) << 13;
            ix[k] = self.ahead(s1[k] ^ v2[k]);
        }
        for k in 0..K {
            s1[k] = s1[k] << 3 ^ s1[k] >> 13 ^ self.at(ix[k]) << 11;
            ix[k] = self.ahead(a[k] ^ s1[k] >> 11);
        }
        for k in 0..K {
            s1[k] = s1[k] << 8 ^ s1[k] >> 11 ^ self.at(ix[k]) << 9;
            ix[k] = self.ahead(v2[k] ^ a[k] ^ s1[k]);
        }
        for k in 0..K {
            s1[k] = s1[k] << 6 ^ s1[k] >> 9 ^ self.at(ix[k]) << 3;
            ix[k] = self.ahead(a[k] ^ v2[k] ^ s1[k] >> 3);
        }
        for k in 0..K {
            a[k] = a[k] << 23 ^ a[k] >> 3 ^ s1[k] ^ self.at(ix[k]) << 7;
            ix[k] = self.ahead(a[k] ^ s1[k] >> 3);
        }
        for k in 0..K {
            a[k] = a[k] << 17 ^ a[k] >> 7 ^ self.at(ix[k]) << 5;
            ix[k] = self.ahead(a[k] >> 5 ^ s1[k]);
        }
        for k in 0..K {
            a[k] = a[k] << 13 ^ a[k] >> 5 ^ self.at(ix[k]) << 1;
            ix[k] = self.ahead(v2[k] ^ a[k] ^ s1[k]);
        }
        for k in 0..K {
            a[k] = a[k] << 11 ^ a[k] >> 1 ^ self.at(ix[k]) << 7;
            ix[k] = self.ahead(a[k] >> 7 ^ s1[k] >> 3);
        }
        for k in 0..K {
            s1[k] = s1[k] << 5 ^ s1[k] >> 3 ^ a[k] ^ self.at(ix[k]) << 6;
            ix[k] = self.ahead(s1[k] ^ v2[k]);
        }
        for k in 0..K {
            s1[k] = s1[k] << 8 ^ s1[k] >> 6 ^ self.at(ix[k]) << 11;
            ix[k] = self.ahead(a[k] ^ s1[k] >> 11);
        }
        for k in 0..K {
            s1[k] = s1[k] << 11 ^ s1[k] >> 11 ^ self.at(ix[k]) << 5;
            ix[k] = self.ahead(v2[k] ^ a[k] >> 7 ^ a[k] ^ s1[k]);
        }
        for k in 0..K {
            s1[k] = s1[k] << 7 ^ s1[k] >> 5 ^ self.at(ix[k]) << 17;
            ix[k] = self.ahead(a[k] ^ s2[k] >> 5 ^ v2[k]);
        }
        for k in 0..K {
            s2[k] = s2[k] << 3 ^ s2[k] >> 17 ^ s1[k] ^ self.at(ix[k]) << 13;
            ix[k] = self.ahead(s2[k]);
        }
        for k in 0..K {
            s2[k] = s2[k] << 6 ^ s2[k] >> 13 ^ self.at(ix[k]) << 11;
            ix[k] = self.ahead(a[k] ^ s1[k] ^ s2[k] >> 11);
        }
        for k in 0..K {
            s2[k] = s2[k] << 11 ^ s2[k] >> 11 ^ self.at(ix[k]) << 23;
            ix[k] = self.ahead(v2[k] ^ a[k] >> 8 ^ a[k] ^ s2[k] >> 10);
        }
        for k in 0..K {
            s2[k] = s2[k] << 4 ^ s2[k] >> 23 ^ self.at(ix[k]) << 1;
            ix[k] = self.ahead(s2[k] >> 1 ^ hs[k]);
        }
        for k in 0..K {
            s1[k] = s2[k] << 3 ^ s2[k] >> 1 ^ hs[k] ^ v2[k];
        }
        for k in 0..K {
            a[k] = a[k] << 9 ^ a[k] >> 7 ^ s1[k] >> 1 ^ self.at(ix[k]) << 5;
            ix[k] = self.ahead(next(a[k], k));
        }

        rotate(l);
    }
}

/// `(s1, s2, s3) = (s3, s1, s2)` in every lane.
#[inline(always)]
fn rotate<const K: usize>(l: &mut Lanes<K>) {
    std::mem::swap(&mut l.s1, &mut l.s3);
    std::mem::swap(&mut l.s2, &mut l.s3);
}
