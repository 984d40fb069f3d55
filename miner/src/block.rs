//! Which job to hash, as a pure state machine: jobs and minute events go in, decisions
//! come out (start this job, stop and send the final set, drop the job because its block
//! ended, or ignore the message and why). No IO and no clock, so every rule is a unit test.
//!
//! The rules (DESIGN §1): a job replaces the current one at once unless it is for an older
//! height, or for a block already stopped; a job whose `lxr_bits` differs from the table's
//! is never hashed (its shares would all be refused). Minute 9 (or later) of the current
//! job's block is the stop signal; any event or job for a later block ends the current one.

use pegnet_common::wire::{Job, JobId, MinuteEvent};

/// The factomd minute that stops mining of a block.
pub const STOP_MINUTE: u8 = 9;

/// Why a job is not hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignore {
    /// The job was made for another table size.
    LxrBits,
    /// The job is for an older block than the current one.
    Stale,
    /// The job's block was already stopped (minute 9 seen).
    Stopped,
    /// The job is the one being hashed (a `Welcome` repeating it).
    Same,
}

impl Ignore {
    /// A stable label for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Ignore::LxrBits => "lxr_bits",
            Ignore::Stale => "stale",
            Ignore::Stopped => "stopped",
            Ignore::Same => "same",
        }
    }
}

/// What a minute event means for the current job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinuteVerdict {
    /// Keep going.
    Continue,
    /// The stop signal of the current job's block: stop and send the final set.
    Stop,
    /// A later block has begun and the current job never saw its stop: drop it, since its
    /// block is already written.
    Abandon,
}

/// The job being hashed and the blocks already stopped.
#[derive(Debug, Clone)]
pub struct Block {
    lxr_bits: u32,
    current: Option<(JobId, u32)>,
    /// The latest height stopped at minute 9; its jobs are not started again.
    stopped: Option<u32>,
}

impl Block {
    /// Nothing hashed yet, with a table of `lxr_bits`.
    pub fn new(lxr_bits: u32) -> Block {
        Block {
            lxr_bits,
            current: None,
            stopped: None,
        }
    }

    /// The current job's id and height.
    pub fn current(&self) -> Option<&(JobId, u32)> {
        self.current.as_ref()
    }

    /// Decides on an authentic job; `minute` is the latest minute event known with it (a
    /// `Welcome`'s). `Ok` means hash it now; it becomes the current job.
    pub fn on_job(&mut self, job: &Job, minute: Option<&MinuteEvent>) -> Result<(), Ignore> {
        if u32::from(job.lxr_bits) != self.lxr_bits {
            return Err(Ignore::LxrBits);
        }
        if let Some((id, height)) = &self.current {
            if *id == job.job_id {
                return Err(Ignore::Same);
            }
            if job.height < *height {
                return Err(Ignore::Stale);
            }
        }
        if self.stopped.is_some_and(|h| job.height <= h) {
            return Err(Ignore::Stopped);
        }
        if minute.is_some_and(|m| past_stop(m, job.height)) {
            return Err(Ignore::Stopped);
        }
        self.current = Some((job.job_id.clone(), job.height));
        Ok(())
    }

    /// Decides on an authentic minute event.
    pub fn on_minute(&mut self, event: &MinuteEvent) -> MinuteVerdict {
        let Some((_, height)) = &self.current else {
            return MinuteVerdict::Continue;
        };
        let height = *height;
        if event.height == height && event.minute >= STOP_MINUTE {
            self.current = None;
            self.stopped = Some(height);
            MinuteVerdict::Stop
        } else if event.height > height {
            self.current = None;
            MinuteVerdict::Abandon
        } else {
            MinuteVerdict::Continue
        }
    }
}

/// Whether `event` says that mining for `height` is over.
fn past_stop(event: &MinuteEvent, height: u32) -> bool {
    event.height > height || (event.height == height && event.minute >= STOP_MINUTE)
}

#[cfg(test)]
mod tests {
    use pegnet_common::wire::PROTOCOL_VERSION;

    use super::*;

    fn job(height: u32, n: u32, bits: u8) -> Job {
        Job {
            v: PROTOCOL_VERSION,
            job_id: JobId::new(height, n),
            height,
            opr_version: 5,
            chain_id: [0; 32],
            winners: vec![],
            assets: vec![],
            minimum_difficulty: 0,
            lxr_bits: bits,
            issued_at_ms: 0,
            expires_at_ms: None,
            mac: [0; 32],
        }
    }

    fn minute(height: u32, minute: u8) -> MinuteEvent {
        MinuteEvent {
            v: PROTOCOL_VERSION,
            height,
            minute,
            at_ms: 0,
            mac: [0; 32],
        }
    }

    #[test]
    fn newer_jobs_replace_older_ones_are_ignored() {
        let mut b = Block::new(10);
        assert_eq!(b.on_job(&job(5, 0, 10), None), Ok(()));
        assert_eq!(b.on_job(&job(5, 0, 10), None), Err(Ignore::Same));
        assert_eq!(b.on_job(&job(5, 1, 10), None), Ok(()));
        assert_eq!(b.current(), Some(&(JobId::new(5, 1), 5)));
        assert_eq!(b.on_job(&job(6, 0, 10), None), Ok(()));
        assert_eq!(b.on_job(&job(5, 2, 10), None), Err(Ignore::Stale));
        assert_eq!(b.current(), Some(&(JobId::new(6, 0), 6)));
    }

    #[test]
    fn other_table_sizes_are_never_hashed() {
        let mut b = Block::new(30);
        assert_eq!(b.on_job(&job(5, 0, 10), None), Err(Ignore::LxrBits));
        assert_eq!(b.current(), None);
    }

    #[test]
    fn minute_nine_stops_and_the_block_stays_stopped() {
        let mut b = Block::new(10);
        b.on_job(&job(5, 0, 10), None).unwrap();
        assert_eq!(b.on_minute(&minute(5, 8)), MinuteVerdict::Continue);
        assert_eq!(b.on_minute(&minute(4, 9)), MinuteVerdict::Continue);
        assert_eq!(b.on_minute(&minute(5, 9)), MinuteVerdict::Stop);
        assert_eq!(b.current(), None);
        assert_eq!(b.on_minute(&minute(5, 10)), MinuteVerdict::Continue);
        assert_eq!(b.on_job(&job(5, 3, 10), None), Err(Ignore::Stopped));
        assert_eq!(b.on_job(&job(6, 0, 10), None), Ok(()));
    }

    #[test]
    fn a_later_block_abandons_the_current_job() {
        let mut b = Block::new(10);
        b.on_job(&job(5, 0, 10), None).unwrap();
        assert_eq!(b.on_minute(&minute(6, 0)), MinuteVerdict::Abandon);
        assert_eq!(b.current(), None);
    }

    #[test]
    fn joining_mid_block_starts_unless_past_the_stop() {
        let mut b = Block::new(10);
        assert_eq!(
            b.on_job(&job(5, 0, 10), Some(&minute(5, 9))),
            Err(Ignore::Stopped)
        );
        assert_eq!(
            b.on_job(&job(5, 0, 10), Some(&minute(6, 1))),
            Err(Ignore::Stopped)
        );
        assert_eq!(b.on_job(&job(5, 0, 10), Some(&minute(5, 5))), Ok(()));
        let mut b = Block::new(10);
        assert_eq!(b.on_job(&job(5, 0, 10), Some(&minute(4, 9))), Ok(()));
    }
}
