//! Kill the real server while it takes uploads and corrections, 20 times: every committed
//! change has its audit row, and no audit row lacks its change (issue 16, item 3).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::{Duration, Instant};

use lagesbild::access::Role;
use lagesbild::model::access::AuditFilter;
use lagesbild::store::Store;

use crate::support::*;

const ROUNDS: usize = 20;

/// Starts `serve` and returns it with its address.
pub fn start(sb: &Sandbox) -> (Child, String) {
    start_command(sb.command(&["serve", "--bind", "127.0.0.1:0", "--no-demo"]))
}

/// Starts a prepared `serve` command and returns it with its address.
pub fn start_command(mut command: std::process::Command) -> (Child, String) {
    let mut child = command
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server exited early");
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    (child, addr)
}

/// One HTTP/1.1 exchange; `None` when the connection broke (the server was killed).
pub fn exchange(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    ctype: &str,
    body: &str,
) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.get(9..12)?.parse().ok()
}

fn correction(desc: &str) -> String {
    serde_json::json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [17.8453, 59.2395]},
        "properties": {"category": "theft", "occurred_at": "2026-11-02T21:15:00+01:00", "description": desc}
    })
    .to_string()
}

#[test]
fn every_committed_change_has_its_audit_row_after_kills() {
    let sb = Sandbox::new();
    sb.import_districts();
    let seed = sb.file("seed.csv", format!("{HEADER}{}", row(1)).as_bytes());
    let out = sb.run(&["ingest", seed.to_str().unwrap(), "--partner", "polisen"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let uploader = make_token(&sb.db(), "kommunen", Role::Reporter);
    let corrector = make_token(&sb.db(), "polisen", Role::Reporter);
    let mut next_row = 1000usize;
    let mut fix = 0usize;
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..ROUNDS {
        let (mut child, addr) = start(&sb);
        // Kill after 150-650 ms of traffic, while requests are in flight.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let kill_after = Duration::from_millis(150 + rng % 500);
        let started = Instant::now();
        let killer = {
            let pid = child.id() as i32;
            std::thread::spawn(move || {
                std::thread::sleep(kill_after);
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            })
        };
        let upload_addr = addr.clone();
        let upload_token = uploader.clone();
        let first = next_row;
        let uploads = std::thread::spawn(move || {
            let mut n = first;
            for _ in 0..25 {
                let body: String = std::iter::once(HEADER.to_owned())
                    .chain((n..n + 50).map(row))
                    .collect();
                n += 50;
                if exchange(
                    &upload_addr,
                    "POST",
                    "/api/incidents",
                    &upload_token,
                    "text/csv",
                    &body,
                )
                .is_none()
                {
                    break;
                }
            }
            n
        });
        // Corrections, one at a time: fix-1, fix-2, ... of polisen's incident "1".
        while started.elapsed() < kill_after + Duration::from_millis(100) {
            let status = exchange(
                &addr,
                "PUT",
                "/api/my/incidents/1",
                &corrector,
                "application/geo+json",
                &correction(&format!("fix-{}", fix + 1)),
            );
            match status {
                Some(200) => fix += 1,
                // The per-token rate limit (30 a minute) ends this round's corrections.
                Some(429) => break,
                Some(other) => panic!("round {round}: correction answered {other}"),
                None => break,
            }
        }
        next_row = uploads.join().unwrap();
        killer.join().unwrap();
        child.wait().unwrap();

        let store = Store::open(&sb.db()).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok");
        check_audit(&store, round);
        // A correction acknowledged or not: the stored text tells how many committed.
        let stored = store.incident("polisen", "1").unwrap().unwrap();
        let committed: usize = stored
            .description
            .as_deref()
            .and_then(|d| d.strip_prefix("fix-"))
            .map_or(0, |k| k.parse().unwrap());
        assert!(
            committed >= fix,
            "round {round}: an acknowledged correction was lost"
        );
        fix = committed;
        let corrections = store
            .audit_entries(&AuditFilter {
                action: Some("incident.correct".into()),
                limit: 100_000,
                ..AuditFilter::default()
            })
            .unwrap();
        assert_eq!(
            corrections.len(),
            committed,
            "round {round}: {committed} corrections committed, {} audited",
            corrections.len()
        );
    }
}

/// Every batch with stored incidents has exactly one `ingest` audit row naming it, and every
/// `ingest` audit row that names a batch names a stored one.
fn check_audit(store: &Store, round: usize) {
    let ingests = store
        .audit_entries(&AuditFilter {
            action: Some("ingest".into()),
            limit: 1_000_000,
            ..AuditFilter::default()
        })
        .unwrap();
    let audited: std::collections::BTreeMap<i64, usize> = ingests
        .iter()
        .filter_map(|e| {
            e.detail
                .strip_prefix("batch ")?
                .split(':')
                .next()?
                .parse::<i64>()
                .ok()
        })
        .fold(Default::default(), |mut m, b| {
            *m.entry(b).or_default() += 1;
            m
        });
    for (batch, n) in &audited {
        assert_eq!(*n, 1, "round {round}: batch {batch} audited {n} times");
    }
    let stored_batches = store.ingest_batches().unwrap();
    for b in &stored_batches {
        assert!(
            audited.contains_key(b),
            "round {round}: batch {b} was committed without its audit row"
        );
    }
    for b in audited.keys() {
        assert!(
            stored_batches.contains(b),
            "round {round}: batch {b} is audited but not stored"
        );
    }
}
