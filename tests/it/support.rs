//! Shared helpers: temporary databases, running the binary, small fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_lagesbild")
}

/// A temporary directory with a database path inside.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("lagesbild.db")
    }

    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, contents).expect("write fixture");
        p
    }

    /// Runs `lagesbild --db <db> args...` with a clean environment for LAGESBILD_*.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run lagesbild")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("--db").arg(self.db()).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("LAGESBILD_") {
                c.env_remove(k);
            }
        }
        c.stdin(Stdio::null());
        c
    }

    /// Runs and parses `--json` output.
    pub fn run_json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let out = self.run(args);
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): stdout {} stderr {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), v)
    }

    /// Imports the demo's Botkyrka districts as layer `districts`.
    pub fn import_districts(&self) {
        let out = self.run(&[
            "areas",
            "import",
            districts_path().to_str().expect("utf8 path"),
            "--layer",
            "districts",
            "--id-field",
            "id",
            "--name-field",
            "name",
            "--population-field",
            "population",
            "--parent-field",
            "parent",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The demo districts (approximate Voronoi districts of Botkyrka).
pub fn districts_path() -> PathBuf {
    repo().join("data/demo/botkyrka_districts.geojson")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A valid CSV row inside Alby (Botkyrka).
pub fn row(id: usize) -> String {
    format!(
        "{id},2026-11-{:02} 21:15,theft,59.2395,17.8453\n",
        1 + id % 20
    )
}

pub const HEADER: &str = "id,occurred_at,category,lat,lon\n";

/// Number of incidents in a database.
pub fn count(db: &Path) -> i64 {
    let store = lagesbild::store::Store::open(db).expect("open store");
    store.incident_count().expect("count")
}

/// The end of the shared demo data (exclusive).
pub const END: &str = "2026-11-23T00:00:00+01:00";

/// One full demo database (3 years) shared by read-only tests; do not write to it.
pub fn demo_db() -> &'static Sandbox {
    static DB: std::sync::OnceLock<Sandbox> = std::sync::OnceLock::new();
    DB.get_or_init(|| {
        let sb = Sandbox::new();
        let out = sb.run(&["demo", "load", "--end", END]);
        assert!(out.status.success(), "{}", stderr(&out));
        sb
    })
}

/// An admin token of partner `polisen` for the database at `db`, made once per database.
pub fn admin_token(db: &Path) -> String {
    static TOKENS: std::sync::Mutex<Vec<(PathBuf, String)>> = std::sync::Mutex::new(Vec::new());
    let mut tokens = TOKENS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, t)) = tokens.iter().find(|(p, _)| p == db) {
        return t.clone();
    }
    let t = make_token(db, "polisen", lagesbild::access::Role::Admin);
    tokens.push((db.to_owned(), t.clone()));
    t
}

/// A new token of `partner` (added, sharing, when missing) with `role`.
pub fn make_token(db: &Path, partner: &str, role: lagesbild::access::Role) -> String {
    let store = lagesbild::store::Store::open(db).expect("open store");
    if lagesbild::access::partner(&store, partner)
        .unwrap()
        .is_none()
    {
        lagesbild::access::put_partner(&store, partner, partner, true, "test").unwrap();
    }
    lagesbild::access::tokens::create(&store, partner, role, "test", None, "test")
        .unwrap()
        .0
}

/// `req` with an admin bearer token for `db`, unless it already carries credentials.
pub fn as_admin(
    mut req: axum::http::Request<axum::body::Body>,
    db: &Path,
) -> axum::http::Request<axum::body::Body> {
    use axum::http::header;
    if !req.headers().contains_key(header::AUTHORIZATION)
        && !req.headers().contains_key(header::COOKIE)
    {
        let v = format!("Bearer {}", admin_token(db));
        req.headers_mut()
            .insert(header::AUTHORIZATION, v.parse().unwrap());
    }
    req
}
