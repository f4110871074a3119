//! Embeds the web map in the binary: `web/index.html`, `web/report.html`, everything under
//! `web/app/`, and the MapLibre GL JS files the pages load from `web/node_modules` (after
//! `npm ci` in `web/`). It writes `$OUT_DIR/web_assets.rs`, a table of
//! `(URL path, bytes, entity tag)` that `serve::web` includes.
//!
//! A release build without the npm files fails with a message that says what to run, so no
//! binary ships without the map. Debug builds (`cargo clippy`, `cargo doc`, `cargo test` on
//! a fresh clone before `npm ci`) only warn; their binary then says on `/` how to fix it.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// The files of MapLibre GL JS's `dist/` the pages load (`/vendor/...`), and its licence.
const VENDOR_FILES: &[&str] = &["maplibre-gl.js", "maplibre-gl.css", "LICENSE.txt"];
/// Where `npm ci` puts them.
const VENDOR_DIR: &str = "node_modules/maplibre-gl/dist";
/// The pages at the top of `web/`.
const PAGES: &[&str] = &["index.html", "report.html", "meeting.html"];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let web = manifest.join("web");
    // A watched path that does not exist makes Cargo rerun this script on every build, so
    // before `npm ci` watch `web/` itself (its files' times change when `npm ci` runs).
    if web.join("node_modules/.package-lock.json").is_file() {
        for watched in [
            "index.html",
            "report.html",
            "meeting.html",
            "app",
            "node_modules/.package-lock.json",
        ] {
            println!("cargo::rerun-if-changed=web/{watched}");
        }
    } else {
        println!("cargo::rerun-if-changed=web");
    }

    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for page in PAGES {
        files.push(((*page).to_owned(), web.join(page)));
    }
    collect(&web.join("app"), "/app", &mut files);
    let mut missing = Vec::new();
    for f in VENDOR_FILES {
        let path = web.join(VENDOR_DIR).join(f);
        if path.is_file() {
            files.push((format!("/vendor/{f}"), path));
        } else {
            missing.push(path);
        }
    }
    files.retain(|(_, p)| {
        let ok = p.is_file();
        if !ok {
            missing.push(p.clone());
        }
        ok
    });

    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
        let msg = format!(
            "the web map's files are missing ({}): run `npm ci` in web/ (or `make run`) \
             before building; / webbkartans filer saknas: kör `npm ci` i web/ (eller \
             `make run`) före bygget",
            list.join(", ")
        );
        if release {
            eprintln!("error: {msg}");
            std::process::exit(1);
        }
        println!(
            "cargo::warning=debug build without the embedded web map (it needs --web-dir): {msg}"
        );
    }

    let mut out = String::new();
    out.push_str(
        "/// The embedded web map: `(URL path, bytes, entity tag)`, pages without a slash.\n",
    );
    out.push_str("pub(crate) static FILES: &[(&str, &[u8], &str)] = &[\n");
    for (url, path) in &files {
        let bytes = std::fs::read(path).unwrap_or_default();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut h);
        let _ = writeln!(
            out,
            "    ({url:?}, include_bytes!({:?}), \"\\\"{:016x}\\\"\"),",
            path.display().to_string(),
            h.finish()
        );
    }
    out.push_str("];\n");
    let _ = writeln!(
        out,
        "/// Whether every file the pages need was embedded.\npub(crate) const COMPLETE: bool = {};",
        missing.is_empty()
    );
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out_dir.join("web_assets.rs"), out) {
        eprintln!(
            "error: cannot write web_assets.rs in {}: {e}",
            out_dir.display()
        );
        std::process::exit(1);
    }
}

/// Every file under `dir`, as `(url_prefix/relative path, path)`, sorted.
fn collect(dir: &Path, url_prefix: &str, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let url = format!("{url_prefix}/{name}");
        if path.is_dir() {
            collect(&path, &url, files);
        } else {
            files.push((url, path));
        }
    }
}
