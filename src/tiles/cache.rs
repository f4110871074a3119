//! A least-recently-used cache bounded by the total size of its values, for encoded tiles
//! and prepared layers.
//!
//! Keys are canonical strings that include the data version, so a new ingest simply stops
//! hitting old entries, which age out. A value larger than the whole budget is not kept.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

pub use crate::analysis::cache::CacheStats;
use crate::analysis::cache::Counters;

struct Entry<V> {
    value: Arc<V>,
    size: usize,
    tick: u64,
}

struct Inner<V> {
    entries: HashMap<String, Entry<V>>,
    /// Tick of last use → key; the first is the least recently used.
    order: BTreeMap<u64, String>,
    total: usize,
    clock: u64,
}

/// An LRU cache holding at most `max_bytes` of values (as measured by the caller).
pub struct SizedLru<V> {
    inner: Mutex<Inner<V>>,
    max_bytes: usize,
    counters: Counters,
}

impl<V> SizedLru<V> {
    /// An empty cache of at most `max_bytes`.
    pub fn new(max_bytes: usize) -> SizedLru<V> {
        SizedLru {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                order: BTreeMap::new(),
                total: 0,
                clock: 0,
            }),
            max_bytes,
            counters: Counters::default(),
        }
    }

    /// Hits, misses, evictions, bytes and budget.
    pub fn stats(&self) -> CacheStats {
        self.counters.stats(self.bytes(), self.max_bytes)
    }

    /// The value for `key`, marking it used.
    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let inner = &mut *guard;
        inner.clock += 1;
        let clock = inner.clock;
        let Some(entry) = inner.entries.get_mut(key) else {
            self.counters.lookup(false);
            return None;
        };
        self.counters.lookup(true);
        inner.order.remove(&entry.tick);
        entry.tick = clock;
        inner.order.insert(clock, key.to_owned());
        Some(entry.value.clone())
    }

    /// Stores `value` of `size` bytes under `key`, evicting the least recently used
    /// entries to stay within the budget.
    pub fn put(&self, key: String, value: Arc<V>, size: usize) {
        let size = size + key.len();
        if size > self.max_bytes {
            return;
        }
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let inner = &mut *guard;
        inner.clock += 1;
        let tick = inner.clock;
        if let Some(old) = inner.entries.remove(&key) {
            inner.order.remove(&old.tick);
            inner.total -= old.size;
        }
        while inner.total + size > self.max_bytes {
            let Some((_, oldest)) = inner.order.pop_first() else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.total -= e.size;
                self.counters.evicted(1);
            }
        }
        inner.order.insert(tick, key.clone());
        inner.entries.insert(key, Entry { value, size, tick });
        inner.total += size;
    }

    /// Bytes held (values plus keys).
    pub fn bytes(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_budget_holds_and_the_least_recently_used_goes_first() {
        let cache: SizedLru<Vec<u8>> = SizedLru::new(1000);
        for i in 0..10 {
            cache.put(format!("k{i}"), Arc::new(vec![0; 198]), 198);
        }
        // 200 bytes each (198 + a 2-byte key): five fit.
        assert_eq!(cache.len(), 5);
        assert!(cache.bytes() <= 1000);
        assert!(cache.get("k4").is_none() && cache.get("k5").is_some());
        // k5 was just used, so k6 goes next.
        cache.put("k10".into(), Arc::new(vec![0; 197]), 197);
        assert!(cache.get("k5").is_some() && cache.get("k6").is_none());
        assert!(cache.bytes() <= 1000);
    }

    #[test]
    fn oversized_values_are_not_kept_and_replacing_frees_the_old_size() {
        let cache: SizedLru<Vec<u8>> = SizedLru::new(100);
        cache.put("big".into(), Arc::new(vec![0; 200]), 200);
        assert!(cache.is_empty());
        cache.put("a".into(), Arc::new(vec![0; 50]), 50);
        cache.put("a".into(), Arc::new(vec![0; 10]), 10);
        assert_eq!(cache.bytes(), 11);
        assert_eq!(cache.len(), 1);
    }
}
