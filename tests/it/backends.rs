//! The same commands on SQLite and on PostgreSQL + PostGIS give the same answers.
//!
//! `scripts/test` starts a throwaway PostgreSQL cluster and sets `LAGESBILD_TEST_PG_URL`;
//! each test here makes its own database in it.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::support::*;

/// A fresh PostgreSQL database in the test cluster, as a URL.
pub fn pg_database() -> String {
    let base = std::env::var("LAGESBILD_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "LAGESBILD_TEST_PG_URL is not set: run scripts/test (it installs and starts a throwaway PostgreSQL + PostGIS cluster)"
        )
    });
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut admin =
        postgres::Client::connect(&base, postgres::NoTls).expect("connect to the test cluster");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    match base.rfind('/') {
        Some(i) => format!("{}/{name}", &base[..i]),
        None => panic!("LAGESBILD_TEST_PG_URL {base:?} has no database part"),
    }
}

fn run(db: &str, args: &[&str]) -> Output {
    let mut c = Command::new(bin());
    c.arg("--db").arg(db).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("LAGESBILD_") {
            c.env_remove(k);
        }
    }
    c.stdin(Stdio::null()).output().expect("run lagesbild")
}

fn json(db: &str, args: &[&str]) -> Value {
    let out = run(db, args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} on {db}: not JSON ({e}): {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn ok(db: &str, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "{args:?} on {db}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Drops the values that differ by nature between two runs (wall time, import times).
fn stable(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for k in [
                    "seconds",
                    "imported_at",
                    "generated_at",
                    "created_at",
                    "updated_at",
                    "source",
                ] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// Runs one scenario (layers, an ingest with duplicates, conflicts and rejections, a
/// correction-free re-ingest, partners, tokens, interventions, notes, reports) and returns
/// every answer.
fn scenario(db: &str, dir: &Path) -> Vec<(String, Value)> {
    let mut answers = Vec::new();
    let mut keep = |name: &str, v: Value| answers.push((name.to_owned(), stable(v)));
    import_districts(db);
    let mut csv = String::from(HEADER);
    for i in 0..400 {
        csv.push_str(&format!(
            "{i},2026-11-{:02} {:02}:15,{},{:.5},{:.5}\n",
            1 + i % 20,
            i % 24,
            ["theft", "burglary", "assault", "vandalism"][i % 4],
            59.20 + (i % 37) as f64 * 0.002,
            17.78 + (i % 41) as f64 * 0.003
        ));
    }
    csv.push_str("7,2026-11-08 07:15,theft,59.214,17.801\n"); // conflict with row 7
    csv.push_str("3,2026-11-04 03:15,assault,59.206,17.789\n"); // conflict with row 3 (category)
    csv.push_str("x1,not a time,theft,59.2,17.8\n"); // rejected
    csv.push_str("x2,2026-11-05 10:00,theft,10.0,10.0\n"); // outside the region
    let file = dir.join("v45.csv");
    std::fs::write(&file, &csv).unwrap();
    let f = file.to_str().unwrap();
    keep(
        "ingest",
        json(db, &["ingest", f, "--partner", "polisen", "--json"]),
    );
    keep(
        "reingest",
        json(db, &["ingest", f, "--partner", "polisen", "--json"]),
    );
    // The listing ends each line with the import time: keep what comes before it.
    let layers: String = ok(db, &["areas", "list"])
        .lines()
        .map(|l| l.split(" (20").next().unwrap_or(l).to_owned() + "\n")
        .collect();
    keep("areas list", Value::String(layers));
    ok(
        db,
        &[
            "partner", "add", "polisen", "--name", "Polisen", "--shares", "yes",
        ],
    );
    ok(
        db,
        &[
            "partner", "add", "kommunen", "--name", "Kommunen", "--shares", "no",
        ],
    );
    let partners = ok(db, &["partner", "list"]);
    keep("partners", Value::String(partners));
    // Import profiles: stored, listed, used, deleted.
    ok(
        db,
        &[
            "profile",
            "add",
            "polis-vecka",
            "--partner",
            "polisen",
            "--map",
            "id=Händelsenummer,occurred_at=Datum+Klockslag,category=Brottstyp,northing=X,easting=Y",
            "--decimal",
            "comma",
            "--encoding",
            "latin1",
        ],
    );
    ok(
        db,
        &[
            "profile",
            "add",
            "kommun",
            "--partner",
            "kommunen",
            "--map",
            "id=Nr",
            "--crs",
            "EPSG:3006",
        ],
    );
    keep("profiles", json(db, &["profile", "list", "--json"]));
    keep("profile", json(db, &["profile", "show", "polis-vecka"]));
    let export = repo().join("tests/fixtures/ingest/polisen_export_synthetic_latin1.csv");
    let mut with_profile = json(
        db,
        &[
            "ingest",
            export.to_str().unwrap(),
            "--profile",
            "polis-vecka",
            "--json",
        ],
    );
    // PostgreSQL's batch sequence also counts the rolled-back batch of the re-ingest.
    with_profile.as_object_mut().unwrap().remove("batch");
    keep("ingest with a profile", with_profile);
    ok(db, &["profile", "delete", "kommun"]);
    assert!(!run(db, &["profile", "delete", "kommun"]).status.success());
    keep(
        "profiles after delete",
        json(db, &["profile", "list", "--json"]),
    );
    ok(
        db,
        &[
            "categories",
            "map",
            "--partner",
            "polisen",
            "Bedrägeri via internet=fraud",
            "0901=fraud",
            "Olaga hot=unlawful_threat",
        ],
    );
    ok(
        db,
        &["categories", "map", "--partner", "kommunen", "A1=graffiti"],
    );
    ok(
        db,
        &["categories", "map", "--partner", "polisen", "0901=theft"],
    );
    keep(
        "category mappings",
        json(db, &["categories", "mappings", "--json"]),
    );
    keep(
        "category mappings of one partner",
        json(
            db,
            &["categories", "mappings", "--partner", "kommunen", "--json"],
        ),
    );
    let token = ok(
        db,
        &[
            "token",
            "create",
            "--partner",
            "polisen",
            "--role",
            "analyst",
        ],
    );
    assert!(token.contains("lgb_"), "{token}");
    ok(
        db,
        &[
            "interventions",
            "add",
            "--kind",
            "patrol",
            "--partner",
            "polisen",
            "--area",
            "districts:alby",
            "--start",
            "2026-11-01",
            "--end",
            "2026-11-30",
        ],
    );
    keep(
        "interventions",
        json(db, &["interventions", "list", "--json"]),
    );
    ok(
        db,
        &[
            "report",
            "notes",
            "2026-W45",
            "--text",
            "Beslut: fler kvällspatruller",
        ],
    );
    keep(
        "week report",
        json(db, &["report", "week", "2026-W45", "--format", "json"]),
    );
    keep(
        "tertial report",
        json(db, &["report", "tertial", "2026-T3", "--format", "json"]),
    );
    // Deletion: a list of ids, then what happened before a date.
    let ids = dir.join("ids.txt");
    std::fs::write(&ids, "1\n2\nabsent\n").unwrap();
    keep(
        "delete ids",
        json(
            db,
            &[
                "delete",
                "--partner",
                "polisen",
                "--ids",
                ids.to_str().unwrap(),
                "--json",
            ],
        ),
    );
    keep(
        "delete before",
        json(
            db,
            &[
                "delete",
                "--partner",
                "polisen",
                "--before",
                "2026-11-03",
                "--json",
            ],
        ),
    );
    keep(
        "week report after deletion",
        json(db, &["report", "week", "2026-W45", "--format", "json"]),
    );
    let audit = json(db, &["audit", "--json"]);
    let actions: Vec<Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            // Batch numbers differ after a rolled-back batch: PostgreSQL sequences do not
            // roll back.
            let detail = e["detail"].to_string();
            let detail = match (detail.find("batch "), detail.find(':')) {
                (Some(b), Some(c)) if b < c && detail[b + 6..c].parse::<i64>().is_ok() => {
                    format!("{}batch N{}", &detail[..b], &detail[c..])
                }
                _ => detail,
            };
            Value::from(format!("{} {} {detail}", e["action"], e["rows"]))
        })
        .collect();
    keep("audit", Value::Array(actions));
    answers
}

#[test]
fn sqlite_and_postgres_give_the_same_answers() {
    let sb = Sandbox::new();
    let sqlite = sb.db().to_str().unwrap().to_owned();
    let pg = pg_database();
    let a = scenario(&sqlite, sb.dir.path());
    let b = scenario(&pg, sb.dir.path());
    assert_eq!(a.len(), b.len());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert_eq!(x, y, "{name} differs between SQLite and PostgreSQL");
    }
    // The scenario is not empty: the ingest stored rows and rejected the bad ones.
    let ingest = &a[0].1;
    assert_eq!(ingest["accepted"], 400, "{ingest}");
    assert_eq!(ingest["outside"], 93, "{ingest}");
    assert_eq!(
        ingest["rejected"], 4,
        "two conflicts, a bad time, a point outside: {ingest}"
    );
    assert_eq!(a[1].1["duplicates"], 400, "a re-import changes nothing");
    assert_eq!(a[1].1["accepted"], 0);
}

#[test]
fn postgres_keeps_the_audit_log_append_only_and_locations_in_postgis() {
    let pg = pg_database();
    let sb = Sandbox::new();
    sb.file("a.csv", format!("{HEADER}{}{}", row(1), row(2)).as_bytes());
    ok(
        &pg,
        &[
            "ingest",
            sb.dir.path().join("a.csv").to_str().unwrap(),
            "--partner",
            "polisen",
        ],
    );
    let mut c = postgres::Client::connect(&pg, postgres::NoTls).unwrap();
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM incidents WHERE ST_Intersects(geom, ST_MakeEnvelope(17.84, 59.23, 17.85, 59.24, 4326))",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    let audited: i64 = c
        .query_one("SELECT count(*) FROM audit", &[])
        .unwrap()
        .get(0);
    assert_eq!(audited, 1);
    for sql in [
        "UPDATE audit SET rows = 0",
        "DELETE FROM audit",
        "TRUNCATE audit",
    ] {
        let e = c.batch_execute(sql).unwrap_err();
        assert!(
            e.to_string().contains("append-only") || format!("{e:?}").contains("append-only"),
            "{sql}: {e:?}"
        );
    }
    // A newer schema is refused with the fix.
    c.batch_execute("UPDATE schema_version SET version = 99")
        .unwrap();
    let out = run(&pg, &["areas", "list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("upgrade lagesbild"));
}

#[test]
fn a_postgres_url_with_a_wrong_password_or_host_fails_clearly_without_leaking_it() {
    let out = run(
        "postgres://lagesbild:s3cret@127.0.0.1:1/nowhere",
        &["areas", "list"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot open the database"), "{err}");
    assert!(
        !err.contains("s3cret"),
        "the password reached the message: {err}"
    );
}

/// `GET path` with a bearer token over a fresh connection: status and body.
fn get(addr: &str, path: &str, token: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

/// Imports the Botkyrka demo districts (with population) as layer `districts` into `db`.
pub fn import_districts(db: &str) {
    let districts = districts_path();
    ok(
        db,
        &[
            "areas",
            "import",
            districts.to_str().unwrap(),
            "--layer",
            "districts",
            "--id-field",
            "id",
            "--name-field",
            "name",
            "--population-field",
            "population",
        ],
    );
}

/// Adds partner `polisen` to the database at `db` and returns a new analyst token of it.
pub fn analyst_token(db: &str) -> String {
    ok(
        db,
        &[
            "partner", "add", "polisen", "--name", "Polisen", "--shares", "yes",
        ],
    );
    ok(
        db,
        &[
            "token",
            "create",
            "--partner",
            "polisen",
            "--role",
            "analyst",
        ],
    )
    .split_whitespace()
    .find(|w| w.starts_with("lgb_"))
    .expect("the token is printed")
    .to_owned()
}

/// Processes (servers, nginx) killed and reaped on drop, also when an assertion fails.
pub struct Killed(pub Vec<std::process::Child>);

impl Drop for Killed {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `lagesbild serve` on `db` (no demo) on a free loopback port: the process and its address.
pub fn serve_on(db: &str) -> (std::process::Child, String) {
    let mut c = Command::new(bin());
    c.arg("--db")
        .arg(db)
        .args(["serve", "--bind", "127.0.0.1:0", "--no-demo"]);
    for (k, _) in std::env::vars() {
        if k.starts_with("LAGESBILD_") {
            c.env_remove(k);
        }
    }
    crate::audit_crash::start_command(c)
}

/// Two servers on one PostgreSQL database: an upload through one is answered by the
/// other within a second, and both serve the same areas.
#[test]
fn two_servers_on_one_postgres_database_see_each_others_uploads() {
    let pg = pg_database();
    let sb = Sandbox::new();
    import_districts(&pg);
    sb.file(
        "seed.csv",
        format!("{HEADER}{}{}", row(1), row(2)).as_bytes(),
    );
    ok(
        &pg,
        &[
            "ingest",
            sb.dir.path().join("seed.csv").to_str().unwrap(),
            "--partner",
            "polisen",
        ],
    );
    let token = analyst_token(&pg);
    let (a, addr_a) = serve_on(&pg);
    let (b, addr_b) = serve_on(&pg);
    let _servers = Killed(vec![a, b]);
    let incidents = |addr: &str| -> i64 {
        let (status, body) = get(addr, "/health", &token);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()["incidents"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(incidents(&addr_a), 2);
    assert_eq!(incidents(&addr_b), 2);
    let (status, body) = get(
        &addr_b,
        "/api/areas?layer=districts&window=2026-W45",
        &token,
    );
    assert_eq!(status, 200, "{body}");
    let areas_b: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(areas_b["features"].as_array().unwrap().len(), 6);
    // Upload three incidents through A.
    let csv: String = std::iter::once(HEADER.to_owned())
        .chain((10..13).map(row))
        .collect();
    let status =
        crate::audit_crash::exchange(&addr_a, "POST", "/api/incidents", &token, "text/csv", &csv);
    assert_eq!(status, Some(200));
    let uploaded = std::time::Instant::now();
    loop {
        if incidents(&addr_b) == 5 {
            break;
        }
        assert!(
            uploaded.elapsed() < std::time::Duration::from_secs(1),
            "server B did not see A's upload within a second"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // And B answers the upload's week from the new data.
    let (status, body) = get(
        &addr_b,
        "/api/areas?layer=districts&window=2026-W46",
        &token,
    );
    assert_eq!(status, 200, "{body}");
}

/// Actions (status, owner, goal, decision, hotspot, open end, closing) and note versions
/// through the store interface: the same calls on SQLite and PostgreSQL give the same
/// answers, and refusals store nothing on either.
#[test]
fn actions_and_note_versions_are_the_same_on_both_backends() {
    use lagesbild::intervention::{ActionInput, CloseInput};
    use lagesbild::store::{NoteVersion, Store};
    let sb = Sandbox::new();
    let run_on = |db: &str| -> Vec<Value> {
        ok(
            db,
            &[
                "areas",
                "import",
                districts_path().to_str().unwrap(),
                "--layer",
                "districts",
                "--id-field",
                "id",
                "--name-field",
                "name",
            ],
        );
        let store = Store::open(std::path::Path::new(db)).unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let mut out = Vec::new();
        let mut keep = |v: Value| out.push(stable(v));
        let walk = json!({"kind": "dialogue", "partner": "kommunen",
            "target": {"type": "area", "layer": "districts", "id": "alby"},
            "start": "2026-12-01", "responsible": "Samordnaren", "goal": "Tryggare centrum",
            "decided_at": "2026-W49",
            "hotspot": {"type": "hexes", "cells": ["891f1d48a3bffff"]}});
        let (spec, action) = ActionInput::from_value(walk.clone())
            .unwrap()
            .validate(&[], today)
            .unwrap();
        let a = store.add_action(&spec, &action).unwrap();
        keep(serde_json::to_value(&a).unwrap());
        // An open end overlaps a later duplicate; a cancelled one does not block.
        let mut later = walk.clone();
        later["start"] = json!("2027-03-01");
        let (spec2, action2) = ActionInput::from_value(later.clone())
            .unwrap()
            .validate(&[], today)
            .unwrap();
        let dup = store.add_action(&spec2, &action2).unwrap_err().to_string();
        keep(Value::from(dup));
        later["status"] = json!("cancelled");
        let (spec3, action3) = ActionInput::from_value(later)
            .unwrap()
            .validate(&[], today)
            .unwrap();
        keep(serde_json::to_value(store.add_action(&spec3, &action3).unwrap()).unwrap());
        // Unknown hotspot area: refused, nothing stored.
        let mut bad = walk.clone();
        bad["hotspot"] = json!({"type": "area", "layer": "districts", "id": "atlantis"});
        let (spec4, action4) = ActionInput::from_value(bad)
            .unwrap()
            .validate(&[], today)
            .unwrap();
        keep(Value::from(
            store.add_action(&spec4, &action4).unwrap_err().to_string(),
        ));
        // Closing.
        let (mut s, mut ac) = (a.spec.clone(), a.action.clone());
        CloseInput {
            outcome: Some("Genomförd".into()),
            ..CloseInput::default()
        }
        .apply(&mut s, &mut ac, today)
        .unwrap();
        keep(serde_json::to_value(store.update_action(a.id, &s, Some(&ac)).unwrap()).unwrap());
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        keep(
            serde_json::to_value(
                store
                    .interventions_overlapping(d("2026-12-07"), d("2026-12-13"))
                    .unwrap(),
            )
            .unwrap(),
        );
        keep(serde_json::to_value(store.interventions().unwrap()).unwrap());
        // Note versions, newest first; a notes version is the current notes.
        let audit = lagesbild::model::access::AuditEntry::by_cli("test", "notes.save", "x", 1);
        for (section, partner, text) in [
            ("notes", "polisen", "Anteckningar"),
            ("partner", "polisen", "Från polisen"),
            ("partner", "kommunen", "Från kommunen"),
            ("notes", "kommunen", "Anteckningar 2"),
        ] {
            let v = NoteVersion {
                section: section.into(),
                partner: partner.into(),
                author: format!("{partner} analytiker"),
                saved_at: "2026-12-07T10:00:00Z".into(),
                text: text.into(),
            };
            store.save_report_note("2026-W49", "", &v, &audit).unwrap();
        }
        keep(serde_json::to_value(store.report_note_versions("2026-W49", "").unwrap()).unwrap());
        keep(serde_json::to_value(store.report_notes("2026-W49", "").unwrap()).unwrap());
        out
    };
    let a = run_on(sb.db().to_str().unwrap());
    let b = run_on(&pg_database());
    assert_eq!(a, b);
    assert_eq!(a[0]["status"], "active");
    assert_eq!(a[0]["end"], Value::Null);
    assert!(
        a[1].as_str().unwrap().contains("already registers"),
        "{}",
        a[1]
    );
    assert_eq!(a[2]["status"], "cancelled");
    assert!(a[3].as_str().unwrap().starts_with("hotspot:"), "{}", a[3]);
    assert_eq!(a[4]["status"], "done");
    assert_eq!(a[4]["end"], "2026-12-07");
    assert_eq!(
        a[5].as_array().unwrap().len(),
        1,
        "cancelled ones start later"
    );
    assert_eq!(a[6].as_array().unwrap().len(), 2);
    assert_eq!(a[7].as_array().unwrap().len(), 4);
    assert_eq!(a[7][0]["text"], "Anteckningar 2");
    assert_eq!(a[8]["text"], "Anteckningar 2");
}

/// One HTTP/1.1 request over a fresh connection: status, the response head, and the body.
fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    write!(s, "{head}Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (status, head.to_owned(), body.to_owned())
}

/// Two servers on one PostgreSQL database share sign-in sessions (made through one, used
/// and ended through the other) and the login rate limit.
#[test]
fn two_servers_on_one_postgres_database_share_sessions_and_rate_limits() {
    let pg = pg_database();
    let token = analyst_token(&pg);
    let (a, addr_a) = serve_on(&pg);
    let (b, addr_b) = serve_on(&pg);
    let _servers = Killed(vec![a, b]);
    let json_ct = ("Content-Type", "application/json");
    // Sign in through A.
    let (status, head, body) = request(
        &addr_a,
        "POST",
        "/api/login",
        &[json_ct],
        &format!(r#"{{"token": "{token}"}}"#),
    );
    assert_eq!(status, 200, "{body}");
    let cookie = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or(l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let csrf = serde_json::from_str::<Value>(&body).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The session works through B, with the same CSRF token.
    let (status, _, body) = request(&addr_b, "GET", "/api/me", &[("Cookie", &cookie)], "");
    assert_eq!(status, 200, "{body}");
    let me: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(me["role"], "analyst");
    assert_eq!(me["csrf_token"], csrf.as_str());
    // Sign out through B: within the credential cache's 2 s, A refuses the cookie too.
    let (status, _, body) = request(
        &addr_b,
        "POST",
        "/api/logout",
        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
        "",
    );
    assert_eq!(status, 204, "{body}");
    let ended = std::time::Instant::now();
    loop {
        let (status, _, _) = request(&addr_a, "GET", "/api/me", &[("Cookie", &cookie)], "");
        if status == 401 {
            break;
        }
        assert!(
            ended.elapsed() < std::time::Duration::from_secs(4),
            "server A still accepts a session ended through B"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The login limit (10 a minute per address) counts attempts through both servers. Two
    // logins were made above (or one, if a minute boundary fell between): alternate until
    // one is refused; it must happen by the 11th attempt of the minute, and the refusal
    // says when to try again.
    let into_minute = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if into_minute > 45 {
        // Start in a fresh window, so that no window boundary falls among the attempts.
        std::thread::sleep(std::time::Duration::from_secs(61 - into_minute));
    }
    let mut refused = None;
    for i in 0..12 {
        let addr = if i % 2 == 0 { &addr_a } else { &addr_b };
        let (status, head, _) = request(
            addr,
            "POST",
            "/api/login",
            &[json_ct],
            r#"{"token": "lgb_wrong"}"#,
        );
        if status == 429 {
            refused = Some((i, head));
            break;
        }
        assert_eq!(status, 401);
    }
    let (attempt, head) = refused.expect("the login limit held across both servers");
    assert!(attempt <= 10, "refused only after {attempt} attempts");
    assert!(head.to_ascii_lowercase().contains("retry-after:"), "{head}");
}

/// `migrate` copies the demo SQLite → PostgreSQL → SQLite, checks every table, and the
/// reports of the copies equal the original's; a second copy into the now filled database
/// is refused.
#[test]
fn migrate_round_trip_sqlite_postgres_sqlite_keeps_every_report() {
    let src = demo_db().db();
    let src = src.to_str().unwrap();
    let pg = pg_database();
    let sb = Sandbox::new();
    let back = sb.dir.path().join("back.db");
    let back = back.to_str().unwrap();
    let to_pg = json(src, &["migrate", "--to", &pg, "--json"]);
    assert_eq!(to_pg["identical"], true, "{to_pg}");
    let tables = to_pg["tables"].as_array().unwrap();
    let rows = |name: &str| {
        tables.iter().find(|t| t["table"] == name).unwrap()["rows"]
            .as_u64()
            .unwrap()
    };
    assert!(rows("incidents") > 10_000, "{to_pg}");
    assert!(rows("incident_areas") > 10_000, "{to_pg}");
    assert!(rows("areas") >= 6, "{to_pg}");
    let to_sqlite = json(&pg, &["migrate", "--to", back, "--json"]);
    assert_eq!(to_sqlite["identical"], true, "{to_sqlite}");
    // The same checksums both ways: nothing changed on the trip.
    for (a, b) in tables.iter().zip(to_sqlite["tables"].as_array().unwrap()) {
        assert_eq!(a["checksum"], b["checksum"], "{} changed", a["table"]);
    }
    let as_of = "--as-of=2026-11-23T00:00:00Z";
    for args in [
        ["report", "week", "2026-W46", "--format", "json", as_of],
        ["report", "tertial", "2026-T3", "--format", "json", as_of],
    ] {
        let want = stable(json(src, &args));
        assert_eq!(stable(json(&pg, &args)), want, "{args:?} on PostgreSQL");
        assert_eq!(
            stable(json(back, &args)),
            want,
            "{args:?} after the round trip"
        );
    }
    let again = run(src, &["migrate", "--to", &pg]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("not empty"), "{err}");
    // A backup of the copy is a consistent SQLite file with the same content.
    let copy = sb.dir.path().join("backup.db");
    ok(back, &["backup", copy.to_str().unwrap()]);
    let check = json(
        copy.to_str().unwrap(),
        &["migrate", "--to", &pg_database(), "--json"],
    );
    assert_eq!(check["identical"], true);
    for (a, b) in tables.iter().zip(check["tables"].as_array().unwrap()) {
        assert_eq!(
            a["checksum"], b["checksum"],
            "{} differs in the backup",
            a["table"]
        );
    }
    let refused = run(&pg, &["backup", copy.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_dump"));
}

/// GDAL's PostgreSQL driver reads the GIS views with a role that `gis grant` allowed, and
/// that role is refused the incident table.
#[test]
fn gdal_reads_the_gis_views_with_a_read_only_role_that_cannot_read_incidents() {
    let pg = pg_database();
    let sb = Sandbox::new();
    import_districts(&pg);
    sb.file(
        "rows.csv",
        format!("{HEADER}{}", (0..40).map(row).collect::<String>()).as_bytes(),
    );
    ok(
        &pg,
        &[
            "ingest",
            sb.dir.path().join("rows.csv").to_str().unwrap(),
            "--partner",
            "polisen",
        ],
    );
    let r = json(
        &pg,
        &[
            "gis", "refresh", "--weeks", "4", "--to", "2026-W47", "--json",
        ],
    );
    assert_eq!(
        r["weeks"],
        serde_json::json!(["2026-W44", "2026-W45", "2026-W46", "2026-W47"])
    );
    assert!(r["hex_rows"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["area_rows"], 4 * 6, "{r}");
    // A login role for QGIS, allowed the views only.
    let role = format!(
        "gis_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let base = std::env::var("LAGESBILD_TEST_PG_URL").unwrap();
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE ROLE {role} LOGIN"))
        .unwrap();
    ok(&pg, &["gis", "grant", &role]);
    let refused = run(&pg, &["gis", "grant", "no_such_role_x"]);
    assert!(!refused.status.success());
    let hostport = base
        .split('@')
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap();
    let (host, port) = hostport.split_once(':').unwrap();
    let dbname = pg.rsplit('/').next().unwrap();
    let conn = format!("PG:host={host} port={port} dbname={dbname} user={role}");
    let ogrinfo = |args: &[&str]| {
        Command::new("ogrinfo")
            .args(args)
            .output()
            .expect("ogrinfo (gdal-bin; scripts/test installs it)")
    };
    // The views are listed as layers and read with their geometries. (Table names are in
    // the catalogue every role can read; `schemas=lagesbild_gis` lists the views only.)
    let out = ogrinfo(&["-ro", "-q", &format!("{conn} schemas=lagesbild_gis")]);
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(listing.contains("area_weeks"), "{listing}");
    assert!(listing.contains("hex_weeks"), "{listing}");
    assert!(
        !listing.contains("incidents"),
        "the role sees the incident table: {listing}"
    );
    let out = ogrinfo(&[
        "-ro",
        "-q",
        &conn,
        "-sql",
        "SELECT sum(incidents) AS n, count(*) AS rows FROM lagesbild_gis.area_weeks WHERE week = '2026-W46'",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same week through the analysis: the views hold an analyst's numbers.
    let areas = json(
        &pg,
        &[
            "report",
            "week",
            "2026-W46",
            "--format",
            "json",
            "--as-of=2026-12-01T00:00:00Z",
        ],
    );
    let total = areas["totals"]["count"]
        .as_f64()
        .or_else(|| areas["totals"]["current"].as_f64());
    assert!(
        text.contains("rows (Integer") || text.contains("rows (Integer64"),
        "{text}"
    );
    assert!(
        text.contains("rows (Integer64) = 6") || text.contains("rows (Integer) = 6"),
        "{text}"
    );
    if let Some(total) = total {
        assert!(
            text.contains(&format!("n (Real) = {total}")),
            "{text} vs {total}"
        );
    }
    let out = ogrinfo(&[
        "-ro",
        "-q",
        &conn,
        "lagesbild_gis.hex_weeks",
        "-where",
        "incidents > 0",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("POLYGON (("), "{text}");
    // The incident table is refused.
    let out = ogrinfo(&["-ro", "-q", &conn, "-sql", "SELECT * FROM incidents"]);
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase()
        + &String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(err.contains("permission denied"), "{err}");
    // SQLite has no GIS views and says what to use instead.
    let lite = sb.db();
    let out = run(lite.to_str().unwrap(), &["gis", "refresh"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/ogc"));
}

/// On PostgreSQL a server hears another process's commit at once (LISTEN/NOTIFY on the data
/// version), rather than at its next poll.
#[test]
fn postgres_tells_a_listener_of_every_new_data_version() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let pg = pg_database();
    let store = lagesbild::store::Store::open(Path::new(&pg)).unwrap();
    let heard = Arc::new(AtomicUsize::new(0));
    let h = heard.clone();
    assert!(
        store
            .watch_data_version(Arc::new(move || {
                h.fetch_add(1, Ordering::SeqCst);
            }))
            .unwrap()
    );
    // Give the LISTEN connection a moment to be set up before the commit.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let sb = Sandbox::new();
    sb.file("a.csv", format!("{HEADER}{}", row(1)).as_bytes());
    ok(
        &pg,
        &[
            "ingest",
            sb.dir.path().join("a.csv").to_str().unwrap(),
            "--partner",
            "polisen",
        ],
    );
    let t = std::time::Instant::now();
    while heard.load(Ordering::SeqCst) == 0 {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(2),
            "no notification of the ingest's data version"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // SQLite has no notifications; its readers poll.
    let lite = lagesbild::store::Store::open(&sb.db()).unwrap();
    assert!(!lite.watch_data_version(Arc::new(|| {})).unwrap());
}
