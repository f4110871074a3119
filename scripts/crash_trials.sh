#!/usr/bin/env bash
# Crash trials (issue 17 item 7), against the release binary on temporary databases:
#  1. 50 SIGKILLs during CLI ingests (`lagesbild ingest` of 2,000 rows, killed after a random
#     0-400 ms);
#  2. 20 SIGKILLs of the server while 4 clients upload concurrently (POST /api/incidents,
#     200 rows each, killed after a random 0-1,500 ms), the server restarted after each.
# After every kill: `PRAGMA integrity_check` must say ok; every upload the client saw
# acknowledged (exit 0 / HTTP 200) must be stored in full; every upload must be stored
# all-or-nothing; and every stored batch must have its audit row (action `ingest`).
# Needs: python3, curl. Loopback only.
# Usage: scripts/crash_trials.sh [CLI_KILLS] [SERVER_KILLS]   (prints a Markdown summary)
#   LAGESBILD_BENCH_NO_BUILD=1 uses the existing target/release/lagesbild.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${LAGESBILD_BENCH_NO_BUILD:-0}" = "1" ] || cargo build --release --quiet
exec python3 - "$PWD/target/release/lagesbild" "${1:-50}" "${2:-20}" <<'PY'
import json, os, random, signal, sqlite3, subprocess, sys, tempfile, threading, time
import urllib.request

bin_, cli_kills, server_kills = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(17)
work = tempfile.mkdtemp()
env = {k: v for k, v in os.environ.items() if not k.startswith("LAGESBILD_")}

def run(*args, check=True):
    return subprocess.run([bin_, *args], env=env, capture_output=True, text=True, check=check)

def csv(prefix, n):
    rows = ["id,occurred_at,category,lat,lon"]
    for i in range(n):
        rows.append(f"{prefix}-{i},2026-11-{1 + i % 27:02d} 21:15,theft,"
                    f"{59.19 + (i % 97) * 0.0007:.5f},{17.80 + (i % 89) * 0.0011:.5f}")
    return "\n".join(rows) + "\n"

def check(db, uploads):
    """uploads: [(prefix, n, acknowledged)] -> (lost, partial, corrupt, unaudited)"""
    con = sqlite3.connect(db)
    corrupt = con.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
    lost = partial = 0
    for prefix, n, acked in uploads:
        got = con.execute("SELECT count(*) FROM incidents WHERE ext_id LIKE ?",
                          (prefix + "-%",)).fetchone()[0]
        if acked and got != n:
            lost += 1
        if got not in (0, n):
            partial += 1
    batches = con.execute("SELECT count(*) FROM batches WHERE accepted > 0").fetchone()[0]
    audited = con.execute("SELECT count(*) FROM audit WHERE action = 'ingest' AND rows > 0").fetchone()[0]
    con.close()
    return lost, partial, corrupt, batches - audited

def setup(db):
    run("--db", db, "areas", "import", "data/demo/botkyrka_districts.geojson", "--layer",
        "districts", "--id-field", "id", "--name-field", "name", "--population-field", "population")
    run("--db", db, "partner", "add", "polisen", "--name", "Polisen", "--shares", "yes")

# 1. CLI ingests.
db = os.path.join(work, "cli.db")
setup(db)
uploads, completed = [], 0
for t in range(cli_kills):
    f = os.path.join(work, f"cli-{t}.csv")
    open(f, "w").write(csv(f"cli{t}", 2000))
    p = subprocess.Popen([bin_, "--db", db, "ingest", f, "--partner", "polisen"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, 0.4))
    p.send_signal(signal.SIGKILL)
    code = p.wait()
    acked = code == 0
    completed += acked
    uploads.append((f"cli{t}", 2000, acked))
lost, partial, corrupt, unaudited = check(db, uploads)
print(f"- {cli_kills} SIGKILLs during CLI ingests of 2,000 rows ({completed} finished before "
      f"the kill): acknowledged uploads lost {lost}, partly stored {partial}, corrupt "
      f"database {int(corrupt)}, stored batches without an audit row {unaudited}")

# 2. Server uploads.
db = os.path.join(work, "srv.db")
setup(db)
tokens = [run("--db", db, "token", "create", "--partner", "polisen", "--role", "analyst",
              "--label", f"crash-{i}").stdout.strip() for i in range(4)]
port = 18201
uploads, lock, acks = [], threading.Lock(), 0
corrupt_any = False
for t in range(server_kills):
    srv = subprocess.Popen([bin_, "--db", db, "serve", "--bind", f"127.0.0.1:{port}",
                            "--no-demo"], env={**env, "LAGESBILD_LOG": "warn"},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    stop = threading.Event()

    def client(c):
        global acks
        k = 0
        while not stop.is_set():
            prefix = f"srv{t}c{c}n{k}"
            k += 1
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/incidents", data=csv(prefix, 200).encode(),
                headers={"Authorization": f"Bearer {tokens[c]}", "Content-Type": "text/csv"})
            acked = False
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    acked = r.status == 200 and json.load(r)["accepted"] == 200
            except Exception:
                pass
            with lock:
                uploads.append((prefix, 200, acked))
                acks += acked
            if not acked:
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
    for th in threads:
        th.start()
    time.sleep(random.uniform(0, 1.5))
    srv.send_signal(signal.SIGKILL)
    srv.wait()
    stop.set()
    for th in threads:
        th.join()
    con = sqlite3.connect(db)
    corrupt_any |= con.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
    con.close()
lost, partial, corrupt, unaudited = check(db, uploads)
print(f"- {server_kills} SIGKILLs of the server during 4 concurrent uploaders of 200 rows "
      f"({len(uploads)} uploads, {acks} acknowledged): acknowledged uploads lost {lost}, "
      f"partly stored {partial}, corrupt database {int(corrupt or corrupt_any)}, stored "
      f"batches without an audit row {unaudited}")
PY
