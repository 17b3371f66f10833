//! The command line as an operator meets it: help everywhere, clear refusals
//! of bad configuration, `audit verify` catching tampering, a newer database
//! refused, users and organisations managed.

use std::process::Command;

use crate::support::*;
use renkei_store::testing::fresh_url;
use renkei_store::Backend;

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
        &["audit", "keygen"],
        &["audit", "checkpoint"],
        &["audit", "public-key"],
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

/// Runs the binary against `url` with the audit key configured.
fn with_key(url: &str, key: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("RENKEI_DATABASE_URL", url)
        .env("RENKEI_AUDIT_KEY_FILE", key)
        .env("RENKEI_LOG", "warn")
        .output()
        .unwrap()
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// keygen → backup writes a signed checkpoint → the newest records are
/// deleted and the head set back (the chain alone still says intact) →
/// `audit verify --anchor` fails; a forged anchor line fails too.
#[test]
fn audit_anchor_catches_what_the_chain_cannot() {
    let (url, dir) = fresh_url(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("audit.key");
    let key = key.to_str().unwrap();
    let public = format!("{key}.pub");
    let anchors = keys.path().join("audit-anchors.jsonl");
    let anchors = anchors.to_str().unwrap();
    let out = cli(&url, &["audit", "keygen", key], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("mode 0600"), "{}", text(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        !cli(&url, &["audit", "keygen", key], None).status.success(),
        "never overwritten"
    );

    seed(&url);
    cli_ok(
        &url,
        &[
            "org",
            "create",
            "--region",
            "t1",
            "--kind",
            "clinic",
            "--name",
            "A診療所",
        ],
        None,
    );
    cli_ok(
        &url,
        &[
            "org",
            "create",
            "--region",
            "t1",
            "--kind",
            "clinic",
            "--name",
            "B診療所",
        ],
        None,
    );
    let backup = dir.as_ref().unwrap().path().join("copy.db");
    let out = with_key(&url, key, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("audit checkpoint: records 1–4"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(anchors).unwrap().lines().count(), 1);

    let verify = [
        "audit",
        "verify",
        "--anchor",
        anchors,
        "--public-key",
        &public,
    ];
    let out = cli(&url, &verify, None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("1 signed checkpoints hold"),
        "{}",
        text(&out)
    );
    let copy = format!("sqlite://{}", backup.display());
    let out = cli(&copy, &verify, None);
    assert!(
        out.status.success(),
        "the backup holds what its checkpoint covers: {}",
        text(&out)
    );
    assert!(cli_ok(&url, &["audit", "verify"], None).contains("no anchor was checked"));

    let path = dir.as_ref().unwrap().path().join("renkei.db");
    tamper_sqlite(
        path.to_str().unwrap(),
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; \
         DELETE FROM audit_log WHERE seq > 2; \
         UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2);",
    );
    assert!(
        cli_ok(&url, &["audit", "verify"], None).contains("intact: 2 records"),
        "the chain alone cannot see this"
    );
    let out = cli(&url, &verify, None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("AUDIT TRAIL BROKEN at record 3") && stderr.contains("deleted"),
        "{stderr}"
    );
    // The configured key verifies too, without --public-key.
    let out = with_key(&url, key, &["audit", "verify", "--anchor", anchors]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    // The server would not sign the truncated trail either.
    let out = with_key(&url, key, &["audit", "checkpoint"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));

    // Moving the checkpoint back to hide the deletion breaks its signature.
    let line = std::fs::read_to_string(anchors).unwrap();
    std::fs::write(anchors, line.replace("\"seq\":4", "\"seq\":2")).unwrap();
    let out = cli(&url, &verify, None);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ANCHOR FILE INVALID")
            && stderr.contains("line 1")
            && stderr.contains("does not verify"),
        "{stderr}"
    );
}

/// Without a key, backup still works and says nothing was anchored; with a
/// key, `serve` signs a checkpoint at start and `audit checkpoint` on demand.
#[test]
fn serve_and_checkpoint_command_write_checkpoints() {
    let (url, dir) = fresh_url(Backend::Sqlite);
    seed(&url);
    let backup = dir.as_ref().unwrap().path().join("copy.db");
    let out = cli(&url, &["backup", backup.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("RENKEI_AUDIT_KEY_FILE"),
        "{}",
        text(&out)
    );
    let out = cli(&url, &["audit", "checkpoint"], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("renkei audit keygen"), "{}", text(&out));

    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("k.pem");
    let key = key.to_str().unwrap();
    let anchors = keys.path().join("anchors.jsonl");
    let anchors = anchors.to_str().unwrap();
    cli_ok(&url, &["audit", "keygen", key], None);
    let server = Server::start(
        &url,
        &[
            ("RENKEI_AUDIT_KEY_FILE", key),
            ("RENKEI_AUDIT_ANCHOR_FILE", anchors),
        ],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(anchors)
        .map(|t| t.lines().count())
        .unwrap_or(0)
        == 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "serve wrote no checkpoint"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server.stop();
    let first = std::fs::read_to_string(anchors).unwrap();
    assert!(first.contains("\"seq\":2"), "{first}");
    let out = Command::new(BIN)
        .args(["audit", "checkpoint"])
        .env("RENKEI_DATABASE_URL", &url)
        .env("RENKEI_AUDIT_KEY_FILE", key)
        .env("RENKEI_AUDIT_ANCHOR_FILE", anchors)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(anchors).unwrap().lines().count(), 2);
    let out = with_key(&url, key, &["audit", "public-key"]);
    let pem = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    assert!(std::fs::read_to_string(format!("{key}.pub"))
        .unwrap()
        .contains(&pem));
    let out = with_key(&url, key, &["audit", "verify", "--anchor", anchors]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("2 signed checkpoints hold"),
        "{}",
        text(&out)
    );
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

/// `renkei import`: a broken file exits with status 5 and changes nothing;
/// `--allow-mass-removal` lets a real, empty list through.
#[test]
fn import_of_a_broken_file_is_refused_with_status_5() {
    const HEADER: &str = "都道府県コード又は市町村コード,No,都道府県名,市区町村名,事業所名,事業所名カナ,サービスの種類,住所,方書（ビル名等）,緯度,経度,電話番号,FAX番号,法人番号,法人の名称,事業所番号,利用可能曜日,利用可能曜日特記事項,定員,URL,高齢者の方と障害者の方が同時一体的に利用できるサービス,介護保険の通常の指定基準を満たしている,障害福祉の通常の指定基準を満たしている,備考";
    let (url, _dir) = fresh_url(Backend::Sqlite);
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("jigyosho_130.csv");
    let mut good = HEADER.to_string();
    for n in 1..=4 {
        good.push_str(&format!(
            "\n131016,{n},東京都,千代田区,事業所{n},,訪問看護,東京都千代田区,,35.68,139.76,,,,,137010000{n},,,,,,,,"
        ));
    }
    std::fs::write(&file, &good).unwrap();
    let path = file.to_str().unwrap();
    let out = cli_ok(&url, &["import", "care-offices", path], None);
    assert!(out.contains("entries created 4"), "{out}");
    for (what, bytes) in [
        ("empty", Vec::new()),
        ("binary", vec![0u8, 159, 146, 150, 255, 0, 1]),
        ("header only", format!("{HEADER}\n").into_bytes()),
    ] {
        std::fs::write(&file, bytes).unwrap();
        let out = cli(&url, &["import", "care-offices", path], None);
        assert_eq!(out.status.code(), Some(5), "{what}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("IMPORT REFUSED") && stderr.contains("jigyosho_130.csv"),
            "{what}: {stderr}"
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("disappeared 0"),
            "{what}"
        );
    }
    let out = cli(
        &url,
        &["import", "care-offices", "/nonexistent/jigyosho_130.csv"],
        None,
    );
    assert_eq!(out.status.code(), Some(5));
    // The operator says every office of the service closed.
    let out = cli_ok(
        &url,
        &["import", "care-offices", "--allow-mass-removal", path],
        None,
    );
    assert!(out.contains("disappeared 4"), "{out}");
    let (ok, help, _) = run(&["import", "care-offices", "--help"], &[]);
    assert!(ok && help.contains("--allow-mass-removal") && help.contains("status 5"));
    assert!(cli_ok(&url, &["audit", "verify"], None).contains("intact"));
}

/// `renkei directory add-procedure` goes through the directory service: the
/// code and name are checked, a duplicate is refused, and the addition is
/// in the audit trail as the operator's, like every other CLI write.
#[test]
fn add_procedure_is_checked_and_audited() {
    let (url, dir) = fresh_url(Backend::Sqlite);
    cli_ok(&url, &["migrate"], None);
    let out = cli_ok(
        &url,
        &[
            "directory",
            "add-procedure",
            "nasal_feeding",
            " 経鼻経管栄養 ",
        ],
        None,
    );
    assert!(
        out.contains("procedure nasal_feeding (経鼻経管栄養) added"),
        "{out}"
    );
    assert!(
        cli_ok(&url, &["directory", "procedures"], None).contains("nasal_feeding\t経鼻経管栄養")
    );
    for (args, message) in [
        (
            ["directory", "add-procedure", "nasal_feeding", "別名"],
            "already exists",
        ),
        (
            ["directory", "add-procedure", "Nasal-Feeding", "経鼻"],
            "lower-case",
        ),
        (["directory", "add-procedure", "empty_name", " "], "1–60"),
    ] {
        let out = cli(&url, &args, None);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    assert!(cli_ok(&url, &["audit", "verify"], None).contains("intact: 1 records"));
    let path = dir.as_ref().unwrap().path().join("renkei.db");
    let out = Command::new("python3")
        .args(["-c", "import sqlite3,sys; print('|'.join(map(str, sqlite3.connect(sys.argv[1]).execute('SELECT actor_username, role, action, object_id, reason, source_addr FROM audit_log').fetchone())))", path.to_str().unwrap()])
        .output()
        .unwrap();
    let record = String::from_utf8_lossy(&out.stdout);
    assert!(record.starts_with("cli:"), "{record}");
    assert!(
        record
            .trim_end()
            .ends_with("|system_admin|directory.procedure.add|nasal_feeding|経鼻経管栄養|cli"),
        "{record}"
    );
}
