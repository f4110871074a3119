//! End-to-end jobs that cross modules: ingest a file (read → validate → assign → store) and
//! import an area layer (read → store → re-assign every incident).
//!
//! Ingest runs as two threads: a reader thread parses and validates rows and assigns areas
//! and cells in parallel chunks (rayon), while the calling thread writes them to SQLite in
//! one transaction. Memory stays bounded: chunks pass through a small channel, and only the
//! first [`MAX_REPORTED_REJECTIONS`] rejections are kept in detail (all are counted).

use std::io::Read;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use chrono::{DateTime, Utc};
use h3o::Resolution;
use rayon::prelude::*;
use serde::Serialize;

use crate::config::{Config, SWEDEN};
use crate::index::{AreaIndex, cells_for};
use crate::ingest::{
    AreaError, AreaImportOptions, CsvOptions, Encoding, Format, ImportProfile, IngestError,
    MappedColumn, Rejection, RowOutcome, RowPos, RowRules, read_area_layer, read_csv, read_geojson,
};
use crate::model::access::AuditEntry;
use crate::model::{Crs, Incident, Partner};
use crate::store::{BatchCounts, InsertOutcome, NewIncident, Store, StoreError, WriteTx};

/// Rejections kept in detail per ingest; the rest are only counted.
pub const MAX_REPORTED_REJECTIONS: usize = 1000;
const CHUNK_ROWS: usize = 8192;

/// A failure of a whole job: nothing from it was stored.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The input file is unreadable as a whole.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The area layer is invalid.
    #[error(transparent)]
    Areas(#[from] AreaError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A correction names no stored incident, or its content is invalid.
    #[error("{0}")]
    Correction(String),
    /// An import profile is invalid, or names an unknown profile.
    #[error("{0}")]
    Profile(String),
}

/// Checks an import profile (name, partner code, date format) and stores it, replacing one
/// of the same name, with `audit` in the same transaction.
pub fn put_profile(
    store: &Store,
    profile: &ImportProfile,
    audit: &AuditEntry,
) -> Result<(), PipelineError> {
    profile.validate().map_err(PipelineError::Profile)?;
    Partner::parse(&profile.partner)
        .map_err(|e| PipelineError::Profile(format!("partner {:?}: {e}", profile.partner)))?;
    store.put_profile(profile, audit)?;
    Ok(())
}

/// The outcome of a deletion.
#[derive(Debug, Clone, Serialize)]
pub struct DeleteReport {
    /// Incidents deleted.
    pub deleted: u64,
    /// The store's data version after it (analysis caches and tiles recompute from it).
    pub data_version: i64,
}

/// Deletes the incidents `what` selects, with `audit` (completed with the count) in the
/// same transaction; the data version goes up, so every aggregate, tile and cached
/// analysis is recomputed. An unknown batch is an error and nothing changes.
pub fn delete_incidents(
    store: &Store,
    what: &crate::store::Deletion<'_>,
    audit: &AuditEntry,
) -> Result<DeleteReport, PipelineError> {
    let tx = store.transaction()?;
    let deleted = tx.delete_incidents(what)?.ok_or_else(|| {
        PipelineError::Profile(match what {
            crate::store::Deletion::Batch(b) => format!(
                "there is no batch {b}; the ingest summary names its batch (`lagesbild audit --action ingest` lists them), nothing was deleted / batch {b} finns inte, inget togs bort"
            ),
            _ => "nothing matched".into(),
        })
    })?;
    tx.append_audit(
        &audit
            .clone()
            .with_rows(deleted as i64)
            .with_detail(format!("{deleted} incident(s) deleted")),
    )?;
    let data_version = tx.commit()?;
    Ok(DeleteReport {
        deleted,
        data_version,
    })
}

/// Stores `partner`'s mappings of its own category codes or labels (`(value, our code)`),
/// all or none: every code must be in the catalogue, values must be non-empty, at most
/// [`crate::ingest::profile::MAX_MAPPED_VALUE_CHARS`] long and not mapped twice to
/// different codes. Returns how many were stored.
pub fn map_categories(
    store: &Store,
    config: &Config,
    partner: &Partner,
    pairs: &[(String, String)],
    audit: &AuditEntry,
) -> Result<usize, PipelineError> {
    use crate::ingest::profile::MAX_MAPPED_VALUE_CHARS;
    if pairs.is_empty() {
        return Err(PipelineError::Profile(
            "no mappings given: pass \"Value=code\" pairs or --file FILE / inga mappningar angavs"
                .into(),
        ));
    }
    let mut seen: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(pairs.len());
    for (value, code) in pairs {
        let shown = crate::ingest::profile::shorten_for(value);
        if value.trim().is_empty() {
            return Err(PipelineError::Profile(format!(
                "the value mapped to {code:?} is empty; nothing was stored / värdet är tomt, inget sparades"
            )));
        }
        if value.chars().count() > MAX_MAPPED_VALUE_CHARS {
            return Err(PipelineError::Profile(format!(
                "the value {shown:?} is longer than {MAX_MAPPED_VALUE_CHARS} characters; nothing was stored"
            )));
        }
        let Some(category) = config.categories.get(code.trim()) else {
            let known: Vec<&str> = config.categories.iter().map(|c| c.code.as_str()).collect();
            return Err(PipelineError::Profile(format!(
                "{shown:?} is mapped to {:?}, which is not a category code; known codes: {}. Nothing was stored / {:?} är ingen kategorikod, inget sparades",
                crate::ingest::profile::shorten_for(code),
                known.join(", "),
                crate::ingest::profile::shorten_for(code)
            )));
        };
        let key = crate::ingest::category_key(value);
        if let Some(prev) = seen.get(&key)
            && *prev != category.code
        {
            return Err(PipelineError::Profile(format!(
                "{shown:?} is mapped twice, to {prev} and to {}; nothing was stored / {shown:?} mappas två gånger",
                category.code
            )));
        }
        seen.insert(key, &category.code);
        out.push(crate::store::CategoryMapping {
            partner: partner.as_str().to_owned(),
            value: value.trim().to_owned(),
            category: category.code.clone(),
        });
    }
    let n = out.len();
    store.put_category_mappings(&out, &audit.clone().with_rows(n as i64))?;
    Ok(n)
}

/// The stored import profile `name`, or an error that says how to list or add one.
pub fn load_profile(store: &Store, name: &str) -> Result<ImportProfile, PipelineError> {
    store.profile(name)?.ok_or_else(|| {
        PipelineError::Profile(format!(
            "there is no import profile {:?}; `lagesbild profile list` (GET /api/profiles) lists them, `lagesbild profile add` makes one / importprofilen {:?} finns inte",
            super_short(name),
            super_short(name)
        ))
    })
}

fn super_short(s: &str) -> String {
    s.chars().take(64).collect()
}

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// Name of the input for messages and the batch record (a file path, or `-`).
    pub source: String,
    /// CSV or GeoJSON.
    pub format: Format,
    /// The partner for rows without a `partner` column.
    pub partner: Option<Partner>,
    /// The CRS of coordinates, if not inferred.
    pub crs: Option<Crs>,
    /// Reject the whole file if any row is rejected.
    pub strict: bool,
    /// "Now", for the future-time check (normally `Utc::now()`).
    pub now: DateTime<Utc>,
    /// Who ingests, for the audit log: the entry is completed with the row counts and
    /// written in the ingest's own transaction (`None`: not audited).
    pub audit: Option<AuditEntry>,
}

/// How to read the file beyond [`IngestRequest`]: an import profile and the encoding.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The import profile to read the file with (CSV only): its columns, formats and
    /// partner. The request's `partner` and `crs`, when given, must agree with it.
    pub profile: Option<ImportProfile>,
    /// The file's encoding, overriding the profile's (`--encoding`).
    pub encoding: Option<Encoding>,
}

/// The outcome of one ingest, printed as the summary (`--json` prints it as is).
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// The input.
    pub source: String,
    /// Its format.
    pub format: Format,
    /// Whether anything was committed (false for `--strict` with rejections, or no rows).
    pub committed: bool,
    /// The batch id when committed.
    pub batch: Option<i64>,
    /// Row counts. `outside` counts accepted incidents outside every loaded area.
    #[serde(flatten)]
    pub counts: BatchCounts,
    /// Data rows read.
    pub rows: u64,
    /// The import profile used, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Which file column fed which field, and how it was found (CSV).
    pub mapping: Vec<MappedColumn>,
    /// The first rejections, in file order.
    pub rejections: Vec<Rejection>,
    /// One line per category value that is neither a category nor mapped, most rows first.
    pub unmapped_categories: Vec<UnmappedCategory>,
    /// True when more rejections happened than are listed.
    pub rejections_truncated: bool,
    /// The first rows that fell outside every area (row positions).
    pub outside_rows: Vec<RowPos>,
    /// Notes such as ignored columns.
    pub warnings: Vec<String>,
    /// The store's data version after the ingest.
    pub data_version: i64,
    /// Wall time.
    pub seconds: f64,
}

/// A category value of the file that is neither a category nor a mapped code.
#[derive(Debug, Clone, Serialize)]
pub struct UnmappedCategory {
    /// The value as written (shortened to 80 characters).
    pub value: String,
    /// Rows rejected for it.
    pub rows: u64,
    /// The first of them.
    pub first: RowPos,
    /// The summary line with the fix: `'Bedrägeri' (14 rows): map it with ...`.
    pub message: String,
}

/// Distinct unmapped values kept per ingest (a hostile file could hold millions).
pub const MAX_UNMAPPED_VALUES: usize = 1000;

impl IngestReport {
    /// One line for the audit log: batch and row counts.
    pub fn audit_detail(&self) -> String {
        audit_line(self.batch, self.rows, &self.counts)
    }
}

fn audit_line(batch: Option<i64>, rows: u64, c: &BatchCounts) -> String {
    format!(
        "batch {}: {} rows, {} accepted, {} duplicates, {} rejected",
        batch.map_or_else(|| "none (nothing stored)".to_owned(), |b| b.to_string()),
        rows,
        c.accepted,
        c.duplicates,
        c.rejected
    )
}

/// A valid incident with its H3 cells and `(layer key, area key)` assignment.
struct Assigned {
    incident: Incident,
    cells: Vec<h3o::CellIndex>,
    areas: Vec<(i64, i64)>,
}

/// One validated, assigned row on its way to the store.
struct Ready {
    pos: RowPos,
    result: Result<Assigned, Rejection>,
}

/// Ingests one incident file into the store. (A caller that wants progress wraps `input`,
/// e.g. in an `indicatif` reader, which counts bytes.)
pub fn ingest<R: Read + Send>(
    store: &Store,
    config: &Config,
    input: R,
    req: &IngestRequest,
) -> Result<IngestReport, PipelineError> {
    ingest_with(store, config, input, req, &ReadOptions::default())
}

/// [`ingest`] with an import profile or an encoding.
pub fn ingest_with<R: Read + Send>(
    store: &Store,
    config: &Config,
    input: R,
    req: &IngestRequest,
    read: &ReadOptions,
) -> Result<IngestReport, PipelineError> {
    let started = Instant::now();
    let ReadPlan {
        partner,
        crs,
        csv: csv_options,
        date_format,
    } = apply_profile(req, read)?;
    let index = AreaIndex::build(&store.areas(None)?);
    let rules = RowRules {
        categories: config.categories.clone(),
        region: config
            .region
            .or_else(|| index.default_region())
            .unwrap_or(SWEDEN),
        timezone: config.timezone,
        partner,
        crs,
        now: req.now,
        date_format,
        mappings: std::sync::Arc::new(
            store
                .category_mappings(None)?
                .into_iter()
                .map(|m| {
                    (
                        (m.partner, crate::ingest::category_key(&m.value)),
                        m.category,
                    )
                })
                .collect(),
        ),
        cleaned_descriptions: std::sync::Arc::default(),
    };
    let cleaned = std::sync::Arc::clone(&rules.cleaned_descriptions);
    let partner_hint = rules
        .partner
        .as_ref()
        .map_or_else(|| "PARTNER".to_owned(), |p| p.as_str().to_owned());
    let mut unmapped: std::collections::HashMap<String, (u64, RowPos)> =
        std::collections::HashMap::new();
    let resolutions = config.h3_resolutions.clone();
    let mut warnings = Vec::new();
    let mut mapping = Vec::new();
    let rows: Box<dyn Iterator<Item = Result<RowOutcome, IngestError>> + Send + '_> =
        match req.format {
            Format::Csv => {
                let (layout, rows) = read_csv(input, rules, &csv_options)?;
                mapping = layout.mapping;
                if !layout.ignored_columns.is_empty() {
                    warnings.push(format!(
                        "ignored column(s): {}",
                        layout.ignored_columns.join(", ")
                    ));
                }
                Box::new(rows)
            }
            Format::Geojson => Box::new(read_geojson(input, rules)?.into_iter().map(Ok)),
        };
    if index.is_empty() {
        warnings.push("no area layers are loaded: incidents are stored without areas (import layers with `lagesbild areas import`)".into());
    }

    let tx = store.transaction()?;
    ensure_resolutions(&*tx, &resolutions)?;
    let batch = tx.begin_batch(
        &req.source,
        match req.format {
            Format::Csv => "csv",
            Format::Geojson => "geojson",
        },
    )?;
    let mut counts = BatchCounts::default();
    let mut rejections = Vec::new();
    let mut outside_rows = Vec::new();
    let mut total_rows = 0u64;
    let mut span: Option<(i64, i64)> = None;
    let mut fatal: Option<IngestError> = None;

    let (send, recv) = sync_channel::<Result<Vec<Ready>, IngestError>>(4);
    let store_result = std::thread::scope(|scope| -> Result<(), StoreError> {
        let index = &index;
        let resolutions = &resolutions;
        let reader = std::thread::Builder::new().name("ingest-reader".into());
        let spawned = reader.spawn_scoped(scope, move || {
            let mut rows = rows;
            loop {
                let mut chunk = Vec::with_capacity(CHUNK_ROWS);
                let mut error = None;
                for item in rows.by_ref().take(CHUNK_ROWS) {
                    match item {
                        Ok(o) => chunk.push(o),
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                let last = chunk.len() < CHUNK_ROWS || error.is_some();
                let ready: Vec<Ready> = chunk
                    .into_par_iter()
                    .map(|o| assign(o, index, resolutions))
                    .collect();
                if send.send(Ok(ready)).is_err() {
                    return;
                }
                if let Some(e) = error {
                    let _ = send.send(Err(e));
                    return;
                }
                if last {
                    return;
                }
            }
        });
        if let Err(e) = spawned {
            fatal = Some(IngestError::Io(e));
        }
        for msg in recv {
            let chunk = match msg {
                Ok(c) => c,
                Err(e) => {
                    fatal = Some(e);
                    break;
                }
            };
            let fresh: Vec<NewIncident<'_>> = chunk
                .iter()
                .filter_map(|r| {
                    r.result.as_ref().ok().map(|a| NewIncident {
                        row: r.pos.row,
                        incident: &a.incident,
                        cells: &a.cells,
                        areas: &a.areas,
                    })
                })
                .collect();
            let mut outcomes = tx.insert_incidents(batch, &fresh)?.into_iter();
            drop(fresh);
            for r in chunk {
                total_rows += 1;
                match r.result {
                    Err(rej) => {
                        counts.rejected += 1;
                        if let (Some("category"), Some(value)) =
                            (rej.field.as_deref(), rej.value.as_deref())
                            && !value.trim().is_empty()
                        {
                            let n = unmapped.len();
                            match unmapped.get_mut(value) {
                                Some(e) => e.0 += 1,
                                None if n < MAX_UNMAPPED_VALUES => {
                                    unmapped.insert(value.to_owned(), (1, rej.pos));
                                }
                                None => {}
                            }
                        }
                        if rejections.len() < MAX_REPORTED_REJECTIONS {
                            rejections.push(rej);
                        }
                    }
                    Ok(Assigned {
                        incident: inc,
                        areas,
                        ..
                    }) => match outcomes.next().ok_or_else(|| {
                        StoreError::Corrupt("the store returned fewer outcomes than rows".into())
                    })? {
                        InsertOutcome::Inserted => {
                            counts.accepted += 1;
                            let start = inc.occurred_at.timestamp();
                            let end = inc.occurred_to.map_or(start, |t| t.timestamp());
                            span = Some(
                                span.map_or((start, end), |(a, b)| (a.min(start), b.max(end))),
                            );
                            if areas.is_empty() && !index.is_empty() {
                                counts.outside += 1;
                                if outside_rows.len() < MAX_REPORTED_REJECTIONS {
                                    outside_rows.push(r.pos);
                                }
                            }
                        }
                        InsertOutcome::Duplicate => counts.duplicates += 1,
                        InsertOutcome::Conflict { batch, row, fields } => {
                            counts.rejected += 1;
                            if rejections.len() < MAX_REPORTED_REJECTIONS {
                                rejections.push(Rejection::new(
                                    r.pos,
                                    Some("id"),
                                    Some(&inc.id),
                                    format!(
                                        "partner {} already has an incident with this id (batch {batch}, row {row}) with different {}; ids must be unique per partner, and stored incidents are not overwritten",
                                        inc.partner,
                                        fields.join(", ")
                                    ),
                                ));
                            }
                        }
                    },
                }
            }
        }
        Ok(())
    });
    store_result?;
    if let Some(e) = fatal {
        // Dropping `tx` rolls the whole batch back.
        return Err(e.into());
    }
    let rejections_truncated = counts.rejected as usize > rejections.len();
    let mut unmapped_categories: Vec<UnmappedCategory> = unmapped
        .into_iter()
        .map(|(value, (rows, first))| UnmappedCategory {
            message: format!(
                "'{value}' ({rows} row{}, first {first}): map it with `lagesbild categories map --partner {partner_hint} \"{value}=CODE\"` / mappa den med `lagesbild categories map`",
                if rows == 1 { "" } else { "s" }
            ),
            value,
            rows,
            first,
        })
        .collect();
    unmapped_categories.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.first.row.cmp(&b.first.row)));
    let commit = !(req.strict && counts.rejected > 0) && counts.accepted > 0;
    let cleaned = cleaned.load(std::sync::atomic::Ordering::Relaxed);
    if cleaned > 0 {
        warnings.push(format!(
            "{cleaned} description(s) held control characters (such as NUL); they were removed and the rest of the text kept / {cleaned} beskrivning(ar) innehöll styrtecken (t.ex. NUL); de togs bort och resten av texten sparades"
        ));
    }
    if req.strict && counts.rejected > 0 {
        warnings.push(format!(
            "NOTHING WAS STORED: --strict refuses the whole file because {} row(s) were rejected; no row of this file is in the database. Fix the rejected rows and send the file again / INGENTING SPARADES: --strict avvisar hela filen eftersom {} rad(er) avvisades; ingen rad ur filen finns i databasen. Rätta raderna och skicka filen igen",
            counts.rejected, counts.rejected
        ));
    }
    if total_rows == 0 {
        warnings.push("the file has a header but no data rows".into());
    }
    if counts.accepted == 0 && counts.rejected == 0 && counts.duplicates > 0 {
        warnings.push(format!(
            "nothing new: all {} row(s) were already stored; nothing changed / inget nytt: alla {} rad(er) fanns redan; inget ändrades",
            counts.duplicates, counts.duplicates
        ));
    }
    let audit_detail = |batch: Option<i64>| audit_line(batch, total_rows, &counts);
    let (committed, batch, data_version) = if commit {
        if let Some((from, to)) = span {
            tx.note_incidents(from, to);
        }
        tx.finish_batch(batch, &counts)?;
        if let Some(entry) = &req.audit {
            tx.append_audit(
                &entry
                    .clone()
                    .with_rows(counts.accepted as i64)
                    .with_detail(audit_detail(Some(batch))),
            )?;
        }
        (true, Some(batch), tx.commit()?)
    } else {
        drop(tx);
        if let Some(entry) = &req.audit {
            store.append_audit(&entry.clone().with_rows(0).with_detail(audit_detail(None)))?;
        }
        (false, None, store.data_version()?)
    };
    Ok(IngestReport {
        source: req.source.clone(),
        format: req.format,
        committed,
        batch,
        counts,
        rows: total_rows,
        profile: read.profile.as_ref().map(|p| p.name.clone()),
        mapping,
        rejections,
        unmapped_categories,
        rejections_truncated,
        outside_rows,
        warnings,
        data_version,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// What an ingest reads with: the request's settings completed by its profile.
struct ReadPlan {
    partner: Option<Partner>,
    crs: Option<Crs>,
    csv: CsvOptions,
    date_format: Option<String>,
}

/// The partner, CRS, CSV options and time format an ingest reads with: the request's,
/// completed by its profile; a conflict between the two is an error.
fn apply_profile(req: &IngestRequest, read: &ReadOptions) -> Result<ReadPlan, IngestError> {
    let Some(p) = &read.profile else {
        let opts = CsvOptions {
            encoding: read.encoding.unwrap_or_default(),
            ..CsvOptions::default()
        };
        return Ok(ReadPlan {
            partner: req.partner.clone(),
            crs: req.crs,
            csv: opts,
            date_format: None,
        });
    };
    if req.format != Format::Csv {
        return Err(IngestError::Options(format!(
            "the import profile {:?} reads CSV files; a GeoJSON file is read without a profile / importprofilen {:?} läser CSV-filer",
            p.name, p.name
        )));
    }
    let own = Partner::parse(&p.partner).map_err(IngestError::Options)?;
    if let Some(given) = &req.partner
        && *given != own
    {
        return Err(IngestError::Options(format!(
            "the import profile {:?} belongs to partner {own}, but the file is filed for {given}; use that partner's own profile / importprofilen {:?} hör till {own}, men filen lämnas in för {given}",
            p.name, p.name
        )));
    }
    if let (Some(given), Some(own_crs)) = (req.crs, p.crs)
        && given != own_crs
    {
        return Err(IngestError::Options(format!(
            "--crs {} differs from the import profile's CRS {}; leave --crs out or change the profile",
            given.name(),
            own_crs.name()
        )));
    }
    let opts = CsvOptions {
        map: Some((p.name.clone(), p.map.clone())),
        decimal: p.decimal,
        encoding: read.encoding.unwrap_or(p.encoding),
    };
    Ok(ReadPlan {
        partner: Some(own),
        crs: req.crs.or(p.crs),
        csv: opts,
        date_format: p.date_format.clone(),
    })
}

fn assign(o: RowOutcome, index: &AreaIndex, resolutions: &[Resolution]) -> Ready {
    let result = o.result.and_then(|inc| {
        let cells = cells_for(inc.location, resolutions).ok_or_else(|| {
            Rejection::new(
                o.pos,
                Some("lat,lon"),
                None,
                "cannot be placed on the H3 grid",
            )
        })?;
        let areas = index.locate(inc.location);
        Ok(Assigned {
            incident: inc,
            cells,
            areas,
        })
    });
    Ready { pos: o.pos, result }
}

/// Makes the stored cells match the configured resolutions, recomputing every incident's
/// cells when the configuration changed.
fn ensure_resolutions(tx: &dyn WriteTx, wanted: &[Resolution]) -> Result<(), StoreError> {
    match tx.h3_resolutions()? {
        Some(stored) if stored == wanted => Ok(()),
        stored => {
            tx.set_h3_resolutions(wanted)?;
            if stored.is_some() {
                let locations = tx.incident_locations()?;
                tracing::info!(
                    incidents = locations.len(),
                    ?wanted,
                    "H3 resolutions changed; recomputing cells"
                );
                let cells: Vec<_> = locations
                    .par_iter()
                    .map(|(_, p)| cells_for(*p, wanted).unwrap_or_default())
                    .collect();
                let rows: Vec<(i64, Vec<h3o::CellIndex>)> =
                    locations.iter().map(|(key, _)| *key).zip(cells).collect();
                tx.set_cells(&rows)?;
            }
            Ok(())
        }
    }
}

/// The outcome of an area layer import.
#[derive(Debug, Clone, Serialize)]
pub struct AreaImportReport {
    /// The layer.
    pub layer: String,
    /// Areas imported.
    pub areas: usize,
    /// Stored incidents now assigned to an area of this layer.
    pub incidents_assigned: usize,
    /// Stored incidents outside every area of this layer.
    pub incidents_outside: usize,
    /// The store's data version after the import.
    pub data_version: i64,
}

/// Imports (or replaces) an area layer and re-assigns every stored incident to it, in one
/// transaction.
pub fn import_areas<R: Read>(
    store: &Store,
    input: R,
    opts: &AreaImportOptions,
    source: &str,
) -> Result<AreaImportReport, PipelineError> {
    let areas = read_area_layer(input, opts)?;
    let tx = store.transaction()?;
    let (layer_key, _) = tx.replace_layer(&opts.layer, source, &areas)?;
    let index = AreaIndex::build(&tx.areas()?);
    let locations = tx.incident_locations()?;
    let pairs: Vec<(i64, i64)> = locations
        .par_iter()
        .filter_map(|(key, p)| index.locate_in_layer(layer_key, *p).map(|a| (*key, a)))
        .collect();
    tx.assign(layer_key, &pairs)?;
    let data_version = tx.commit()?;
    Ok(AreaImportReport {
        layer: opts.layer.clone(),
        areas: areas.len(),
        incidents_assigned: pairs.len(),
        incidents_outside: locations.len() - pairs.len(),
        data_version,
    })
}

/// A corrected incident: as it was and as it is now.
#[derive(Debug, Clone, Serialize)]
pub struct Correction {
    /// Before.
    pub before: Incident,
    /// After.
    pub after: Incident,
    /// The store's data version after the correction.
    pub data_version: i64,
}

/// Corrects the stored incident `id` of `partner`: `feature` is a GeoJSON Feature with the
/// new content (category, occurred_at, optional occurred_to and description, a point). It
/// is validated exactly like an ingested row; its `id` and `partner` are set from the
/// arguments. The incident keeps its key; its cells and areas are recomputed. `audit`, if
/// given, is written with the old content in the same transaction.
pub fn correct_incident(
    store: &Store,
    config: &Config,
    partner: &Partner,
    id: &str,
    mut feature: serde_json::Value,
    now: DateTime<Utc>,
    audit: Option<&AuditEntry>,
) -> Result<Correction, PipelineError> {
    let props = feature
        .as_object_mut()
        .filter(|f| f.get("type").and_then(|t| t.as_str()) == Some("Feature"))
        .ok_or_else(|| PipelineError::Correction("the body must be one GeoJSON Feature".into()))?
        .entry("properties")
        .or_insert_with(|| serde_json::json!({}));
    let props = props
        .as_object_mut()
        .ok_or_else(|| PipelineError::Correction("properties: must be an object".into()))?;
    props.insert("id".into(), serde_json::json!(id));
    props.insert("partner".into(), serde_json::json!(partner.as_str()));
    let index = AreaIndex::build(&store.areas(None)?);
    let rules = RowRules {
        categories: config.categories.clone(),
        region: config
            .region
            .or_else(|| index.default_region())
            .unwrap_or(SWEDEN),
        timezone: config.timezone,
        partner: Some(partner.clone()),
        crs: Some(Crs::Wgs84),
        now,
        date_format: None,
        mappings: std::sync::Arc::default(),
        cleaned_descriptions: std::sync::Arc::default(),
    };
    let text =
        serde_json::json!({ "type": "FeatureCollection", "features": [feature] }).to_string();
    let rows = read_geojson(std::io::Cursor::new(text), rules)?;
    let [row] = &rows[..] else {
        return Err(PipelineError::Correction(
            "the body must be exactly one feature".into(),
        ));
    };
    let inc = row
        .result
        .clone()
        .map_err(|r| PipelineError::Correction(format!("nothing was changed: {r}")))?;
    let cells = cells_for(inc.location, &config.h3_resolutions).ok_or_else(|| {
        PipelineError::Correction("the point cannot be placed on the H3 grid".into())
    })?;
    let areas = index.locate(inc.location);
    let tx = store.transaction()?;
    ensure_resolutions(&*tx, &config.h3_resolutions)?;
    let before = tx.correct_incident(&inc, &cells, &areas)?.ok_or_else(|| {
        PipelineError::Correction(format!("partner {partner} has no incident with id {id:?}"))
    })?;
    if let Some(entry) = audit {
        // The old content lives on only here, so it commits with the change.
        tx.append_audit(&entry.clone().with_rows(1).with_detail(format!(
            "before: {}",
            serde_json::to_string(&before).unwrap_or_default()
        )))?;
    }
    let data_version = tx.commit()?;
    Ok(Correction {
        before,
        after: inc,
        data_version,
    })
}
