//! Results memoised per query, and invalidated only where the data changed.
//!
//! Each entry remembers the data version it was computed at and the time range it depends
//! on (the window, its baseline windows, the same window last year and the emerging-hotspot
//! weeks). When the store has moved on, the store's change log says what each later version
//! did: if every change only added incidents whose times fall outside the entry's range,
//! the entry is still right and is carried forward to the new version; otherwise it is
//! dropped and recomputed on the next request. So after the weekly ingest, last year's
//! tertial analysis stays cached while this week's picture is recomputed.
//!
//! The cache holds at most `max_bytes` of results (as estimated by the caller, e.g.
//! [`crate::analysis::hotspots::HexHotspots::approx_bytes`]) and evicts the least recently
//! used; a result larger than the whole budget is returned but not kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::store::Change;

/// A cache's counters and size, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found a value.
    pub hits: u64,
    /// Lookups that found none.
    pub misses: u64,
    /// Entries dropped to stay within the budget (or because they became stale).
    pub evictions: u64,
    /// Bytes held.
    pub bytes: usize,
    /// Bytes it may hold.
    pub budget: usize,
}

/// Hit, miss and eviction counters shared by the caches.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub evictions: AtomicU64,
}

impl Counters {
    /// Counts a lookup.
    pub fn lookup(&self, hit: bool) {
        let c = if hit { &self.hits } else { &self.misses };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts evictions.
    pub fn evicted(&self, n: u64) {
        self.evictions.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters with a size and budget.
    pub fn stats(&self, bytes: usize, budget: usize) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            bytes,
            budget,
        }
    }
}

struct Entry<V> {
    version: i64,
    depends: (i64, i64),
    value: Arc<V>,
    used: u64,
    size: usize,
}

/// A byte-bounded cache of analysis results keyed by a canonical query string.
pub struct ResultCache<V> {
    inner: Mutex<Inner<V>>,
    max_bytes: usize,
    counters: Counters,
}

struct Inner<V> {
    entries: HashMap<String, Entry<V>>,
    clock: u64,
    total: usize,
}

/// Whether an entry computed at some version, depending on `[from, to]`, survives `changes`.
pub fn still_valid(depends: (i64, i64), changes: &[Change]) -> bool {
    changes.iter().all(|c| match c {
        Change::Incidents { from, to } => *to < depends.0 || *from > depends.1,
        Change::All => false,
    })
}

impl<V> ResultCache<V> {
    /// An empty cache of at most `max_bytes`.
    pub fn new(max_bytes: usize) -> ResultCache<V> {
        ResultCache {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                clock: 0,
                total: 0,
            }),
            max_bytes,
            counters: Counters::default(),
        }
    }

    /// Hits, misses, evictions (stale entries included), bytes and budget.
    pub fn stats(&self) -> CacheStats {
        let bytes = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .total;
        self.counters.stats(bytes, self.max_bytes)
    }

    /// The cached value for `key` at `version`, if still valid. `changes_since(v)` lists the
    /// changes after version `v` (from the store's log).
    pub fn get(
        &self,
        key: &str,
        version: i64,
        changes_since: &mut dyn FnMut(i64) -> Option<Vec<Change>>,
    ) -> Option<Arc<V>> {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.clock += 1;
        let clock = inner.clock;
        let Some(entry) = inner.entries.get_mut(key) else {
            self.counters.lookup(false);
            return None;
        };
        if entry.version != version {
            let valid = entry.version < version
                && changes_since(entry.version).is_some_and(|c| still_valid(entry.depends, &c));
            if !valid {
                if let Some(e) = inner.entries.remove(key) {
                    inner.total -= e.size;
                }
                self.counters.lookup(false);
                self.counters.evicted(1);
                return None;
            }
            entry.version = version;
        }
        entry.used = clock;
        self.counters.lookup(true);
        Some(entry.value.clone())
    }

    /// Stores `value` of about `size` bytes for `key`, computed at `version` from data in
    /// `depends` (Unix seconds), evicting the least recently used to stay in the budget.
    pub fn put(&self, key: String, version: i64, depends: (i64, i64), value: Arc<V>, size: usize) {
        let size = size + key.len();
        if size > self.max_bytes {
            return;
        }
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let inner = &mut *guard;
        inner.clock += 1;
        let used = inner.clock;
        if let Some(old) = inner.entries.remove(&key) {
            inner.total -= old.size;
        }
        while inner.total + size > self.max_bytes {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.total -= e.size;
                self.counters.evicted(1);
            }
        }
        inner.total += size;
        inner.entries.insert(
            key,
            Entry {
                version,
                depends,
                value,
                used,
                size,
            },
        );
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.entries.len())
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_changes_outside_their_range_only() {
        let cache: ResultCache<&str> = ResultCache::new(1000);
        cache.put("w47".into(), 5, (1000, 2000), Arc::new("result"), 10);
        // Same version: a hit.
        assert!(cache.get("w47", 5, &mut |_| None).is_some());
        // Incidents added far before the range: still valid, carried to version 6.
        let mut log = |_: i64| Some(vec![Change::Incidents { from: 0, to: 999 }]);
        assert!(cache.get("w47", 6, &mut log).is_some());
        // Now at version 6: an overlapping change at version 7 drops it.
        let mut log = |v: i64| {
            assert_eq!(v, 6);
            Some(vec![Change::Incidents {
                from: 1500,
                to: 1600,
            }])
        };
        assert!(cache.get("w47", 7, &mut log).is_none());
        assert!(cache.is_empty());
        // A layer import invalidates everything.
        cache.put("w48".into(), 7, (3000, 4000), Arc::new("r"), 10);
        assert!(
            cache
                .get("w48", 8, &mut |_| Some(vec![Change::All]))
                .is_none()
        );
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        // 100 bytes each (99 + a 1-byte key): two fit in 250.
        let cache: ResultCache<u32> = ResultCache::new(250);
        cache.put("a".into(), 1, (0, 1), Arc::new(1), 99);
        cache.put("b".into(), 1, (0, 1), Arc::new(2), 99);
        assert!(cache.get("a", 1, &mut |_| None).is_some());
        cache.put("c".into(), 1, (0, 1), Arc::new(3), 99);
        assert!(cache.get("b", 1, &mut |_| None).is_none());
        assert!(cache.get("a", 1, &mut |_| None).is_some());
        assert_eq!(cache.len(), 2);
        let s = cache.stats();
        assert_eq!((s.bytes, s.budget, s.evictions), (200, 250, 1));
        assert_eq!((s.hits, s.misses), (2, 1));
        // Larger than the whole budget: not kept.
        cache.put("big".into(), 1, (0, 1), Arc::new(4), 300);
        assert!(cache.get("big", 1, &mut |_| None).is_none());
        assert_eq!(cache.stats().bytes, 200);
    }
}
