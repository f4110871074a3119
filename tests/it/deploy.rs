//! The shipped nginx configuration (`deploy/nginx/lagesbild.conf`) runs with Debian's nginx
//! on loopback, in front of two servers on one PostgreSQL database: TLS, the redirect from
//! http, secure session cookies, sessions across the two servers, and a server that dies
//! is skipped.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::backends::{Killed, analyst_token, pg_database, serve_on};
use crate::support::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `curl` through nginx: status line code, headers and body.
fn curl(args: &[&str]) -> (u16, String, String) {
    let out = Command::new("curl")
        .args(["-sk", "-D", "-", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

#[test]
fn the_shipped_nginx_configuration_balances_two_servers_with_tls() {
    let pg = pg_database();
    let token = analyst_token(&pg);
    let serve = || serve_on(&pg);
    let (a, addr_a) = serve();
    let (b, addr_b) = serve();
    let mut children = Killed(vec![a, b]);

    // The shipped file with this run's ports and a throwaway certificate.
    let sb = Sandbox::new();
    let dir = sb.dir.path();
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(ok.success());
    let (tls, plain) = (free_port(), free_port());
    let shipped = std::fs::read_to_string(repo().join("deploy/nginx/lagesbild.conf")).unwrap();
    let mut site = shipped.clone();
    for (from, to) in [
        (
            "listen 443 ssl http2;",
            format!("listen 127.0.0.1:{tls} ssl http2;"),
        ),
        ("listen 80;", format!("listen 127.0.0.1:{plain};")),
        ("server 127.0.0.1:8081", format!("server {addr_a}")),
        ("server 127.0.0.1:8082", format!("server {addr_b}")),
        (
            "/etc/ssl/lagesbild/fullchain.pem",
            dir.join("cert.pem").display().to_string(),
        ),
        (
            "/etc/ssl/lagesbild/privkey.pem",
            dir.join("key.pem").display().to_string(),
        ),
    ] {
        assert!(
            site.contains(from),
            "deploy/nginx/lagesbild.conf lost {from:?}"
        );
        site = site.replace(from, &to);
    }
    std::fs::write(dir.join("site.conf"), site).unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n  include {d}/site.conf;\n}}\n"
        ),
    )
    .unwrap();
    let nginx = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx (scripts/test installs Debian's nginx)");
    children.0.push(nginx);
    let base = format!("https://127.0.0.1:{tls}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", tls)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // http goes to https.
    let (status, head, _) = curl(&[&format!("http://127.0.0.1:{plain}/health")]);
    assert_eq!(status, 301, "{head}");
    assert!(head.to_lowercase().contains("location: https://"), "{head}");
    // TLS to the servers.
    let (status, _, body) = curl(&[&format!("{base}/health")]);
    assert_eq!(status, 200, "{body}");
    // Sign in through nginx: the cookie is Secure (X-Forwarded-Proto), and the session
    // holds on whichever server answers.
    let (status, head, body) = curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--data",
        &format!(r#"{{"token": "{token}"}}"#),
        &format!("{base}/api/login"),
    ]);
    assert_eq!(status, 200, "{body}");
    let set = head
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie:"))
        .expect("a session cookie")
        .to_owned();
    assert!(set.contains("; Secure"), "{set}");
    let cookie = set
        .split_once(':')
        .unwrap()
        .1
        .split(';')
        .next()
        .unwrap()
        .trim()
        .to_owned();
    for _ in 0..6 {
        let (status, _, body) = curl(&[
            "-H",
            &format!("Cookie: {cookie}"),
            &format!("{base}/api/me"),
        ]);
        assert_eq!(status, 200, "{body}");
    }
    // Server A dies: nginx skips it.
    let mut a = children.0.remove(0);
    a.kill().unwrap();
    a.wait().unwrap();
    for _ in 0..6 {
        let (status, _, body) = curl(&[&format!("{base}/health")]);
        assert_eq!(status, 200, "{body}");
    }
}
