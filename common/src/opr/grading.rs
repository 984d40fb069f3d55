//! Grading a block of OPRs into its winners, exactly as PegNet's `modules/grader` (the
//! consensus pegnetd follows).
//!
//! 1. Keep the valid records, in entry order; drop later duplicates of (nonce, OPR hash).
//! 2. Stable-sort by self-reported difficulty, highest first; walk that order recomputing
//!    LXRHash, dropping dishonest records, until 50 honest ones are found.
//! 3. Fewer than 25 (v1: 10): no winners; the previous winners carry forward.
//! 4. For `i` from the count down to 1 (v1: 10): average each asset over the first `i`
//!    records (mean of absolute values; v5 a trimmed mean), grade each record as
//!    Σ max(|v − avg| / avg − band, 0)⁴ over assets with avg > 0 (band 1% while `i ≥ 25`, v2+),
//!    then stable-sort the first `i` by (grade ascending, difficulty descending). The record
//!    left at `i − 1` is out of every later round.
//! 5. The first 25 (v1: 10) win; their short hashes are the next block's previous winners.

use std::collections::HashSet;

use super::ShortHash;
use super::record::{Invalid, OprRecord};
use crate::factom::Entry;

/// Records graded per block: only the best 50 honest records are looked at.
pub const GRADED_RECORDS: usize = 50;
/// The deviation allowed for free while 25 or more records remain (v2+).
const BAND: f64 = 0.01;

/// How the grader learns a record's real difficulty.
#[derive(Debug, Clone, Copy)]
pub enum Verify<'a> {
    /// Recompute with LXRHash: what the network does.
    Lxr(&'a lxrhash::Table),
    /// Trust the self-reported ExtID: only for checking without the 1 GiB table.
    SelfReported,
}

/// Why a block cannot be graded at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GradeError {
    #[error("OPR version {0} does not exist")]
    UnknownVersion(u8),
    #[error("previous winners must be {expected} short hashes (or all empty), got {got}")]
    PreviousWinners { expected: String, got: usize },
}

/// One record's place in a graded block.
#[derive(Debug, Clone, PartialEq)]
pub struct GradedRecord {
    pub record: OprRecord,
    /// The grade from the last round this record took part in (0 when no grading ran).
    pub grade: f64,
}

/// The outcome of grading one block.
#[derive(Debug, Clone, PartialEq)]
pub struct GradedBlock {
    pub version: u8,
    pub height: u32,
    /// Valid records before deduplication and the honesty check.
    pub valid_count: usize,
    /// Up to 50 honest records, in final order (index = position).
    pub graded: Vec<GradedRecord>,
    /// Whether the block had enough records to have winners.
    pub has_winners: bool,
    /// This block's winners' short hashes, or the previous winners carried forward.
    pub winners: Vec<Option<ShortHash>>,
    /// Entries rejected as invalid, with the reason (in entry order).
    pub invalid: Vec<(usize, Invalid)>,
}

impl GradedBlock {
    /// The paid records (25, or 10 in v1), best first; empty when the block had too few.
    pub fn winning_records(&self) -> &[GradedRecord] {
        if self.has_winners {
            &self.graded[..winner_count(self.version)]
        } else {
            &[]
        }
    }
}

/// How many records win a block of `version`.
pub fn winner_count(version: u8) -> usize {
    if version == 1 { 10 } else { 25 }
}

/// The previous winners a `version` block's records must list, given the last graded
/// block's short hashes (`previous`; empty when nothing was graded before).
pub fn expected_winners(
    version: u8,
    previous: &[Option<ShortHash>],
) -> Result<Vec<Option<ShortHash>>, GradeError> {
    if !(1..=5).contains(&version) {
        return Err(GradeError::UnknownVersion(version));
    }
    if previous.is_empty() {
        return Ok(vec![None; winner_count(version)]);
    }
    let uniform = previous.iter().all(Option::is_some) || previous.iter().all(Option::is_none);
    // v2 follows a v1 block's ten winners until a v2 block has winners of its own.
    let allowed: &[usize] = match version {
        1 => &[10],
        2 => &[10, 25],
        _ => &[25],
    };
    if !uniform || !allowed.contains(&previous.len()) {
        let expected = allowed
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" or ");
        return Err(GradeError::PreviousWinners {
            expected,
            got: previous.len(),
        });
    }
    Ok(previous.to_vec())
}

/// Grades the entries of block `height` (in entry-block order) for `version`.
pub fn grade(
    version: u8,
    height: u32,
    entries: &[Entry],
    previous: &[Option<ShortHash>],
    verify: Verify<'_>,
) -> Result<GradedBlock, GradeError> {
    let expected = expected_winners(version, previous)?;
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        match OprRecord::from_entry(e, version, height, &expected) {
            Ok(r) => valid.push(r),
            Err(why) => invalid.push((i, why)),
        }
    }
    let valid_count = valid.len();
    let honest = top_honest(dedupe(valid), verify);
    let mut graded: Vec<GradedRecord> = honest
        .into_iter()
        .map(|record| GradedRecord { record, grade: 0.0 })
        .collect();
    let w = winner_count(version);
    if graded.len() < w {
        return Ok(GradedBlock {
            version,
            height,
            valid_count,
            graded,
            has_winners: false,
            winners: expected,
            invalid,
        });
    }
    eliminate(version, &mut graded);
    let winners = graded[..w]
        .iter()
        .map(|g| Some(g.record.entry_hash.short()))
        .collect();
    Ok(GradedBlock {
        version,
        height,
        valid_count,
        graded,
        has_winners: true,
        winners,
        invalid,
    })
}

/// Keeps the first record of each (nonce, OPR hash), in entry order.
fn dedupe(records: Vec<OprRecord>) -> Vec<OprRecord> {
    let mut seen = HashSet::new();
    records
        .into_iter()
        .filter(|r| {
            let mut key = r.nonce.clone();
            key.extend_from_slice(&r.opr_hash);
            seen.insert(key)
        })
        .collect()
}

/// The best 50 honest records by self-reported difficulty; LXRHash is computed only until 50
/// are found, as the reference does.
fn top_honest(mut records: Vec<OprRecord>, verify: Verify<'_>) -> Vec<OprRecord> {
    records.sort_by_key(|r| std::cmp::Reverse(r.self_reported_difficulty));
    let mut top = Vec::with_capacity(GRADED_RECORDS);
    for r in records {
        let honest = match verify {
            Verify::SelfReported => true,
            Verify::Lxr(table) => {
                table.difficulty(&r.opr_hash, &r.nonce) == r.self_reported_difficulty
            }
        };
        if honest {
            top.push(r);
            if top.len() >= GRADED_RECORDS {
                break;
            }
        }
    }
    top
}

/// The elimination rounds, over records already in difficulty order.
fn eliminate(version: u8, graded: &mut [GradedRecord]) {
    let last = if version == 1 { 10 } else { 1 };
    for i in (last..=graded.len()).rev() {
        let window = &mut graded[..i];
        let avg = if version == 5 {
            trimmed_mean(window)
        } else {
            mean_abs(window)
        };
        let band = if version >= 2 && i >= 25 { BAND } else { 0.0 };
        for g in window.iter_mut() {
            g.grade = grade_of(&g.record.values, &avg, band);
        }
        // Go's two stable sorts (difficulty desc, then grade asc) are one stable sort on
        // (grade asc, difficulty desc). total_cmp never panics; grades are finite for v2+
        // and only absurd v1 prices could make them NaN.
        window.sort_by(|a, b| {
            a.grade.total_cmp(&b.grade).then(
                b.record
                    .self_reported_difficulty
                    .cmp(&a.record.self_reported_difficulty),
            )
        });
    }
}

/// Mean of absolute values per asset, summed in the window's current order (v1–v4).
fn mean_abs(window: &[GradedRecord]) -> Vec<f64> {
    let n = window[0].record.values.len();
    let mut avg = vec![0.0; n];
    for g in window {
        for (a, v) in avg.iter_mut().zip(&g.record.values) {
            *a += v.abs();
        }
    }
    let total = window.len() as f64;
    avg.iter_mut().for_each(|a| *a /= total);
    avg
}

/// Per-asset trimmed mean (v5): drop the `⌊0.1·n⌋ + 1` lowest and highest; for n ≤ 3 take
/// the sorted value at `n / 2`.
fn trimmed_mean(window: &[GradedRecord]) -> Vec<f64> {
    let n = window[0].record.values.len();
    let len = window.len();
    let p = (len as f64 * 0.1) as usize + 1;
    let mut column = Vec::with_capacity(len);
    (0..n)
        .map(|k| {
            column.clear();
            column.extend(window.iter().map(|g| g.record.values[k]));
            column.sort_by(f64::total_cmp);
            if len <= 3 {
                return column[len / 2];
            }
            let mut sum = 0.0;
            for v in &column[p..len - p] {
                sum += v;
            }
            sum / (len - 2 * p) as f64
        })
        .collect()
}

/// Σ over assets with a positive average of `max(|v − avg| / avg − band, 0)⁴`.
fn grade_of(values: &[f64], avg: &[f64], band: f64) -> f64 {
    let mut grade = 0.0;
    for (v, a) in values.iter().zip(avg) {
        if *a > 0.0 {
            let mut d = ((v - a) / a).abs();
            if d <= band {
                d = 0.0;
            } else {
                d -= band;
            }
            grade += d * d * d * d;
        }
    }
    grade
}
