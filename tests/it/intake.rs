//! Partner data as it really arrives (issue 13): a SYNTHETIC police export with Swedish
//! headers, `;`, decimal comma, CRLF, X/Y in SWEREF 99 TM, Datum + Klockslag, a Latin-1
//! variant and 5 broken rows (`tests/fixtures/ingest/make_police_export.py`), read by
//! header recognition and by an import profile, from the CLI and over the API.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use lagesbild::config::Config;
use lagesbild::serve::{AppState, router};

use crate::support::*;

fn export(name: &str) -> std::path::PathBuf {
    repo().join("tests/fixtures/ingest").join(name)
}

/// The lines (1-based) of the file where a broken row (id `SYNT-BRUTEN-n`) starts.
fn broken_lines(name: &str) -> Vec<u64> {
    let bytes = std::fs::read(export(name)).unwrap();
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| l.starts_with(b"SYNT-BRUTEN"))
        .map(|(i, _)| i as u64 + 1)
        .collect()
}

fn rejection_lines(v: &Value) -> Vec<u64> {
    v["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect()
}

fn ingest(sb: &Sandbox, file: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["ingest", file.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    sb.run_json(&args)
}

#[test]
fn a_police_export_goes_in_unedited_with_rejections_on_their_own_lines() {
    let sb = Sandbox::new();
    sb.import_districts();
    let file = export("polisen_export_synthetic.csv");
    let (code, v) = ingest(&sb, &file, &["--partner", "polisen"]);
    assert_eq!(code, 3, "some rows rejected: {v}");
    assert_eq!(v["accepted"], 35, "{v}");
    assert_eq!(v["rejected"], 5, "{v}");
    let want = broken_lines("polisen_export_synthetic.csv");
    assert_eq!(want.len(), 5);
    assert_eq!(rejection_lines(&v), want, "{v}");
    let fields: Vec<&str> = v["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "category",
            "occurred_at",
            "occurred_at",
            "x",
            "easting,northing"
        ]
    );
    // The report says which mapping it used.
    let mapping: Vec<(String, String, String)> = v["mapping"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["field"].as_str().unwrap().into(),
                m["column"].as_str().unwrap().into(),
                m["how"].as_str().unwrap().into(),
            )
        })
        .collect();
    for want in [
        ("id", "Händelsenummer"),
        ("occurred_at", "Datum+Klockslag"),
        ("category", "Brottstyp"),
        ("easting", "X"),
        ("northing", "Y"),
        ("description", "Händelsebeskrivning"),
    ] {
        assert!(
            mapping.contains(&(want.0.into(), want.1.into(), "recognised".into())),
            "{want:?} in {mapping:?}"
        );
    }
    // Every accepted incident lies in Botkyrka: X (north) and Y (east) were told apart.
    let store = lagesbild::store::Store::open(&sb.db()).unwrap();
    let all = store.incidents(None, None).unwrap();
    assert_eq!(all.len(), 35);
    assert!(all.iter().all(|s| {
        let p = s.incident.location;
        (59.15..59.30).contains(&p.lat) && (17.7..18.0).contains(&p.lon)
    }));
    let two_lines = all
        .iter()
        .find(|s| s.incident.id == "SYNT-2026010")
        .unwrap();
    assert_eq!(
        two_lines.incident.description.as_deref(),
        Some("Syntetisk; två\nrader"),
        "CRLF inside a quoted field is kept as one line break"
    );
    assert!(
        !v["warnings"].to_string().contains("control characters"),
        "CRLF in a quoted field is no control character: {v}"
    );
    // The human summary names the mapping too.
    let out = sb.run(&["ingest", file.to_str().unwrap(), "--partner", "polisen"]);
    let text = stdout(&out);
    assert!(text.contains("id ← Händelsenummer (recognised)"), "{text}");
}

#[test]
fn latin1_is_refused_with_the_fix_named_and_read_with_encoding_latin1() {
    let sb = Sandbox::new();
    sb.import_districts();
    let file = export("polisen_export_synthetic_latin1.csv");
    let out = sb.run(&["ingest", file.to_str().unwrap(), "--partner", "polisen"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("--encoding latin1"), "{err}");
    assert!(err.contains("Latin-1"), "{err}");
    assert_eq!(count(&sb.db()), 0, "nothing stored");
    let (code, v) = ingest(
        &sb,
        &file,
        &["--partner", "polisen", "--encoding", "latin1"],
    );
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["accepted"], 35);
    assert_eq!(
        rejection_lines(&v),
        broken_lines("polisen_export_synthetic_latin1.csv")
    );
    let store = lagesbild::store::Store::open(&sb.db()).unwrap();
    let inc = store.incident("polisen", "SYNT-2026000").unwrap().unwrap();
    assert_eq!(
        inc.description.as_deref(),
        Some("Syntetisk händelse 1 – övning")
    );
    assert_eq!(inc.category, "assault");
    // An unknown encoding is refused by name.
    let out = sb.run(&["ingest", file.to_str().unwrap(), "--encoding", "utf16"]);
    assert!(
        stderr(&out).contains("use utf8 or latin1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn utf16_is_refused_with_the_fix_named() {
    let sb = Sandbox::new();
    let text = std::fs::read_to_string(export("polisen_export_synthetic.csv")).unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let f = sb.file("unicode.csv", &bytes);
    let out = sb.run(&["ingest", f.to_str().unwrap(), "--partner", "polisen"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("UTF-16"), "{}", stderr(&out));
    assert!(stderr(&out).contains("CSV UTF-8"), "{}", stderr(&out));
    assert_eq!(count(&sb.db()), 0);
}

#[test]
fn an_import_profile_reads_the_export_and_a_reimport_is_all_duplicates() {
    let sb = Sandbox::new();
    sb.import_districts();
    let add = |name: &str, map: &str, extra: &[&str]| {
        let mut args = vec!["profile", "add", name, "--partner", "polisen", "--map", map];
        args.extend_from_slice(extra);
        sb.run(&args)
    };
    let out = add(
        "polis-vecka",
        "id=Händelsenummer,occurred_at=Datum+Klockslag,category=Brottstyp,northing=X,easting=Y",
        &["--decimal", "comma", "--encoding", "latin1"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let file = export("polisen_export_synthetic_latin1.csv");
    let (code, v) = ingest(&sb, &file, &["--profile", "polis-vecka"]);
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["accepted"], 35, "{v}");
    assert_eq!(v["profile"], "polis-vecka");
    assert_eq!(v["mapping"][0]["how"], "profile");
    let (code, v) = ingest(&sb, &file, &["--profile", "polis-vecka"]);
    assert_eq!(v["accepted"], 0);
    assert_eq!(v["duplicates"], 35);
    assert_eq!(code, 3, "the 5 broken rows are still rejected");
    // list, show, delete.
    let list = stdout(&sb.run(&["profile", "list"]));
    assert!(
        list.contains("polis-vecka\tpolisen\tid=Händelsenummer"),
        "{list}"
    );
    let (_, shown) = sb.run_json(&["profile", "show", "polis-vecka"]);
    assert_eq!(shown["decimal"], "comma");
    assert_eq!(shown["encoding"], "latin1");
    // A profile of one partner refuses a file filed for another.
    let out = sb.run(&[
        "ingest",
        file.to_str().unwrap(),
        "--profile",
        "polis-vecka",
        "--partner",
        "kommunen",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("belongs to partner polisen"),
        "{}",
        stderr(&out)
    );
    assert!(
        sb.run(&["profile", "delete", "polis-vecka"])
            .status
            .success()
    );
    let out = sb.run(&["ingest", file.to_str().unwrap(), "--profile", "polis-vecka"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no import profile"),
        "{}",
        stderr(&out)
    );
    // The audit log has the profile changes.
    let (_, audit) = sb.run_json(&["audit", "--json", "--action", "profile"]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["profile.delete", "profile.put"]);
}

#[test]
fn bad_profiles_are_refused_and_nothing_is_stored() {
    let sb = Sandbox::new();
    let add = |name: &str, map: &str, extra: &[&str]| {
        let mut args = vec!["profile", "add", name, "--partner", "polisen", "--map", map];
        args.extend_from_slice(extra);
        sb.run(&args)
    };
    // Two columns mapped to one field.
    let out = add("p", "id=Händelsenummer,id=Brottstyp", &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("mapped twice"), "{}", stderr(&out));
    // An unknown field, a bad name, a bad date format, a bad decimal mark.
    assert!(stderr(&add("p", "ident=X", &[])).contains("not a field"));
    assert!(stderr(&add("Polis Vecka", "id=X", &[])).contains("lower-case"));
    assert!(stderr(&add("p", "id=X", &["--date-format", "%H:%M"])).contains("year, month or day"));
    assert!(
        stderr(&add("p", "id=X", &["--decimal", "semicolon"])).contains("auto, comma or point")
    );
    assert!(stdout(&sb.run(&["profile", "list"])).contains("no import profiles"));
    // A profile naming a column the file lacks: the file is refused whole.
    assert!(add("p", "id=Diarienummer", &[]).status.success());
    let file = export("polisen_export_synthetic.csv");
    let out = sb.run(&["ingest", file.to_str().unwrap(), "--profile", "p"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("\"Diarienummer\"") && err.contains("\"Händelsenummer\""),
        "{err}"
    );
    assert_eq!(count(&sb.db()), 0);
    // A profile is for CSV.
    let gj = sb.file(
        "x.geojson",
        br#"{"type":"FeatureCollection","features":[]}"#,
    );
    let out = sb.run(&["ingest", gj.to_str().unwrap(), "--profile", "p"]);
    assert!(stderr(&out).contains("reads CSV files"), "{}", stderr(&out));
    // Deleting an absent profile fails.
    assert!(!sb.run(&["profile", "delete", "absent"]).status.success());
}

#[test]
fn unknown_headers_suggest_a_profile() {
    let sb = Sandbox::new();
    let f = sb.file(
        "odd.csv",
        "Nr;När;Vad;Var\r\n1;2026-11-01 10:00;Stöld;x\r\n".as_bytes(),
    );
    let out = sb.run(&["ingest", f.to_str().unwrap(), "--partner", "polisen"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("lagesbild profile add"), "{err}");
    assert!(err.contains("\"När\""), "{err}");
}

async fn call(state: &AppState, req: Request<Body>) -> (StatusCode, Value) {
    let db = state.config().db.clone();
    let res = router(state.clone())
        .oneshot(as_admin(req, &db))
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn profiles_over_the_api_and_an_upload_with_one() {
    let sb = Sandbox::new();
    sb.import_districts();
    let state = AppState::new(Config::with_db(sb.db()), None);
    let post = |body: String| {
        Request::post("/api/profiles")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let profile = json!({
        "name": "polis-vecka", "partner": "polisen",
        "map": "id=Händelsenummer,occurred_at=Datum+Klockslag,category=Brottstyp,northing=X,easting=Y",
        "decimal": "comma", "encoding": "latin1"
    });
    let (s, v) = call(&state, post(profile.to_string())).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Malformed, hostile and oversized bodies.
    for (body, want) in [
        (
            json!({"name": "x", "partner": "polisen", "map": "id=A,id=B"}).to_string(),
            "mapped twice",
        ),
        (
            json!({"name": "x", "partner": "polisen"}).to_string(),
            "map",
        ),
        (
            json!({"name": "../etc", "partner": "polisen", "map": "id=A"}).to_string(),
            "lower-case",
        ),
        (
            json!({"name": "x", "partner": "okänd", "map": "id=A"}).to_string(),
            "partner",
        ),
        (
            json!({"name": "x", "partner": "polisen", "map": "id=A", "date_format": "%Q"})
                .to_string(),
            "strftime",
        ),
        ("{not json".to_owned(), "not a valid import profile"),
    ] {
        let (s, v) = call(&state, post(body.clone())).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert!(v.to_string().contains(want), "{body}: {v}");
    }
    let big =
        json!({"name": "x", "partner": "polisen", "map": format!("id={}", "A".repeat(20_000))});
    let (s, _) = call(&state, post(big.to_string())).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, v) = call(
        &state,
        Request::get("/api/profiles").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    let (s, v) = call(
        &state,
        Request::get("/api/profiles/polis-vecka")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, v["encoding"].as_str()),
        (StatusCode::OK, Some("latin1"))
    );
    // Upload with the profile.
    let bytes = std::fs::read(export("polisen_export_synthetic_latin1.csv")).unwrap();
    let upload = |uri: &str| {
        Request::post(uri)
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(bytes.clone()))
            .unwrap()
    };
    let (s, v) = call(&state, upload("/api/incidents")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("encoding=latin1"), "{v}");
    let (s, v) = call(&state, upload("/api/incidents?profile=absent")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = call(&state, upload("/api/incidents?encoding=ebcdic")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = call(&state, upload("/api/incidents?profile=polis-vecka")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["accepted"], 35, "{v}");
    assert_eq!(v["profile"], "polis-vecka");
    assert_eq!(
        rejection_lines(&v),
        broken_lines("polisen_export_synthetic_latin1.csv")
    );
    // Without a profile, with the encoding named: recognised headers.
    let (s, v) = call(&state, upload("/api/incidents?encoding=latin1")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["duplicates"], 35, "{v}");
    let (s, _) = call(
        &state,
        Request::delete("/api/profiles/polis-vecka")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(
        &state,
        Request::delete("/api/profiles/polis-vecka")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reporter_uses_only_its_own_partners_profiles() {
    let sb = Sandbox::new();
    let db = sb.db();
    let state = AppState::new(Config::with_db(&db), None);
    let admin = admin_token(&db);
    let store = lagesbild::store::Store::open(&db).unwrap();
    lagesbild::access::put_partner(&store, "kommunen", "Kommunen", true, "test").unwrap();
    let reporter = make_token(&db, "kommunen", lagesbild::access::Role::Reporter);
    let body = json!({"name": "polis", "partner": "polisen", "map": "id=Händelsenummer"});
    let req = |token: &str, body: String| {
        Request::post("/api/profiles")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(body))
            .unwrap()
    };
    let (s, _) = call(&state, req(&reporter, body.to_string())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(&state, req(&admin, body.to_string())).await;
    assert_eq!(s, StatusCode::CREATED);
    let get = |uri: &str| {
        Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {reporter}"))
            .body(Body::empty())
            .unwrap()
    };
    let (_, v) = call(&state, get("/api/profiles")).await;
    assert_eq!(
        v,
        json!([]),
        "the police's profile is not listed for the municipality"
    );
    let (s, _) = call(&state, get("/api/profiles/polis")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let upload = Request::post("/api/incidents?profile=polis")
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::AUTHORIZATION, format!("Bearer {reporter}"))
        .body(Body::from(
            std::fs::read(export("polisen_export_synthetic.csv")).unwrap(),
        ))
        .unwrap();
    let (s, _) = call(&state, upload).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(count(&db), 0);
}

#[test]
fn unmapped_codes_get_one_line_each_and_mappings_let_them_in() {
    let sb = Sandbox::new();
    sb.import_districts();
    let mut csv = String::from("Händelsenummer;Tidpunkt;Brottstyp;Latitud;Longitud\r\n");
    for i in 0..14 {
        csv.push_str(&format!(
            "b{i};2026-11-02 10:00;Bedrägeri via internet;59,2395;17,8453\r\n"
        ));
    }
    csv.push_str("c1;2026-11-02 10:00;0901;59,2395;17,8453\r\n");
    csv.push_str("c2;2026-11-02 10:00;Bedrägeri;59,2395;17,8453\r\n"); // in the catalogue now
    let f = sb.file("v45.csv", csv.as_bytes());
    let out = sb.run(&["ingest", f.to_str().unwrap(), "--partner", "polisen"]);
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Bedrägeri via internet"))
        .collect();
    assert_eq!(lines.len(), 1, "one line for 14 rows: {text}");
    assert!(
        lines[0].contains("'Bedrägeri via internet' (14 rows"),
        "{text}"
    );
    assert!(
        lines[0].contains("lagesbild categories map --partner polisen"),
        "{text}"
    );
    assert!(text.contains("'0901' (1 row,"), "{text}");
    let (_, v) = sb.run_json(&[
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--json",
    ]);
    assert_eq!(v["unmapped_categories"][0]["rows"], 14, "{v}");
    assert_eq!(v["unmapped_categories"][0]["first"]["line"], 2, "{v}");
    // A mapping to an unknown category is refused and stores nothing.
    let out = sb.run(&[
        "categories",
        "map",
        "--partner",
        "polisen",
        "0901=fraud",
        "Bedrägeri via internet=bedrageri",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a category code"),
        "{}",
        stderr(&out)
    );
    let (_, list) = sb.run_json(&["categories", "mappings", "--json"]);
    assert_eq!(list, json!([]));
    // Pairs and a mapping file.
    let m = sb.file("map.csv", "värde;kategori\r\n0901;fraud\r\n".as_bytes());
    let out = sb.run(&[
        "categories",
        "map",
        "--partner",
        "polisen",
        "bedrägeri  VIA internet=fraud",
        "--file",
        m.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (code, v) = sb.run_json(&[
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["accepted"], 15, "{v}");
    assert_eq!(v["duplicates"], 1, "{v}");
    let store = lagesbild::store::Store::open(&sb.db()).unwrap();
    assert_eq!(
        store.incident("polisen", "b3").unwrap().unwrap().category,
        "fraud"
    );
    // Everything again: all duplicates, exit 0, "nothing new".
    let out = sb.run(&["ingest", f.to_str().unwrap(), "--partner", "polisen"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("nothing new"), "{}", stdout(&out));
    // Mappings are per partner: another partner's rows are still refused.
    let g = sb.file(
        "k.csv",
        "id;Tidpunkt;Brottstyp;lat;lon\n1;2026-11-02 10:00;0901;59.2395;17.8453\n".as_bytes(),
    );
    let (code, v) = sb.run_json(&[
        "ingest",
        g.to_str().unwrap(),
        "--partner",
        "kommunen",
        "--json",
    ]);
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["unmapped_categories"][0]["value"], "0901");
    let (_, audit) = sb.run_json(&["audit", "--json", "--action", "categories"]);
    assert_eq!(audit[0]["rows"], 2, "{audit}");
}

/// The week report with the values that name the moment (version, times) removed.
fn week_report(sb: &Sandbox) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for k in ["generated_at", "data_version", "as_of", "seconds"] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let (code, mut v) = sb.run_json(&["report", "week", "2026-W45", "--format", "json"]);
    assert_eq!(code, 0, "{v}");
    strip(&mut v);
    v
}

#[test]
fn deleting_a_batch_puts_every_aggregate_back_and_the_data_is_really_gone() {
    let sb = Sandbox::new();
    sb.import_districts();
    let mut csv = String::from(HEADER);
    for i in 0..60 {
        csv.push_str(&format!(
            "base-{i},2026-11-{:02} 21:15,theft,59.2395,17.8453\n",
            2 + i % 6
        ));
    }
    let a = sb.file("a.csv", csv.as_bytes());
    let (_, v) = ingest(&sb, &a, &["--partner", "polisen"]);
    assert_eq!(v["batch"], 1);
    let before = week_report(&sb);
    let counts = |sb: &Sandbox| {
        let store = lagesbild::store::Store::open(&sb.db()).unwrap();
        let layer = store.layers().unwrap()[0].key;
        let mut c = store.area_counts(layer).unwrap();
        c.sort();
        c
    };
    let counts_before = counts(&sb);
    // A second import with a unique marker in its descriptions.
    let mut more = String::from("id,occurred_at,category,lat,lon,description\n");
    for i in 0..40 {
        more.push_str(&format!(
            "wrong-{i},2026-11-0{} 10:00,assault,59.2475,17.8608,HEMLIGMARKÖR{i:03}\n",
            2 + i % 5
        ));
    }
    let b = sb.file("b.csv", more.as_bytes());
    let (_, v) = ingest(&sb, &b, &["--partner", "polisen"]);
    assert_eq!(
        (v["batch"].as_i64(), v["accepted"].as_i64()),
        (Some(2), Some(40))
    );
    assert_ne!(week_report(&sb), before, "the import shows in the report");
    // An unknown batch: an error, nothing changes.
    let out = sb.run(&["delete", "--batch", "99"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no batch 99"), "{}", stderr(&out));
    assert_eq!(count(&sb.db()), 100);
    // Undo the import.
    let (code, v) = sb.run_json(&["delete", "--batch", "2", "--json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["deleted"], 40);
    assert_eq!(count(&sb.db()), 60);
    assert_eq!(counts(&sb), counts_before);
    assert_eq!(
        week_report(&sb),
        before,
        "every figure is back to before the import"
    );
    // Really gone from the file (secure_delete), except the audit entry.
    let bytes = std::fs::read(sb.db()).unwrap();
    let marker = "HEMLIGMARKÖR".as_bytes();
    assert!(
        !bytes.windows(marker.len()).any(|w| w == marker),
        "deleted text is still in the database file"
    );
    let (_, audit) = sb.run_json(&["audit", "--json", "--action", "incidents.delete"]);
    assert_eq!(audit[0]["rows"], 40);
    assert_eq!(audit[0]["target"], "batch 2");
}

#[test]
fn delete_by_partner_date_and_ids() {
    let sb = Sandbox::new();
    let mut csv = String::from(HEADER);
    for i in 0..20 {
        csv.push_str(&format!(
            "{i},2026-11-{:02} 21:15,theft,59.2395,17.8453\n",
            1 + i
        ));
    }
    let f = sb.file("p.csv", csv.as_bytes());
    ingest(&sb, &f, &["--partner", "polisen"]);
    ingest(&sb, &f, &["--partner", "kommunen"]);
    assert_eq!(count(&sb.db()), 40);
    // Before 2026-11-06 local midnight: days 1-5 of polisen.
    let (code, v) = sb.run_json(&[
        "delete",
        "--partner",
        "polisen",
        "--before",
        "2026-11-06",
        "--json",
    ]);
    assert_eq!((code, v["deleted"].as_i64()), (0, Some(5)), "{v}");
    let ids = sb.file("ids.txt", b"10\n11\n\nabsent\n");
    let (_, v) = sb.run_json(&[
        "delete",
        "--partner",
        "polisen",
        "--ids",
        ids.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["deleted"], 2);
    let store = lagesbild::store::Store::open(&sb.db()).unwrap();
    assert!(store.incident("polisen", "10").unwrap().is_none());
    assert!(store.incident("kommunen", "10").unwrap().is_some());
    assert_eq!(count(&sb.db()), 33);
    let (_, v) = sb.run_json(&["delete", "--partner", "kommunen", "--json"]);
    assert_eq!(v["deleted"], 20);
    // Bad input.
    let empty = sb.file("none.txt", b"\n");
    let out = sb.run(&[
        "delete",
        "--partner",
        "polisen",
        "--ids",
        empty.to_str().unwrap(),
    ]);
    assert!(stderr(&out).contains("no ids"), "{}", stderr(&out));
    let out = sb.run(&["delete", "--partner", "polisen", "--before", "igår"]);
    assert!(stderr(&out).contains("give a date"), "{}", stderr(&out));
    assert!(!sb.run(&["delete"]).status.success());
    assert!(
        !sb.run(&["delete", "--batch", "1", "--partner", "polisen"])
            .status
            .success()
    );
    assert_eq!(count(&sb.db()), 13);
}

#[tokio::test]
async fn admins_delete_over_the_api() {
    let sb = Sandbox::new();
    let state = AppState::new(Config::with_db(sb.db()), None);
    let mut csv = String::from(HEADER);
    for i in 0..10 {
        csv.push_str(&row(i));
    }
    let up = Request::post("/api/incidents")
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let (s, v) = call(&state, up).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let batch = v["batch"].as_i64().unwrap();
    let del = |uri: String| Request::delete(uri).body(Body::empty()).unwrap();
    let (s, _) = call(&state, del("/api/batches/abc".into())).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = call(&state, del("/api/batches/4242".into())).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = call(&state, del(format!("/api/batches/{batch}"))).await;
    assert_eq!(
        (s, v["deleted"].as_i64()),
        (StatusCode::OK, Some(10)),
        "{v}"
    );
    assert_eq!(count(&sb.db()), 0);
    let post = |body: &str| {
        Request::post("/api/incidents/delete")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    for bad in [
        r#"{"partner": "polisen", "everything": true}"#,
        r#"{"partner": "polisen", "before": "yesterday"}"#,
        r#"{"partner": "polisen", "ids": []}"#,
        r#"{"partner": "polisen", "ids": ["1"], "before": "2026-01-01T00:00:00Z"}"#,
        r#"{"partner": "../x"}"#,
        "[]",
    ] {
        let (s, v) = call(&state, post(bad)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    let (s, v) = call(
        &state,
        post(r#"{"partner": "polisen", "before": "2026-01-01T00:00:00Z"}"#),
    )
    .await;
    assert_eq!((s, v["deleted"].as_i64()), (StatusCode::OK, Some(0)), "{v}");
}
