//! The partner report form in real headless Chromium against the real binary: a reporter
//! (on a phone-sized screen) signs in, files a report by tapping the map, corrects it, and an
//! analyst of another partner sees it on the map (`web/test/report.mjs`).
//!
//! Needs Debian's `chromium` and `npm ci` in `web/` (scripts/test installs both).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use lagesbild::access::{self, Role};

use crate::support::*;

#[test]
fn a_reporter_files_and_corrects_a_report_and_an_analyst_sees_it() {
    let chromium =
        std::env::var("LAGESBILD_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).is_file(),
        "no Chromium at {chromium}: run `scripts/test` or `apt-get install chromium`"
    );
    let web = repo().join("web");
    assert!(
        web.join("node_modules/playwright-core").is_dir(),
        "web/node_modules is not installed: run `npm ci` in web/ (scripts/test does)"
    );
    let sb = Sandbox::new();
    sb.import_districts();
    let store = lagesbild::store::Store::open(&sb.db()).unwrap();
    access::put_partner(&store, "bostadsbolaget", "Bostadsbolaget", true, "test").unwrap();
    access::put_partner(&store, "polisen", "Polisen", true, "test").unwrap();
    let reporter = make_token(&sb.db(), "bostadsbolaget", Role::Reporter);
    let analyst = make_token(&sb.db(), "polisen", Role::Analyst);
    let mut child = sb
        .command(&["serve", "--bind", "127.0.0.1:0", "--no-demo"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let out = Command::new("node")
        .arg(web.join("test/report.mjs"))
        .env("LAGESBILD_URL", format!("http://{addr}"))
        .env("REPORTER_TOKEN", &reporter)
        .env("ANALYST_TOKEN", &analyst)
        .env("LAGESBILD_CHROMIUM", &chromium)
        .current_dir(&web)
        .output()
        .expect("run node (install Node.js 18 or newer)");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        out.status.success(),
        "report form test failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    // The server agrees with what the page said: stored for the reporter's partner,
    // corrected, and the correction audited.
    let id = seen["id"].as_str().unwrap();
    let stored = store.incident("bostadsbolaget", id).unwrap().unwrap();
    assert_eq!(stored.category, "broken_lighting");
    assert!(stored.description.unwrap().ends_with("norra sidan"));
    assert_eq!(seen["analyst_sees"], id);
    let log = access::audit::list(
        &store,
        &access::audit::Filter {
            action: Some("incident.correct".into()),
            limit: 5,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].partner.as_deref(), Some("bostadsbolaget"));
}
