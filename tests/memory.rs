//! Memory bounds of streaming ingest, measured on the real binary.
//!
//! This is a test binary of its own (not part of `tests/it`) on purpose: the peak RSS of a
//! child process is read with `getrusage(RUSAGE_CHILDREN)`, which reports the largest child
//! this process has waited for. In the shared integration binary, other tests' children
//! (demo loads, big ingests with a 128 MiB page cache) would be measured too.

use std::io::Write;
use std::process::{Command, Stdio};

const HEADER: &str = "id,occurred_at,category,lat,lon\n";

fn lagesbild(db: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lagesbild"));
    c.arg("--db").arg(db);
    for (k, _) in std::env::vars() {
        if k.starts_with("LAGESBILD_") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn stdin_streams_and_memory_stays_bounded() {
    // 400,000 rows (~25 MB) through a pipe, every one rejected (unknown category) so the
    // test measures reading, not SQLite: detail is capped, counts are exact.
    let dir = tempfile::tempdir().unwrap();
    let mut child = lagesbild(&dir.path().join("t.db"))
        .args(["ingest", "-", "--partner", "polisen", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut buf = std::io::BufWriter::new(&mut stdin);
        buf.write_all(HEADER.as_bytes()).unwrap();
        for i in 0..400_000 {
            writeln!(buf, "{i},2026-11-20 10:00,unknown_thing,59.2395,17.8453").unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rejected"], 400_000);
    assert_eq!(v["rejections"].as_array().unwrap().len(), 1000);
    assert_eq!(v["rejections_truncated"], true);
    assert!(
        max_child_rss_mib() < 200.0,
        "peak RSS {} MiB",
        max_child_rss_mib()
    );
}

#[test]
fn a_2_gb_file_is_streamed_and_a_runaway_record_stops_it() {
    // A sparse 2 GiB file: 100 valid rows, then zeros (no newline) to the end. Reading it
    // whole would need 2 GiB; streaming stops at the 1 MiB record limit, stores nothing.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let mut text = String::from(HEADER);
    for i in 0..100 {
        text.push_str(&format!(
            "{i},2026-11-{:02} 21:15,theft,59.2395,17.8453\n",
            1 + i % 20
        ));
    }
    let path = dir.path().join("huge.csv");
    std::fs::write(&path, text).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(2 << 30).unwrap();
    drop(f);
    let out = lagesbild(&db)
        .args(["ingest", path.to_str().unwrap(), "--partner", "polisen"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("row 101 (line 102)") && err.contains("longer than"),
        "{err}"
    );
    assert_eq!(
        lagesbild::store::Store::open(&db)
            .unwrap()
            .incident_count()
            .unwrap(),
        0
    );
    assert!(
        max_child_rss_mib() < 200.0,
        "peak RSS {} MiB",
        max_child_rss_mib()
    );
}

/// The largest peak RSS of any child process this test binary has waited for (an upper
/// bound for the one just run).
fn max_child_rss_mib() -> f64 {
    use nix::sys::resource::{UsageWho, getrusage};
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    usage.max_rss() as f64 / 1024.0
}
