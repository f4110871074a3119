//! lagesbild: a spatial hotspot service for local crime-prevention partnerships.
//!
//! Partners (police, municipality, housing company, rescue service) file geocoded incidents;
//! lagesbild stores them, assigns them to neighbourhood polygons and H3 cells, scores
//! hotspots and serves maps, reports and OGC API - Features.
//!
//! # Code map
//!
//! Data flows one way, left to right:
//! `config -> model -> ingest -> store -> access -> index -> pipeline -> analysis -> report/tiles -> demo -> serve`.
//! A module imports only from modules to its left.
//!
//! - [`config`]: deployment settings (database, categories, time zone, region, H3
//!   resolutions), merged from flags, `LAGESBILD_*` variables and a TOML file, validated once.
//! - [`model`]: the vocabulary — [`model::Incident`], [`model::Area`], [`model::Category`],
//!   [`model::Partner`], coordinate types, and the access records ([`model::access`]:
//!   roles, partner settings, tokens, audit entries). Lon/lat order is stated there, once.
//! - [`intervention`]: the interventions register's vocabulary (kind, partner, target area,
//!   hexes or polygon, days) and its field checks; stored by `store`, followed up in
//!   `analysis::followup`.
//! - [`ingest`]: readers for incident files (CSV, GeoJSON) and area layers, SWEREF 99 TM
//!   conversion, row-by-row validation with rejections that name row, field, value, reason.
//! - [`store`]: the storage seam and **all** SQL. [`store::Store`] is a cloneable handle
//!   over a connection pool with a narrow interface in domain types ([`store::Backend`],
//!   [`store::WriteTx`]); one folder per backend (`store/sqlite/`: WAL,
//!   `synchronous=FULL`, versioned migrations). One transaction per ingest, correction or
//!   layer import, with its audit entry inside it; a `data_version` change counter.
//! - [`access`]: partners and their sharing setting, roles, API tokens (hashes only), the
//!   append-only audit log and small-count suppression: the rules, no SQL (it calls
//!   `store`) and no HTTP (`serve::auth` applies it).
//! - [`index`]: R-tree area assignment with a deterministic boundary rule, and H3 cells.
//! - [`pipeline`]: jobs that cross modules — ingest a file, import an area layer.
//! - [`analysis`]: hotspot statistics over the stored incidents — windows, aggregates,
//!   Gi* with FDR, LISA, emerging hotspots, KDE, the automatic scale, and result caching.
//! - [`report`]: the weekly situation picture and the tertial analysis built from the
//!   analysis results, with their parameters and data version, small-count suppression in
//!   one method, and their formats: JSON, printable HTML (inline SVG map, Swedish/English)
//!   and CSV for Swedish Excel. No HTTP.
//! - [`tiles`]: map tiles of the analysis results, with no HTTP in it: XYZ tile math in
//!   Web Mercator, clipping to the tile plus a buffer, Douglas–Peucker simplification,
//!   GeoJSON and Mapbox Vector Tile encoding (via `geozero`), TileJSON, the zoom → H3
//!   resolution table, and the byte-bounded caches of prepared layers and encoded tiles.
//! - [`demo`]: the Botkyrka demo: real boundaries, approximate districts, and a seeded
//!   generator of **synthetic** incidents.
//! - [`serve`]: the HTTP server (axum); the only async, HTTP-aware module. It also serves
//!   the web map, whose code lives outside the crate in `web/` (MapLibre GL JS via npm).
//!
//! # Testing
//!
//! Unit tests sit beside the code (in `*_tests.rs` siblings when they grow). Integration
//! tests are one binary, `tests/it/`, that runs the real `lagesbild` binary on temporary
//! SQLite files and the router in-process. Statistical and geodetic reference values are
//! fixtures under `tests/fixtures/`, each with the script that produced it.
//!
//! # Benchmarks
//!
//! `cargo bench` (criterion, deterministic data); results and commands in `BENCHMARKS.md`.

pub mod access;
pub mod analysis;
pub mod config;
pub mod demo;
pub mod index;
pub mod ingest;
pub mod intervention;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod serve;
pub mod store;
pub mod tiles;
