//! The database goes away during an ingest through the server (PostgreSQL): the client gets
//! an error, nothing half-written is stored, `/health` answers 503 while the database is
//! away, and the server recovers by itself when it is back.
//!
//! The outage is made on this test's own database only (the test cluster is shared by
//! parallel tests): its server connections are terminated (`pg_terminate_backend`, what a
//! database crash or restart looks like to a client) and new connections refused
//! (`ALLOW_CONNECTIONS false`) until the test lets them in again.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::backends::{Killed, analyst_token, import_districts, pg_database, serve_on};
use crate::support::*;

fn admin_client() -> postgres::Client {
    let base = std::env::var("LAGESBILD_TEST_PG_URL").expect("LAGESBILD_TEST_PG_URL");
    postgres::Client::connect(&base, postgres::NoTls).expect("connect to the test cluster")
}

fn health(addr: &str) -> (u16, Value) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[test]
fn losing_the_database_during_an_ingest_stores_nothing_half_and_the_server_recovers() {
    let pg = pg_database();
    let name = pg.rsplit('/').next().unwrap().to_owned();
    import_districts(&pg);
    let token = analyst_token(&pg);
    let (server, addr) = serve_on(&pg);
    let _server = Killed(vec![server]);
    assert_eq!(health(&addr).0, 200);

    // A large upload (300,000 rows), and the database goes away while it is written.
    let csv: String = std::iter::once(HEADER.to_owned())
        .chain((0..300_000).map(row))
        .collect();
    let upload = {
        let (addr, token) = (addr.clone(), token.clone());
        std::thread::spawn(move || {
            crate::audit_crash::exchange(&addr, "POST", "/api/incidents", &token, "text/csv", &csv)
        })
    };
    let mut admin = admin_client();
    let started = Instant::now();
    loop {
        let busy: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle' AND query ILIKE '%incidents%'",
                &[&name],
            )
            .unwrap()
            .get(0);
        if busy > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the ingest never reached the database"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    admin
        .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .unwrap();
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            &[&name],
        )
        .unwrap();
    let status = upload.join().unwrap();
    assert!(
        matches!(status, Some(500..=599)),
        "the client must get an error, got {status:?}"
    );
    assert_eq!(status, Some(503), "a lost database is 503 (retry), not 500");

    // While the database is away: /health says so.
    let (status, body) = health(&addr);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable");

    // Back: the server recovers by itself, with nothing of the broken ingest stored.
    admin
        .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .unwrap();
    let back = Instant::now();
    let body = loop {
        let (status, body) = health(&addr);
        if status == 200 {
            break body;
        }
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "the server did not recover: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(body["incidents"], 0, "half an ingest was stored: {body}");
    let mut db = postgres::Client::connect(&pg, postgres::NoTls).unwrap();
    let batches: i64 = db
        .query_one("SELECT count(*) FROM batches", &[])
        .unwrap()
        .get(0);
    assert_eq!(batches, 0, "a batch of the broken ingest was stored");
    let small: String = std::iter::once(HEADER.to_owned())
        .chain((0..3).map(row))
        .collect();
    let status =
        crate::audit_crash::exchange(&addr, "POST", "/api/incidents", &token, "text/csv", &small);
    assert_eq!(status, Some(200));
    assert_eq!(health(&addr).1["incidents"], 3);
}
