//! The web map in real headless Chromium against the real binary on a loopback port, with
//! the shared demo database: `web/test/browser.mjs` (playwright-core over CDP) loads the
//! page, checks rendered features, the week control, the details panel against the API and
//! the language switch, saves screenshots and reports the first meaningful paint; once signed
//! in as an analyst, once anonymously (suppressed counts, the sign-in form), and once with
//! the binary copied alone to an empty folder (the map and the phone form come from inside
//! the binary).
//!
//! Needs Debian's `chromium` and `npm ci` in `web/` (scripts/test installs both).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::*;

/// The demo's last complete ISO week (the shared demo data ends on Monday 2026-11-23).
const WEEK: &str = "2026-W47";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromium() -> String {
    let path = std::env::var("LAGESBILD_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&path).is_file(),
        "no Chromium at {path}: run `scripts/test` (installs Debian's chromium), or \
         `apt-get install chromium`, or set LAGESBILD_CHROMIUM"
    );
    path
}

/// Starts `serve` on the shared demo database (public access is on: `--public auto` and the
/// database is the synthetic demo) and runs `web/test/browser.mjs`; `anonymous` runs its
/// short anonymous mode (LAGESBILD_ANON=1), which signs in through the page's form itself.
/// With `alone`, the binary is first copied alone to an empty temporary folder and run
/// from there. Returns the script's JSON line.
fn run_browser(anonymous: bool) -> serde_json::Value {
    run_browser_with(anonymous, None)
}

fn run_browser_with(anonymous: bool, alone: Option<&std::path::Path>) -> serde_json::Value {
    let chromium = chromium();
    let web = repo().join("web");
    assert!(
        web.join("node_modules/playwright-core").is_dir()
            && web
                .join("node_modules/maplibre-gl/dist/maplibre-gl.js")
                .is_file(),
        "web/node_modules is not installed: run `npm ci` in web/ (scripts/test does)"
    );
    let db = demo_db();
    let token = make_token(&db.db(), "polisen", lagesbild::access::Role::Analyst);
    let mut command = db.command(&["serve", "--bind", "127.0.0.1:0", "--no-demo"]);
    if let Some(folder) = alone {
        let copy = folder.join("lagesbild");
        std::fs::copy(bin(), &copy).unwrap();
        command = Command::new(&copy);
        command
            .arg("--db")
            .arg(db.db())
            .args(["serve", "--bind", "127.0.0.1:0", "--no-demo"])
            .current_dir(folder)
            .env_remove("LAGESBILD_WEB_DIR")
            .stdin(Stdio::null());
    }
    let mut child = command.stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let server = Server(child);
    let addr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    if let Some(folder) = alone {
        check_alone(&addr, folder, &web);
    }
    let shots = repo().join("target/screenshots");
    let out = Command::new("node")
        .arg(web.join("test/browser.mjs"))
        .env("LAGESBILD_URL", format!("http://{addr}"))
        .env("LAGESBILD_WEEK", WEEK)
        .env("LAGESBILD_TOKEN", &token)
        .env("LAGESBILD_ANON", if anonymous { "1" } else { "0" })
        .env("LAGESBILD_CHROMIUM", &chromium)
        .env("LAGESBILD_SCREENSHOTS", &shots)
        .current_dir(&web)
        .output()
        .expect("run node (install Node.js 18 or newer)");
    drop(server);
    assert!(
        out.status.success(),
        "browser test ({}) failed:\n{}\n{}",
        if anonymous { "anonymous" } else { "analyst" },
        stdout(&out),
        stderr(&out)
    );
    serde_json::from_str(stdout(&out).trim()).unwrap()
}

#[test]
fn the_map_works_in_headless_chromium() {
    let report = run_browser(false);
    let shots = repo().join("target/screenshots");
    // Reported, not asserted: timing belongs in BENCHMARKS.md.
    eprintln!(
        "web map: first meaningful paint {} ms; {} hexes rendered; screenshots in {}",
        report["first_meaningful_paint_ms"],
        report["rendered_hexes"],
        shots.display()
    );
    assert!(shots.join("map-week-sv.png").is_file());
    assert!(shots.join("map-details-en.png").is_file());
}

/// Anonymous visitors of the demo see suppressed aggregates, the sign-in control and the
/// note on hidden small counts; signing in through the form makes the page an analyst's.
#[test]
fn the_map_works_anonymously_and_signs_in_through_its_form() {
    let report = run_browser(true);
    eprintln!("anonymous web map: {report}");
    assert_eq!(report["mode"], "anonymous");
    assert_eq!(report["signed_in"]["role"], "analyst", "{report}");
    assert_eq!(report["signed_in"]["partner"], "polisen", "{report}");
    assert!(
        repo()
            .join("target/screenshots/map-anonymous-sv.png")
            .is_file()
    );
}

/// The copied binary serves the phone form and every file the pages load, byte for byte
/// as in `web/`, with nothing beside it in its folder.
fn check_alone(addr: &str, folder: &std::path::Path, web: &std::path::Path) {
    let names: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["lagesbild"], "the folder holds only the binary");
    for (url, file) in [
        ("/", "index.html"),
        ("/report", "report.html"),
        ("/app/main.js", "app/main.js"),
        ("/app/report.js", "app/report.js"),
        ("/app/report.css", "app/report.css"),
        (
            "/vendor/maplibre-gl.js",
            "node_modules/maplibre-gl/dist/maplibre-gl.js",
        ),
        (
            "/vendor/maplibre-gl.css",
            "node_modules/maplibre-gl/dist/maplibre-gl.css",
        ),
    ] {
        let (status, body) = http_get(addr, url);
        assert_eq!(status, 200, "{url}");
        assert!(
            body == std::fs::read(web.join(file)).unwrap(),
            "{url} differs from web/{file}"
        );
    }
    let (status, _) = http_get(addr, "/app/../../etc/passwd");
    assert_ne!(status, 200);
}

/// A plain HTTP/1.0 GET over loopback: status and body.
fn http_get(addr: &str, path: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, raw[split + 4..].to_vec())
}

/// The binary copied alone to an empty folder serves the whole map (rendered with hotspots
/// in Chromium) and the phone form from inside itself.
#[test]
fn the_binary_copied_alone_serves_the_map_and_the_phone_form() {
    let folder = tempfile::tempdir().unwrap();
    let report = run_browser_with(false, Some(folder.path()));
    let hexes = report["rendered_hexes"].as_u64().unwrap_or(0);
    assert!(hexes > 0, "no hotspot hexes rendered: {report}");
}

#[test]
fn the_maps_week_arithmetic_passes_its_node_tests() {
    let out = Command::new("node")
        .args(["--test", "test/weeks.test.mjs"])
        .current_dir(repo().join("web"))
        .output()
        .expect("run node (install Node.js 18 or newer)");
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
}

/// A copy of the shared demo database, for tests that write (notes, actions).
fn demo_copy() -> Sandbox {
    let sb = Sandbox::new();
    let src = demo_db().db();
    drop(lagesbild::store::Store::open(&src).unwrap());
    std::fs::copy(&src, sb.db()).unwrap();
    for ext in ["-wal", "-shm"] {
        let mut from = src.clone().into_os_string();
        from.push(ext);
        let mut to = sb.db().into_os_string();
        to.push(ext);
        if std::path::Path::new(&from).exists() {
            std::fs::copy(&from, &to).unwrap();
        }
    }
    sb
}

/// The meeting view (issue 11): an analyst opens the latest demo week's meeting view,
/// writes partner input, records a decision, makes it an action from the page, sets it
/// active, and finds it in the next week's view; the page prints to A4 with its sections
/// (checked with pdftotext). Periods that do not exist answer 400 naming them.
#[test]
fn the_meeting_view_runs_a_weekly_meeting_in_headless_chromium() {
    let chromium = chromium();
    let web = repo().join("web");
    let sb = demo_copy();
    let token = make_token(&sb.db(), "polisen", lagesbild::access::Role::Analyst);
    let mut child = sb
        .command(&["serve", "--bind", "127.0.0.1:0", "--no-demo"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let server = Server(child);
    let addr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    for path in [
        "/meeting/week/2026-W54",
        "/meeting/tertial/2026-T4",
        "/meeting/quarter/2026-Q5",
        "/meeting/week/%3Cscript%3E",
    ] {
        let (status, body) = http_get(&addr, path);
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body.contains("period:") && !body.contains("<script>"),
            "{path}: {body}"
        );
    }
    let (status, body) = http_get(&addr, &format!("/meeting/week/{WEEK}"));
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("/app/meeting.js"));

    let pdf = sb.dir.path().join("meeting.pdf");
    let out = Command::new("node")
        .arg(web.join("test/meeting.mjs"))
        .env("LAGESBILD_URL", format!("http://{addr}"))
        .env("LAGESBILD_WEEK", WEEK)
        .env("LAGESBILD_TOKEN", &token)
        .env("LAGESBILD_CHROMIUM", &chromium)
        .env("LAGESBILD_PDF", &pdf)
        .env("LAGESBILD_SCREENSHOTS", repo().join("target/screenshots"))
        .current_dir(&web)
        .output()
        .expect("run node (install Node.js 18 or newer)");
    drop(server);
    assert!(
        out.status.success(),
        "meeting view test failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert!(v["interactive_ms"].as_u64().is_some(), "{v}");
    eprintln!("meeting view: {v}");
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    for section in [
        "Lägesbild för perioden",
        "Från partnerna",
        "bränder vid Alby centrum",
        "Åtgärder",
        "Beslut",
        "Trygghetsvandring i Alby centrum",
        "Mötesanteckningar",
    ] {
        assert!(text.contains(section), "the PDF lacks {section:?}:\n{text}");
    }
    assert!(
        !text.contains("Skriv ut / spara som PDF"),
        "buttons are not printed"
    );
}
