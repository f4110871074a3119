//! Report endpoints: the weekly situation picture and the tertial analysis as JSON, CSV and
//! printable HTML, and their meeting notes.
//!
//! - `GET /api/reports/week/{YYYY-Www}` and `/api/reports/tertial/{YYYY-Tn}`: JSON, or CSV
//!   with `?format=csv` (also at `.../csv`); CSV takes `decimal=comma|point` (default comma)
//!   and `lang=sv|en`.
//! - `GET /reports/week/{YYYY-Www}` and `/reports/tertial/{YYYY-Tn}`: HTML, `?lang=sv|en`.
//! - The same under `quarter/{YYYY-Qn}` for the cadence `quarter`: the tertial analysis's
//!   content per quarter.
//! - The meeting notes under `.../notes` are `serve::notes`'s.
//!
//! All take `layer=` and `region=` (e.g. `regions:norra`), `res=` and `k=`.

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use h3o::Resolution;

use super::auth::{Access, Routes};
use super::params::QueryMap;
use super::{ApiError, AppState};
use crate::analysis::window::TimeWindow;
use crate::report::csv_out::CsvOptions;
use crate::report::week::ReportOptions;
use crate::report::{
    Lang, ReportError, csv_out, html, parse_quarter_id, parse_tertial_id, parse_week_id, tertial,
    week,
};

pub(super) type Params = Query<Vec<(String, String)>>;
pub(super) type QueryResult = Result<Params, axum::extract::rejection::QueryRejection>;

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Invalid(m) => ApiError::BadRequest(m),
            ReportError::Analysis(a) => ApiError::from(a),
            ReportError::Store(s) => ApiError::from(s),
            ReportError::Output(m) => ApiError::Internal(m),
        }
    }
}

/// The report routes.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/reports/week/{id}", week_api)
        .get("/api/reports/week/{id}/csv", week_csv)
        .get("/api/reports/tertial/{id}", tertial_api)
        .get("/api/reports/tertial/{id}/csv", tertial_csv)
        .get("/reports/week/{id}", week_html)
        .get("/reports/tertial/{id}", tertial_html)
        .get("/api/reports/quarter/{id}", quarter_api)
        .get("/api/reports/quarter/{id}/csv", quarter_csv)
        .get("/reports/quarter/{id}", quarter_html)
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Week,
    Tertial,
    Quarter,
}

#[derive(Clone, Copy, PartialEq)]
enum Out {
    Json,
    Csv,
    Html,
}

const SCOPE_PARAMS: [&str; 4] = ["layer", "region", "res", "k"];

pub(super) fn query(q: QueryResult) -> Result<QueryMap, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::BadRequest(format!("malformed query string: {}", e.body_text())))?;
    Ok(QueryMap::new(pairs))
}

fn options(q: &mut QueryMap, state: &AppState) -> Result<ReportOptions, ApiError> {
    let mut o = ReportOptions {
        layer: q.take("layer"),
        region: q.take("region"),
        priority_weights: state.config().priority_weights,
        ..ReportOptions::default()
    };
    if let Some(r) = q.parse("res", "an H3 resolution 0..=15 or auto", |s| {
        if s == "auto" {
            return Some(None);
        }
        s.parse::<u8>()
            .ok()
            .and_then(|r| Resolution::try_from(r).ok())
            .map(Some)
    })? {
        o.resolution = r;
    }
    o.k = q.parse("k", "a ring size 1..=8", |s| {
        s.parse::<u32>().ok().filter(|k| (1..=8).contains(k))
    })?;
    Ok(o)
}

fn lang(q: &mut QueryMap) -> Result<Lang, ApiError> {
    Ok(q.parse("lang", "sv or en", |s| Lang::parse(s).ok())?
        .unwrap_or_default())
}

pub(super) fn parse_id(kind: Kind, id: &str) -> Result<TimeWindow, ApiError> {
    Ok(match kind {
        Kind::Week => parse_week_id(id)?,
        Kind::Tertial => parse_tertial_id(id)?,
        Kind::Quarter => parse_quarter_id(id)?,
    })
}

async fn report(
    state: AppState,
    access: Access,
    kind: Kind,
    id: String,
    q: QueryResult,
    mut out: Option<Out>,
) -> Result<Response, ApiError> {
    let mut q = query(q)?;
    let window = parse_id(kind, &id)?;
    if out.is_none() {
        out = Some(
            q.parse("format", "json or csv", |s| match s {
                "json" => Some(Out::Json),
                "csv" => Some(Out::Csv),
                _ => None,
            })?
            .unwrap_or(Out::Json),
        );
    }
    let out = out.unwrap_or(Out::Json);
    let mut opts = options(&mut q, &state)?;
    // Viewers and the public get suppressed counts, no meeting notes, and hexes no finer
    // than the public resolution cap (see docs/security.md).
    let suppression = access.view(state.auth().settings()).suppression();
    if let Some(s) = suppression {
        let cap = Resolution::try_from(s.max_public_res).unwrap_or(Resolution::Eight);
        match opts.resolution {
            Some(r) if r > cap => {
                return Err(ApiError::Forbidden(format!(
                    "parameter res: resolution {r} is finer than this role may see (at most {cap}); sign in as an analyst"
                )));
            }
            Some(_) => {}
            None => opts.resolution = Some(cap),
        }
    }
    let lang = lang(&mut q)?;
    let decimal_comma = if out == Out::Csv {
        q.parse("decimal", "comma or point", |s| match s {
            "comma" => Some(true),
            "point" => Some(false),
            _ => None,
        })?
        .unwrap_or(true)
    } else {
        true
    };
    let mut known: Vec<&str> = SCOPE_PARAMS.to_vec();
    known.extend(match out {
        Out::Json => &["format", "lang"][..],
        Out::Csv => &["format", "lang", "decimal"][..],
        Out::Html => &["lang"][..],
    });
    q.finish(&known)?;
    state
        .blocking(move |store, state| {
            let service = state.analysis();
            let csv_opts = CsvOptions {
                decimal_comma,
                lang,
            };
            let (body, content_type, filename): (Vec<u8>, &'static str, String) = match kind {
                Kind::Week => {
                    let mut r = week::build(service, store, &window, &opts)?;
                    if let Some(s) = suppression {
                        r.suppress_small_counts(s.k);
                        r.notes_restricted = r.notes.is_some();
                        r.notes = None;
                    }
                    let file = format!("veckolagesbild-{}.csv", r.id);
                    encode(
                        &r,
                        out,
                        file,
                        |r| csv_out::week(r, csv_opts),
                        |r| html::week(r, lang),
                    )?
                }
                Kind::Tertial | Kind::Quarter => {
                    let mut r = tertial::build(service, store, &window, &opts)?;
                    if let Some(s) = suppression {
                        r.suppress_small_counts(s.k);
                        r.notes_restricted = r.notes.is_some();
                        r.notes = None;
                    }
                    let file = if kind == Kind::Quarter {
                        format!("kvartalsanalys-{}.csv", r.id)
                    } else {
                        format!("tertialanalys-{}.csv", r.id)
                    };
                    encode(
                        &r,
                        out,
                        file,
                        |r| csv_out::tertial(r, csv_opts),
                        |r| html::tertial(r, lang),
                    )?
                }
            };
            let mut h = HeaderMap::new();
            h.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(content_type),
            );
            if !filename.is_empty()
                && let Ok(v) =
                    header::HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            Ok((StatusCode::OK, h, body).into_response())
        })
        .await
}

/// A report as `(body, content type, download file name or "")` in the format asked for.
fn encode<R: serde::Serialize, E>(
    r: &R,
    out: Out,
    csv_file: String,
    csv: impl FnOnce(&R) -> Result<Vec<u8>, E>,
    html: impl FnOnce(&R) -> String,
) -> Result<(Vec<u8>, &'static str, String), ApiError>
where
    ApiError: From<E>,
{
    Ok(match out {
        Out::Json => (json_bytes(r)?, "application/json", String::new()),
        Out::Csv => (csv(r)?, "text/csv; charset=utf-8", csv_file),
        Out::Html => (
            html(r).into_bytes(),
            "text/html; charset=utf-8",
            String::new(),
        ),
    })
}

fn json_bytes<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| ApiError::Internal(e.to_string()))
}

async fn week_api(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    report(s, access, Kind::Week, id, q, None).await
}

async fn week_csv(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    report(s, access, Kind::Week, id, q, Some(Out::Csv)).await
}

async fn week_html(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    report(s, access, Kind::Week, id, q, Some(Out::Html)).await
}

async fn tertial_api(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    report(s, access, Kind::Tertial, id, q, None).await
}

async fn tertial_csv(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    report(s, access, Kind::Tertial, id, q, Some(Out::Csv)).await
}

async fn tertial_html(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    report(s, access, Kind::Tertial, id, q, Some(Out::Html)).await
}

async fn quarter_api(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    report(s, access, Kind::Quarter, id, q, None).await
}

async fn quarter_csv(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    report(s, access, Kind::Quarter, id, q, Some(Out::Csv)).await
}

async fn quarter_html(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    report(s, access, Kind::Quarter, id, q, Some(Out::Html)).await
}
