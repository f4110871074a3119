//! Kill an ingest half-way and reopen: what was committed before is intact, the killed
//! batch is either all there or not there at all, and SQLite reports no damage.

use std::io::Write;
use std::time::Duration;

use crate::support::*;

#[test]
fn killed_ingest_leaves_the_store_consistent() {
    let sb = Sandbox::new();
    let first = sb.file(
        "first.csv",
        format!("{HEADER}{}{}", row(1), row(2)).as_bytes(),
    );
    assert!(
        sb.run(&["ingest", first.to_str().unwrap(), "--partner", "polisen"])
            .status
            .success()
    );

    let big_rows = 300_000usize;
    let path = sb.dir.path().join("big.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(HEADER.as_bytes()).unwrap();
        for i in 0..big_rows {
            writeln!(
                f,
                "big-{i},2026-11-{:02} 21:15,theft,{:.6},17.8453",
                1 + i % 20,
                59.2 + (i % 1000) as f64 * 1e-5
            )
            .unwrap();
        }
    }
    let mut child = sb
        .command(&["ingest", path.to_str().unwrap(), "--partner", "kommunen"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the batch is being written (the WAL grows), then SIGKILL mid-transaction.
    let wal = sb.dir.path().join("lagesbild.db-wal");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(&wal).map_or(0, |m| m.len()) < 4 << 20 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the ingest ended before it could be killed"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the ingest never started writing"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let store = lagesbild::store::Store::open(&sb.db()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let n = store.incident_count().unwrap();
    assert!(
        n == 2 || n == 2 + big_rows as i64,
        "a killed batch is all or nothing, found {n}"
    );
    let first_two: Vec<_> = store
        .incidents(None, None)
        .unwrap()
        .into_iter()
        .filter(|s| s.incident.partner == "polisen")
        .collect();
    assert_eq!(first_two.len(), 2);
    drop(store);

    // The same file ingests cleanly afterwards.
    let out = sb.run(&["ingest", path.to_str().unwrap(), "--partner", "kommunen"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(count(&sb.db()), 2 + big_rows as i64);
}
