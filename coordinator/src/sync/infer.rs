//! Where to start when nothing says what came before: the previous winners of a block,
//! read from its own records.
//!
//! Grading a block needs the previous block's winners, which need the block before, back to
//! the OPR chain's activation: on MainNet tens of thousands of blocks of hundreds of entries.
//! Every valid record of a block lists the previous winners, though, so the honest records of
//! the newest block tell them. A record can list anything, so the candidates are ranked the
//! way grading ranks records: each of the most common lists is graded as if it were the
//! truth, and the one under which the most records survive (valid, deduplicated, and, with
//! LXR verification, honest about their proof of work) wins. Forging it means out-mining
//! the network for a block. An operator who does not accept that gives a checkpoint.

use std::collections::HashMap;

use pegnet_common::factom::Entry;
use pegnet_common::opr::{OprContent, ShortHash, Verify, grade, grading};

/// A list of previous winners as a record carries it.
type Winners = Vec<Option<ShortHash>>;

/// Most distinct winner lists graded per block: junk lists are rare, and each costs a grading.
const CANDIDATES: usize = 3;

/// The previous winners most of `entries`' best records list, if any record of block
/// `height` (of OPR `version`) is valid under some list.
pub fn previous_winners(
    version: u8,
    height: u32,
    entries: &[Entry],
    verify: Verify<'_>,
) -> Option<Winners> {
    let mut counts: HashMap<Winners, usize> = HashMap::new();
    for entry in entries {
        if let Some(list) = listed_winners(version, height, entry) {
            *counts.entry(list).or_insert(0) += 1;
        }
    }
    let mut candidates: Vec<(Winners, usize)> = counts.into_iter().collect();
    // Most listed first; ties in a fixed order so the outcome does not depend on hashing.
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut best: Option<((usize, usize), Winners)> = None;
    for (list, _) in candidates.into_iter().take(CANDIDATES) {
        let Ok(graded) = grade(version, height, entries, &list, verify) else {
            continue;
        };
        let score = (graded.graded.len(), graded.valid_count);
        // Strictly better only: among equals the most listed stays.
        if score.0 > 0 && best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, list));
        }
    }
    best.map(|(_, list)| list)
}

/// The winners `entry` lists, if it looks like a record of the block: the version's ExtIDs,
/// content that decodes for the height, and a list of a shape the version allows.
fn listed_winners(version: u8, height: u32, entry: &Entry) -> Option<Winners> {
    let ext = entry.ext_ids();
    if ext.len() != 3 || ext[2].as_slice() != [version] {
        return None;
    }
    let content = OprContent::decode(version, entry.content()).ok()?;
    if i64::from(content.height) != i64::from(height) {
        return None;
    }
    let list = content
        .winners
        .iter()
        .map(|w| match w.len() {
            0 => Some(None),
            8 => {
                let mut h = [0u8; 8];
                h.copy_from_slice(w);
                Some(Some(h))
            }
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    if list.is_empty() || grading::expected_winners(version, &list).is_err() {
        return None;
    }
    Some(list)
}
