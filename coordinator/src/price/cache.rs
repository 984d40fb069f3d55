//! One source's last good answer, reused for `Oracle.CacheTtlSeconds`.
//!
//! PegNet wraps every source in an 8-minute cache (`TimedDataSourceCache`) so that short
//! test blocks and repeated polls do not hammer the APIs or burn a paid quota. Only answers
//! are kept, never failures: a source that comes back is used at the next poll. The lock is
//! held only to read or swap the entry, never across a request, so a slow source cannot
//! block a poll on the cache.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::source::Quotes;

/// A time-limited slot for one source's quotes.
#[derive(Debug)]
pub(crate) struct Cache {
    ttl: Duration,
    entry: Mutex<Option<(Instant, Arc<Quotes>)>>,
}

impl Cache {
    /// An empty cache keeping answers for `ttl` (zero keeps nothing).
    pub fn new(ttl: Duration) -> Cache {
        Cache {
            ttl,
            entry: Mutex::new(None),
        }
    }

    /// The answer stored less than the TTL before `now`.
    pub fn get(&self, now: Instant) -> Option<Arc<Quotes>> {
        let entry = self.entry.lock().unwrap_or_else(PoisonError::into_inner);
        let (stored, quotes) = entry.as_ref()?;
        (now.saturating_duration_since(*stored) < self.ttl).then(|| quotes.clone())
    }

    /// Keeps `quotes`, received at `now`.
    pub fn put(&self, now: Instant, quotes: Arc<Quotes>) {
        if self.ttl.is_zero() {
            return;
        }
        *self.entry.lock().unwrap_or_else(PoisonError::into_inner) = Some((now, quotes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes() -> Arc<Quotes> {
        Arc::new(Quotes::from([("EUR", 1.08)]))
    }

    #[test]
    fn answers_expire_after_the_ttl() {
        let cache = Cache::new(Duration::from_secs(480));
        let t0 = Instant::now();
        assert!(cache.get(t0).is_none());
        cache.put(t0, quotes());
        assert_eq!(cache.get(t0 + Duration::from_secs(479)), Some(quotes()));
        assert!(cache.get(t0 + Duration::from_secs(480)).is_none());
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let cache = Cache::new(Duration::ZERO);
        let t0 = Instant::now();
        cache.put(t0, quotes());
        assert!(cache.get(t0).is_none());
    }
}
