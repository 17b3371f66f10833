//! What the directory's integration tests share: the request context,
//! the operator, and a signed-in user of any role.

use renkei_identity::service_types::SessionState;
use renkei_identity::{Actor, Identity, NewUser, RequestContext};

pub fn ctx() -> RequestContext {
    RequestContext {
        source_addr: "127.0.0.1".into(),
        user_agent: "directory-test".into(),
    }
}

/// The operator at the command line.
pub fn cli() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}

/// A user of `role` in `region`, member of `orgs`, signed in (no MFA).
pub async fn user(
    identity: &Identity,
    name: &str,
    role: &str,
    region: i64,
    orgs: Vec<i64>,
) -> Actor {
    identity
        .create_user(
            &cli(),
            &NewUser {
                region_id: Some(region),
                username: name.into(),
                display_name: name.into(),
                email: format!("{name}@example.jp"),
                role: role.into(),
                profession: "other".into(),
                password: "correct horse battery".into(),
                org_ids: orgs,
                ..Default::default()
            },
            &ctx(),
        )
        .await
        .unwrap();
    let login = identity
        .login(name, "correct horse battery", &ctx())
        .await
        .unwrap();
    match identity.session(&login.session_token).await.unwrap() {
        Some(SessionState::Active(p)) => Actor::User(p),
        _ => panic!("no active session"),
    }
}
