//! Two `renkei serve` processes sharing one PostgreSQL database and nothing
//! else: sessions, logout and login throttling are the database's, so both
//! processes agree.

use crate::support::*;
use renkei_store::testing::fresh_url;
use renkei_store::Backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_logout_and_throttling_are_shared() {
    let (db_url, _) = fresh_url(Backend::Postgres);
    seed(&db_url);
    cli_ok(
        &db_url,
        &[
            "user",
            "create",
            "--username",
            "victim",
            "--name",
            "被害 者",
            "--role",
            "coordinator",
            "--region",
            "t1",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    let a = Server::start(&db_url, &[]);
    let b = Server::start(&db_url, &[]);

    // A session made on A is valid on B.
    let mut on_a = Client::new(&a.base);
    let (_, location, _) = on_a.login("coord", PASSWORD).await;
    assert_eq!(location.as_deref(), Some("/"));
    let mut on_b = on_a.on(&b.base);
    let (status, _, body) = on_b.get("/").await;
    assert_eq!(status, 200);
    assert!(body.contains("試験 太郎"));

    // Logging out on B ends it on A.
    let (_, location, _) = on_b.post_form("/logout", &[]).await;
    assert_eq!(location.as_deref(), Some("/login?logged_out=1"));
    let (status, location, _) = on_a.get("/").await;
    assert_eq!(status, 303);
    assert!(location.unwrap_or_default().starts_with("/login"));

    // Failed logins count across both: five wrong passwords, alternating, lock the account.
    let mut attacker_a = Client::new(&a.base);
    let mut attacker_b = Client::new(&b.base);
    for i in 0..5 {
        let c = if i % 2 == 0 {
            &mut attacker_a
        } else {
            &mut attacker_b
        };
        let (status, _, _) = c.login("victim", "wrong password!").await;
        assert!(status == 422 || status == 403, "attempt {i}: {status}");
    }
    // Locked on both processes: the right password gets the same answer as
    // a wrong one (the lock-out is not revealed), and no session.
    for c in [&mut attacker_a, &mut attacker_b] {
        let (status, location, body) = c.login("victim", PASSWORD).await;
        assert_eq!(status, 422, "locked on both processes");
        assert_eq!(location, None);
        assert!(
            body.contains("ユーザー名またはパスワードが正しくありません"),
            "{body}"
        );
    }
    // The unlock is an audited administrator action.
    cli_ok(&db_url, &["user", "unlock", "victim"], None);
    let (_, location, _) = attacker_b.login("victim", PASSWORD).await;
    assert_eq!(location.as_deref(), Some("/"));
    a.stop();
    b.stop();
    let out = cli_ok(&db_url, &["audit", "verify"], None);
    assert!(out.contains("intact"));
}
