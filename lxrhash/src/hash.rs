//! The scalar LXRHash: one input at a time, written to mirror the reference line by line.
//!
//! It is the definition every faster path is checked against, so it stays plain: three
//! phases over a 32-word state (`hs`) and four running words (`a`, `s1`, `s2`, `s3`), every
//! table index derived from the byte the previous lookup returned.

use crate::{HASH_SIZE, SEED, Table};

/// The running state of one hash.
struct State {
    a: u64,
    s1: u64,
    s2: u64,
    s3: u64,
    hs: [u64; HASH_SIZE],
}

impl Table {
    /// The table byte at `x` (masked to the table size), widened for the mixing arithmetic.
    #[inline(always)]
    pub(crate) fn b(&self, x: u64) -> u64 {
        u64::from(self.byte(x))
    }

    /// LXRHash of `src`: 32 bytes, bit-exact with the reference `LXRHash.Hash`.
    pub fn hash(&self, src: &[u8]) -> [u8; HASH_SIZE] {
        let mut st = State {
            a: SEED,
            s1: 0,
            s2: 0,
            s3: 0,
            hs: [0; HASH_SIZE],
        };
        // Phase 1, "fast spin": one lookup per input byte.
        for (k, &byte) in src.iter().enumerate() {
            self.fast_step(&mut st, u64::from(byte), k % HASH_SIZE);
        }
        // Phase 2: the full step per input byte.
        for (k, &byte) in src.iter().enumerate() {
            self.step(&mut st, u64::from(byte), k % HASH_SIZE);
        }
        // Phase 3, reduction, from the last word down: difficulty bytes come out last.
        let mut out = [0u8; HASH_SIZE];
        for i in (0..HASH_SIZE).rev() {
            let h = st.hs[i];
            self.step(&mut st, h, i);
            out[i] = (self.b(st.a) ^ self.b(st.hs[i])) as u8;
        }
        out
    }

    /// PegNet's difficulty of `nonce` for an OPR: the big-endian `u64` of the first 8 bytes of
    /// `LXRHash(opr_hash ‖ nonce)`. Larger is better.
    pub fn difficulty(&self, opr_hash: &[u8; 32], nonce: &[u8]) -> u64 {
        let mut input = Vec::with_capacity(opr_hash.len() + nonce.len());
        input.extend_from_slice(opr_hash);
        input.extend_from_slice(nonce);
        let h = self.hash(&input);
        u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]])
    }

    #[inline(always)]
    fn fast_step(&self, st: &mut State, v2: u64, idx: usize) {
        let t = self.b(st.a ^ v2);
        st.a = st.a << 7 ^ st.a >> 5 ^ v2 << 20 ^ v2 << 16 ^ v2 ^ t << 20 ^ t << 12 ^ t << 4;
        st.s1 = st.s1 << 9 ^ st.s1 >> 3 ^ st.hs[idx];
        st.hs[idx] = st.s1 ^ st.a;
        (st.s1, st.s2, st.s3) = (st.s3, st.s1, st.s2);
    }

    #[inline(always)]
    fn step(&self, st: &mut State, v2: u64, idx: usize) {
        let (mut a, mut s1, mut s2) = (st.a, st.s1, st.s2);
        s1 = s1 << 9 ^ s1 >> 1 ^ a ^ self.b(a >> 5 ^ v2) << 3;
        s1 = s1 << 5 ^ s1 >> 3 ^ self.b(s1 ^ v2) << 7;
        s1 = s1 << 7 ^ s1 >> 7 ^ self.b(a ^ s1 >> 7) << 5;
        s1 = s1 << 11 ^ s1 >> 5 ^ self.b(v2 ^ a >> 11 ^ s1) << 27;

        st.hs[idx] = s1 ^ a ^ st.hs[idx] << 7 ^ st.hs[idx] >> 13;

        a = a << 17 ^ a >> 5 ^ s1 ^ self.b(a ^ s1 >> 27 ^ v2) << 3;
        a = a << 13 ^ a >> 3 ^ self.b(a ^ s1) << 7;
        a = a << 15 ^ a >> 7 ^ self.b(a >> 7 ^ s1) << 11;
        a = a << 9 ^ a >> 11 ^ self.b(v2 ^ a ^ s1) << 3;

        s1 = s1 << 7 ^ s1 >> 27 ^ a ^ self.b(a >> 3) << 13;
        s1 = s1 << 3 ^ s1 >> 13 ^ self.b(s1 ^ v2) << 11;
        s1 = s1 << 8 ^ s1 >> 11 ^ self.b(a ^ s1 >> 11) << 9;
        s1 = s1 << 6 ^ s1 >> 9 ^ self.b(v2 ^ a ^ s1) << 3;

        a = a << 23 ^ a >> 3 ^ s1 ^ self.b(a ^ v2 ^ s1 >> 3) << 7;
        a = a << 17 ^ a >> 7 ^ self.b(a ^ s1 >> 3) << 5;
        a = a << 13 ^ a >> 5 ^ self.b(a >> 5 ^ s1) << 1;
        a = a << 11 ^ a >> 1 ^ self.b(v2 ^ a ^ s1) << 7;

        s1 = s1 << 5 ^ s1 >> 3 ^ a ^ self.b(a >> 7 ^ s1 >> 3) << 6;
        s1 = s1 << 8 ^ s1 >> 6 ^ self.b(s1 ^ v2) << 11;
        s1 = s1 << 11 ^ s1 >> 11 ^ self.b(a ^ s1 >> 11) << 5;
        s1 = s1 << 7 ^ s1 >> 5 ^ self.b(v2 ^ a >> 7 ^ a ^ s1) << 17;

        s2 = s2 << 3 ^ s2 >> 17 ^ s1 ^ self.b(a ^ s2 >> 5 ^ v2) << 13;
        s2 = s2 << 6 ^ s2 >> 13 ^ self.b(s2) << 11;
        s2 = s2 << 11 ^ s2 >> 11 ^ self.b(a ^ s1 ^ s2 >> 11) << 23;
        s2 = s2 << 4 ^ s2 >> 23 ^ self.b(v2 ^ a >> 8 ^ a ^ s2 >> 10) << 1;

        s1 = s2 << 3 ^ s2 >> 1 ^ st.hs[idx] ^ v2;
        a = a << 9 ^ a >> 7 ^ s1 >> 1 ^ self.b(s2 >> 1 ^ st.hs[idx]) << 5;

        st.a = a;
        (st.s1, st.s2, st.s3) = (st.s3, s1, s2);
    }
}
