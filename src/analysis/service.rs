//! The long-lived analysis service a server holds: the current [`Analyzer`] (refreshed
//! incrementally when the store's data version moves) and the result caches.
//!
//! Callers pass a [`Store`] connection per call (connections are cheap, and each request
//! has its own); the service itself is `Sync` and shared.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::AnalysisError;
use super::cache::ResultCache;
use super::hotspots::{Analyzer, AreaHotspots, AreaQuery, HexHotspots, HexQuery};
use super::table::IncidentTable;
use super::window::TimeWindow;
use crate::model::Categories;
use crate::store::{Store, StoreError};

/// Bytes of results kept per kind of query (hexes, areas) unless told otherwise.
pub const CACHE_BYTES: usize = 32 << 20;

/// An analysis failed, or the store did.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The analysis refused its input; the message is for the user.
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Analyzer plus caches.
pub struct AnalysisService {
    categories: Categories,
    tz: Tz,
    study_layer: Option<String>,
    current: Mutex<Option<Arc<Analyzer>>>,
    hexes: ResultCache<HexHotspots>,
    areas: ResultCache<AreaHotspots>,
}

impl AnalysisService {
    /// A service with [`CACHE_BYTES`] per result cache; nothing is loaded until the first call.
    pub fn new(categories: Categories, tz: Tz, study_layer: Option<String>) -> AnalysisService {
        AnalysisService::with_budget(categories, tz, study_layer, CACHE_BYTES)
    }

    /// A service whose hex and area result caches hold at most `cache_bytes` each.
    pub fn with_budget(
        categories: Categories,
        tz: Tz,
        study_layer: Option<String>,
        cache_bytes: usize,
    ) -> AnalysisService {
        AnalysisService {
            categories,
            tz,
            study_layer,
            current: Mutex::new(None),
            hexes: ResultCache::new(cache_bytes),
            areas: ResultCache::new(cache_bytes),
        }
    }

    /// The result caches' counters: `[("analysis_hexes", ..), ("analysis_areas", ..)]`.
    pub fn cache_stats(&self) -> [(&'static str, crate::analysis::cache::CacheStats); 2] {
        [
            ("analysis_hexes", self.hexes.stats()),
            ("analysis_areas", self.areas.stats()),
        ]
    }

    /// The analyzer at the store's current data version.
    pub fn analyzer(&self, store: &Store) -> Result<Arc<Analyzer>, ServiceError> {
        let version = store.data_version()?;
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(a) = current.as_ref()
            && a.table().data_version == version
        {
            return Ok(a.clone());
        }
        let table = match current.as_ref() {
            Some(a) => a.table().refreshed(store, &self.categories)?,
            None => IncidentTable::load(store, &self.categories)?,
        };
        let analyzer = Arc::new(Analyzer::new(
            Arc::new(table),
            self.categories.clone(),
            self.tz,
            self.study_layer.as_deref(),
        )?);
        *current = Some(analyzer.clone());
        Ok(analyzer)
    }

    /// Hex hotspots, from the cache when still valid.
    pub fn hexes(&self, store: &Store, q: &HexQuery) -> Result<Arc<HexHotspots>, ServiceError> {
        let weeks_back = chrono::Duration::weeks(q.emerging_weeks as i64);
        let range = depends(&q.window, q.baseline_windows, weeks_back, self.tz);
        self.cached(
            &self.hexes,
            store,
            key(q, &q.window, q.as_of, self.tz),
            range,
            |a| {
                a.hexes(q).map(|r| {
                    let size = r.approx_bytes();
                    (r, size)
                })
            },
        )
    }

    /// Area hotspots, from the cache when still valid.
    pub fn areas(&self, store: &Store, q: &AreaQuery) -> Result<Arc<AreaHotspots>, ServiceError> {
        let range = depends(
            &q.window,
            q.baseline_windows,
            chrono::Duration::zero(),
            self.tz,
        );
        self.cached(
            &self.areas,
            store,
            key(q, &q.window, q.as_of, self.tz),
            range,
            |a| {
                a.areas(q).map(|r| {
                    let size = r.approx_bytes();
                    (r, size)
                })
            },
        )
    }

    fn cached<V>(
        &self,
        cache: &ResultCache<V>,
        store: &Store,
        key: String,
        range: (i64, i64),
        compute: impl FnOnce(&Analyzer) -> Result<(V, usize), AnalysisError>,
    ) -> Result<Arc<V>, ServiceError> {
        let version = store.data_version()?;
        let mut log = |v: i64| store.changes_since(v).ok();
        if let Some(hit) = cache.get(&key, version, &mut log) {
            return Ok(hit);
        }
        let analyzer = self.analyzer(store)?;
        let (result, size) = compute(&analyzer)?;
        let result = Arc::new(result);
        cache.put(key, version, range, result.clone(), size);
        Ok(result)
    }
}

/// The cache key of a query: its fields, with `as_of` only when the window was still
/// running then (a finished window's result does not depend on the present).
fn key(q: &impl std::fmt::Debug, window: &TimeWindow, as_of: DateTime<Utc>, tz: Tz) -> String {
    if window.progress(as_of, tz).complete {
        let text = format!("{q:?}");
        match text.find("as_of:") {
            Some(i) => text[..i].to_owned(),
            None => text,
        }
    } else {
        format!("{q:?}")
    }
}

/// The time range (Unix seconds) a result for `window` reads: its baseline windows, the same
/// window last year, `extra_before` before its end (the emerging cube), up to its end.
fn depends(
    window: &TimeWindow,
    baseline: usize,
    extra_before: chrono::Duration,
    tz: Tz,
) -> (i64, i64) {
    let (from, to) = window.bounds(tz);
    let mut lo = from
        .min(window.same_last_year().bounds(tz).0)
        .min(to - extra_before);
    if let Some(oldest) = window.previous_n(baseline.max(1)).last() {
        lo = lo.min(oldest.bounds(tz).0);
    }
    (lo.timestamp(), to.timestamp())
}
