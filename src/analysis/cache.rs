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
//! The cache holds at most `capacity` entries and evicts the least recently used.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::store::Change;

struct Entry<V> {
    version: i64,
    depends: (i64, i64),
    value: Arc<V>,
    used: u64,
}

/// A bounded cache of analysis results keyed by a canonical query string.
pub struct ResultCache<V> {
    inner: Mutex<Inner<V>>,
    capacity: usize,
}

struct Inner<V> {
    entries: HashMap<String, Entry<V>>,
    clock: u64,
}

/// Whether an entry computed at some version, depending on `[from, to]`, survives `changes`.
pub fn still_valid(depends: (i64, i64), changes: &[Change]) -> bool {
    changes.iter().all(|c| match c {
        Change::Incidents { from, to } => *to < depends.0 || *from > depends.1,
        Change::All => false,
    })
}

impl<V> ResultCache<V> {
    /// An empty cache of at most `capacity` entries.
    pub fn new(capacity: usize) -> ResultCache<V> {
        ResultCache {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                clock: 0,
            }),
            capacity: capacity.max(1),
        }
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
        let entry = inner.entries.get_mut(key)?;
        if entry.version != version {
            let valid = entry.version < version
                && changes_since(entry.version).is_some_and(|c| still_valid(entry.depends, &c));
            if !valid {
                inner.entries.remove(key);
                return None;
            }
            entry.version = version;
        }
        entry.used = clock;
        Some(entry.value.clone())
    }

    /// Stores `value` for `key`, computed at `version` from data in `depends` (Unix seconds).
    pub fn put(&self, key: String, version: i64, depends: (i64, i64), value: Arc<V>) {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.clock += 1;
        let used = inner.clock;
        if inner.entries.len() >= self.capacity
            && !inner.entries.contains_key(&key)
            && let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
        {
            inner.entries.remove(&oldest);
        }
        inner.entries.insert(
            key,
            Entry {
                version,
                depends,
                value,
                used,
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
        let cache: ResultCache<&str> = ResultCache::new(10);
        cache.put("w47".into(), 5, (1000, 2000), Arc::new("result"));
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
        cache.put("w48".into(), 7, (3000, 4000), Arc::new("r"));
        assert!(
            cache
                .get("w48", 8, &mut |_| Some(vec![Change::All]))
                .is_none()
        );
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let cache: ResultCache<u32> = ResultCache::new(2);
        cache.put("a".into(), 1, (0, 1), Arc::new(1));
        cache.put("b".into(), 1, (0, 1), Arc::new(2));
        assert!(cache.get("a", 1, &mut |_| None).is_some());
        cache.put("c".into(), 1, (0, 1), Arc::new(3));
        assert!(cache.get("b", 1, &mut |_| None).is_none());
        assert!(cache.get("a", 1, &mut |_| None).is_some());
        assert_eq!(cache.len(), 2);
    }
}
