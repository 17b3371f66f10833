//! The command line as an operator meets it: help everywhere, clear refusals
//! of bad configuration, `audit verify` catching tampering, a newer database
//! refused, users and organisations managed.

mod support;

use std::process::Command;

use renkei_store::testing::fresh_url;
use renkei_store::Backend;
use support::*;

fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn help_on_every_command() {
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["migrate"],
        &["user"],
        &["user", "create"],
        &["user", "list"],
        &["user", "disable"],
        &["user", "enable"],
        &["user", "unlock"],
        &["user", "reset-mfa"],
        &["user", "set-password"],
        &["org"],
        &["org", "create"],
        &["org", "list"],
        &["region", "create"],
        &["municipality", "create"],
        &["backup"],
        &["audit"],
        &["audit", "verify"],
        &["import"],
        &["import", "care-offices"],
        &["bench", "generate"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        args.push("--help");
        let (ok, stdout, _) = run(&args, &[]);
        assert!(
            ok && stdout.contains("Usage:"),
            "renkei {} --help",
            c.join(" ")
        );
    }
}

#[test]
fn unknown_config_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("renkei.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:0\"\nsesion_idle_minutes = 10\n",
    )
    .unwrap();
    let (ok, _, stderr) = run(&["--config", file.to_str().unwrap(), "migrate"], &[]);
    assert!(!ok);
    assert!(
        stderr.contains("sesion_idle_minutes") && stderr.contains("session_idle_minutes"),
        "{stderr}"
    );
    let (ok, _, stderr) = run(&["migrate"], &[("RENKEI_LISTN", "x")]);
    assert!(!ok);
    assert!(
        stderr.contains("RENKEI_LISTN") && stderr.contains("RENKEI_LISTEN"),
        "{stderr}"
    );
}

#[test]
fn bad_database_url_is_explained() {
    let (ok, _, stderr) = run(
        &["migrate"],
        &[("RENKEI_DATABASE_URL", "mysql://root:hunter2@db/renkei")],
    );
    assert!(!ok);
    assert!(
        stderr.contains("RENKEI_DATABASE_URL")
            && stderr.contains("sqlite://")
            && stderr.contains("postgres://"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("hunter2"),
        "the password must not be printed"
    );
    let (ok, _, stderr) = run(
        &["migrate"],
        &[("RENKEI_DATABASE_URL", "postgres://nobody@127.0.0.1:1/x")],
    );
    assert!(!ok);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    let (ok, _, stderr) = run(&["serve"], &[("RENKEI_LISTEN", "not-an-address")]);
    assert!(!ok);
    assert!(
        stderr.contains("RENKEI_LISTEN") && stderr.contains("127.0.0.1:8080"),
        "{stderr}"
    );
}

fn tamper_sqlite(path: &str, sql: &str) {
    let status = Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", path, sql])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn audit_verify_catches_edit_delete_and_swap() {
    for (name, sql, record) in [
        ("edit", "UPDATE audit_log SET actor_username = 'mallory' WHERE seq = 3;", "record 3"),
        ("delete", "DELETE FROM audit_log WHERE seq = 4;", "record 4"),
        ("swap", "UPDATE audit_log SET seq = -2 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = -2;", "record 2"),
    ] {
        let (url, dir) = fresh_url(Backend::Sqlite);
        seed(&url);
        cli_ok(&url, &["org", "create", "--region", "t1", "--kind", "clinic", "--name", "A診療所"], None);
        cli_ok(&url, &["org", "create", "--region", "t1", "--kind", "clinic", "--name", "B診療所"], None);
        assert!(cli_ok(&url, &["audit", "verify"], None).contains("intact: 4 records"));
        let path = dir.as_ref().unwrap().path().join("renkei.db");
        let drop = "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;";
        tamper_sqlite(path.to_str().unwrap(), &format!("{drop} {sql}"));
        let out = cli(&url, &["audit", "verify"], None);
        assert!(!out.status.success(), "{name} not detected");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("AUDIT TRAIL BROKEN") && stderr.contains(record), "{name}: {stderr}");
    }
}

#[test]
fn database_from_a_newer_version_is_refused() {
    let (url, dir) = fresh_url(Backend::Sqlite);
    cli_ok(&url, &["migrate"], None);
    let path = dir.as_ref().unwrap().path().join("renkei.db");
    tamper_sqlite(
        path.to_str().unwrap(),
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'future', 1, x'00', 0);",
    );
    let out = cli(&url, &["migrate"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("newer Renkei") && stderr.contains("9999"),
        "{stderr}"
    );
}

#[test]
fn users_and_organisations_from_the_command_line() {
    let (url, _dir) = fresh_url(Backend::Sqlite);
    seed(&url);
    cli_ok(
        &url,
        &[
            "municipality",
            "create",
            "--region",
            "t1",
            "--code",
            "13101",
            "--name",
            "千代田区",
        ],
        None,
    );
    let bad = cli(
        &url,
        &[
            "municipality",
            "create",
            "--region",
            "t1",
            "--code",
            "131017",
            "--name",
            "誤り",
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("check digit"));
    let out = cli_ok(
        &url,
        &[
            "org",
            "create",
            "--region",
            "t1",
            "--kind",
            "visiting_nursing",
            "--name",
            "中央訪問看護",
            "--municipality",
            "13101",
        ],
        None,
    );
    assert!(out.contains("created"));
    assert!(cli_ok(&url, &["org", "list"], None).contains("中央訪問看護"));
    let out = cli_ok(
        &url,
        &[
            "user",
            "create",
            "--username",
            "nurse1",
            "--name",
            "看護 一",
            "--role",
            "professional",
            "--profession",
            "nurse",
            "--region",
            "t1",
        ],
        None,
    );
    assert!(
        out.contains("initial password: "),
        "a password is generated and shown once"
    );
    let bad = cli(
        &url,
        &[
            "user",
            "create",
            "--username",
            "x1",
            "--name",
            "x",
            "--role",
            "wizard",
            "--region",
            "t1",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("role"));
    cli_ok(&url, &["user", "disable", "nurse1"], None);
    assert!(cli_ok(&url, &["user", "list"], None)
        .contains("nurse1\tprofessional\t看護 一\tmfa=off\tdisabled"));
    cli_ok(&url, &["user", "enable", "nurse1"], None);
    cli_ok(&url, &["user", "reset-mfa", "nurse1"], None);
    cli_ok(
        &url,
        &["user", "set-password", "nurse1"],
        Some("a brand new password"),
    );
    let missing = cli(&url, &["user", "disable", "nobody"], None);
    assert!(!missing.status.success());
    assert!(cli_ok(&url, &["audit", "verify"], None).contains("intact"));
}

/// `--demo` loads the demo region into an empty database, marks every page
/// DEMO and lets demo accounts in; without the flag there is no banner and
/// demo accounts cannot sign in, and `--demo` never touches a database that
/// already holds other data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_only_with_the_flag() {
    let (url, _dir) = fresh_url(Backend::Sqlite);
    let demo = Server::start_with(&url, &["--demo"], &[("RENKEI_REQUIRE_MFA", "true")]);
    let mut c = Client::new(&demo.base);
    let (_, _, login_page) = c.get("/login").await;
    assert!(login_page.contains("demo-banner") && login_page.contains("demo-coordinator"));
    let (_, location, _) = c.login("demo-coordinator", "renkei-demo-2026").await;
    assert_eq!(
        location.as_deref(),
        Some("/mfa"),
        "demo accounts are enrolled in TOTP"
    );
    let (_, _, mfa_page) = c.get("/mfa").await;
    assert!(
        mfa_page.contains("id=\"demo-code\""),
        "the demo shows the current code"
    );
    demo.stop();

    let plain = Server::start(&url, &[]);
    let mut c = Client::new(&plain.base);
    let (_, _, login_page) = c.get("/login").await;
    assert!(!login_page.contains("demo-banner") && !login_page.contains("demo-coordinator"));
    let (status, _, body) = c.login("demo-coordinator", "renkei-demo-2026").await;
    assert_eq!(status, 403);
    assert!(body.contains("利用停止"), "{body}");
    plain.stop();

    let (other, _dir2) = fresh_url(Backend::Sqlite);
    seed(&other);
    let out = std::process::Command::new(BIN)
        .args(["serve", "--demo"])
        .env("RENKEI_DATABASE_URL", &other)
        .env("RENKEI_LISTEN", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only into an empty database"));
}
