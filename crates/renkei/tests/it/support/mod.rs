//! Runs the real `renkei` binary: start, wait for /readyz, kill -9, restart.
//! HTTP goes over loopback with a small cookie-keeping client.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_renkei");
pub const PASSWORD: &str = "correct horse battery";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs a CLI command against `db_url` and returns its output.
pub fn cli(db_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("RENKEI_DATABASE_URL", db_url)
        .env("RENKEI_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run renkei");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

pub fn cli_ok(db_url: &str, args: &[&str], stdin: Option<&str>) -> String {
    let out = cli(db_url, args, stdin);
    assert!(
        out.status.success(),
        "renkei {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A region `t1`, one organisation and a coordinator `coord` (password
/// [`PASSWORD`]); MFA is switched off for these servers.
pub fn seed(db_url: &str) {
    cli_ok(
        db_url,
        &["region", "create", "--code", "t1", "--name", "試験圏域"],
        None,
    );
    cli_ok(
        db_url,
        &[
            "user",
            "create",
            "--username",
            "coord",
            "--name",
            "試験 太郎",
            "--role",
            "coordinator",
            "--profession",
            "coordinator",
            "--region",
            "t1",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
}

pub struct Server {
    pub child: Child,
    pub port: u16,
    pub base: String,
}

impl Server {
    pub fn start(db_url: &str, extra_env: &[(&str, &str)]) -> Server {
        Self::start_with(db_url, &[], extra_env)
    }

    pub fn start_with(db_url: &str, args: &[&str], extra_env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .args(args)
            .env("RENKEI_DATABASE_URL", db_url)
            .env("RENKEI_LISTEN", format!("127.0.0.1:{port}"))
            .env("RENKEI_REQUIRE_MFA", "false")
            .env("RENKEI_COOKIE_SECURE", "false")
            .env("RENKEI_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start renkei serve");
        let server = Server {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::blocking_get(&format!("{}/readyz", self.base)) {
                if r == 200 {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("renkei did not become ready on port {}", self.port);
    }

    /// SIGKILL: no shutdown, no flush beyond what was committed.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Minimal synchronous readiness probe without a client dependency.
pub mod reqwest {
    pub fn blocking_get(url: &str) -> std::io::Result<u16> {
        use std::io::{Read, Write};
        let rest = url.strip_prefix("http://").unwrap_or(url);
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let mut s = std::net::TcpStream::connect(host)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
        write!(
            s,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )?;
        let mut buf = String::new();
        s.read_to_string(&mut buf)?;
        Ok(buf
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }
}

/// A browser-like client: keeps cookies by hand (Renkei's cookies are
/// `Secure`, which generic cookie jars refuse over plain loopback HTTP).
#[derive(Clone)]
pub struct Client {
    pub http: ::reqwest::Client,
    pub base: String,
    pub cookies: HashMap<String, String>,
    pub csrf: String,
}

pub fn csrf_in(html: &str) -> Option<String> {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(str::to_string)
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http = ::reqwest::Client::builder()
            .redirect(::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Client {
            http,
            base: base.to_string(),
            cookies: HashMap::new(),
            csrf: String::new(),
        }
    }

    pub fn on(&self, base: &str) -> Client {
        let mut c = self.clone();
        c.base = base.to_string();
        c
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, r: &::reqwest::Response) {
        for v in r.headers().get_all("set-cookie") {
            if let Some((pair, _)) = v.to_str().unwrap_or("").split_once(';') {
                if let Some((k, val)) = pair.split_once('=') {
                    if val.is_empty() {
                        self.cookies.remove(k);
                    } else {
                        self.cookies.insert(k.to_string(), val.to_string());
                    }
                }
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> (u16, Option<String>, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.keep(&r);
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = r.text().await.unwrap_or_default();
        if let Some(c) = csrf_in(&body) {
            self.csrf = c;
        }
        (status, location, body)
    }

    pub async fn post_form(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, Option<String>, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let body = serde_urlencoded_like(&form);
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        self.keep(&r);
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (status, location, r.text().await.unwrap_or_default())
    }

    /// POST JSON with the session's CSRF header. Errors (e.g. the server was
    /// killed) come back as `Err`.
    pub async fn post_json(
        &self,
        path: &str,
        json: &str,
    ) -> Result<(u16, String), ::reqwest::Error> {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/json")
            .header("x-csrf-token", &self.csrf)
            .body(json.to_string())
            .send()
            .await?;
        let status = r.status().as_u16();
        Ok((status, r.text().await?))
    }

    /// Logs in with a password (MFA is off on test servers) and picks up the
    /// session's CSRF token from the home page.
    pub async fn login(&mut self, username: &str, password: &str) -> (u16, Option<String>, String) {
        self.get("/login").await;
        let result = self
            .post_form("/login", &[("username", username), ("password", password)])
            .await;
        if result.1.as_deref() == Some("/") {
            self.get("/").await;
        }
        result
    }
}

fn serde_urlencoded_like(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
