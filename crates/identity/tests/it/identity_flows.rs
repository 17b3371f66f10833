//! Users, organisations, sessions, MFA, API tokens and their audit records,
//! on SQLite and PostgreSQL.

use renkei_domain::Role;
use renkei_identity::service_types::*;
use renkei_identity::*;
use renkei_store::audit::{self, AuditQuery, Verification};
use renkei_store::{both_backends, Db};

fn ctx() -> RequestContext {
    RequestContext {
        source_addr: "192.0.2.10".into(),
        user_agent: "test".into(),
    }
}

/// Another client address, so throttling by address stays apart.
fn other_address() -> RequestContext {
    RequestContext {
        source_addr: "198.51.100.20".into(),
        user_agent: "test".into(),
    }
}

fn cli() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}

struct World {
    identity: Identity,
    region: i64,
    other_region: i64,
    org: i64,
}

async fn world(db: Db, config: IdentityConfig) -> World {
    world_at(db, config, std::sync::Arc::new(renkei_domain::SystemClock)).await
}

/// The world with identity reading the time from `clock`.
async fn world_at(
    db: Db,
    config: IdentityConfig,
    clock: std::sync::Arc<dyn renkei_domain::Clock>,
) -> World {
    let identity = Identity::with_clock(db, config, clock);
    let region = identity
        .create_region(&cli(), "r1", "第一圏域", false, &ctx())
        .await
        .unwrap();
    let other_region = identity
        .create_region(&cli(), "r2", "第二圏域", false, &ctx())
        .await
        .unwrap();
    let muni = identity
        .create_municipality(
            &cli(),
            &NewMunicipality {
                region_id: Some(region),
                code: "13101".into(),
                name: "千代田区".into(),
                kana: "ちよだく".into(),
                population: None,
            },
            &ctx(),
        )
        .await
        .unwrap();
    let org = identity
        .create_organisation(
            &cli(),
            &NewOrganisation {
                region_id: Some(region),
                kind: "clinic".into(),
                name: "みどり診療所".into(),
                municipality_id: Some(muni),
                ..Default::default()
            },
            &ctx(),
        )
        .await
        .unwrap();
    World {
        identity,
        region,
        other_region,
        org,
    }
}

async fn add_user(w: &World, username: &str, role: &str, region: i64) -> i64 {
    w.identity
        .create_user(
            &cli(),
            &NewUser {
                region_id: Some(region),
                username: username.into(),
                display_name: format!("{username} さん"),
                role: role.into(),
                profession: "nurse".into(),
                password: "correct horse battery".into(),
                org_ids: if region == w.region {
                    vec![w.org]
                } else {
                    vec![]
                },
                ..Default::default()
            },
            &ctx(),
        )
        .await
        .unwrap()
}

fn totp_now(secret: &str) -> String {
    mfa::current_code(secret).unwrap()
}

both_backends!(
    municipality_code_check_digit_is_enforced,
    |db: Db| async move {
        let w = world(db, IdentityConfig::default()).await;
        let err = w
            .identity
            .create_municipality(
                &cli(),
                &NewMunicipality {
                    region_id: Some(w.region),
                    code: "131017".into(),
                    name: "誤り".into(),
                    ..Default::default()
                },
                &ctx(),
            )
            .await
            .unwrap_err();
        match err {
            IdentityError::Validation(v) => assert_eq!(v.0[0].field, "code"),
            other => panic!("{other:?}"),
        }
    }
);

both_backends!(
    password_login_without_mfa_role_goes_home,
    |db: Db| async move {
        let w = world(db, IdentityConfig::default()).await;
        add_user(&w, "officer", "municipal_officer", w.region).await;
        let r = w
            .identity
            .login("Officer", "correct horse battery", &ctx())
            .await
            .unwrap();
        assert_eq!(r.next, NextStep::Home);
        match w.identity.session(&r.session_token).await.unwrap() {
            Some(SessionState::Active(p)) => {
                assert_eq!(p.role, Role::MunicipalOfficer);
                assert_eq!(p.org_ids.len(), 1);
            }
            other => panic!("{other:?}"),
        }
        w.identity.logout(&r.session_token, &ctx()).await.unwrap();
        assert!(w
            .identity
            .session(&r.session_token)
            .await
            .unwrap()
            .is_none());
    }
);

both_backends!(
    mfa_enrolment_then_login_with_code_and_recovery_code,
    |db: Db| async move {
        let w = world(db.clone(), IdentityConfig::default()).await;
        add_user(&w, "nurse", "professional", w.region).await;
        let r = w
            .identity
            .login("nurse", "correct horse battery", &ctx())
            .await
            .unwrap();
        assert_eq!(r.next, NextStep::Enrol, "professionals must enrol TOTP");
        assert!(matches!(
            w.identity.session(&r.session_token).await.unwrap(),
            Some(SessionState::NeedsEnrolment { .. })
        ));
        let enrol = w.identity.begin_enrolment(&r.session_token).await.unwrap();
        assert!(enrol.qr_svg.contains("<svg"));
        assert!(w
            .identity
            .confirm_enrolment(&r.session_token, "000000", &ctx())
            .await
            .is_err());
        // The same code string is replayed below, so it is taken once.
        let first_code = totp_now(&enrol.secret);
        let (enrolled, codes) = w
            .identity
            .confirm_enrolment(&r.session_token, &first_code, &ctx())
            .await
            .unwrap();
        assert_eq!(codes.len(), mfa::RECOVERY_CODES);
        // The session is rotated at the second factor: the pre-MFA cookie
        // value is dead, the new one is fully signed in.
        assert!(w
            .identity
            .session(&r.session_token)
            .await
            .unwrap()
            .is_none());
        assert!(matches!(
            w.identity.session(&enrolled).await.unwrap(),
            Some(SessionState::Active(_))
        ));

        // Next login asks for the code; the same code cannot be replayed.
        let r2 = w
            .identity
            .login("nurse", "correct horse battery", &ctx())
            .await
            .unwrap();
        assert_eq!(r2.next, NextStep::Mfa);
        assert!(matches!(
            w.identity
                .verify_mfa(&r2.session_token, &first_code, &ctx())
                .await,
            Err(IdentityError::BadCode)
        ));
        // A recovery code works once.
        let signed_in = w
            .identity
            .verify_mfa(&r2.session_token, &codes[0], &ctx())
            .await
            .unwrap();
        assert!(matches!(
            w.identity.session(&signed_in).await.unwrap(),
            Some(SessionState::Active(_))
        ));
        assert!(w
            .identity
            .session(&r2.session_token)
            .await
            .unwrap()
            .is_none());
        let r3 = w
            .identity
            .login("nurse", "correct horse battery", &ctx())
            .await
            .unwrap();
        assert!(w
            .identity
            .verify_mfa(&r3.session_token, &codes[0], &ctx())
            .await
            .is_err());

        let actions: Vec<String> = audit::search(
            &db,
            &AuditQuery {
                actor_username: Some("nurse".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{}:{}", r.action, r.outcome))
        .collect();
        for expected in [
            "mfa.enrol:success",
            "login.mfa:success",
            "login.mfa:failure",
            "login:success",
        ] {
            assert!(
                actions.contains(&expected.to_string()),
                "{expected} missing from {actions:?}"
            );
        }
        assert!(matches!(
            audit::verify(&db).await.unwrap(),
            Verification::Intact { .. }
        ));
    }
);

both_backends!(
    lockout_after_failures_and_audited_unlock,
    |db: Db| async move {
        let w = world(
            db.clone(),
            IdentityConfig {
                lockout_threshold: 3,
                ..IdentityConfig::default()
            },
        )
        .await;
        let id = add_user(&w, "cmgr", "municipal_officer", w.region).await;
        for _ in 0..2 {
            assert!(matches!(
                w.identity.login("cmgr", "wrong password!", &ctx()).await,
                Err(IdentityError::BadCredentials)
            ));
        }
        // The failure that locks answers like any wrong password, and so
        // does the right password while the lock lasts: the answer reveals
        // neither the lock nor the account.
        assert!(matches!(
            w.identity.login("cmgr", "wrong password!", &ctx()).await,
            Err(IdentityError::BadCredentials)
        ));
        assert!(matches!(
            w.identity
                .login("cmgr", "correct horse battery", &ctx())
                .await,
            Err(IdentityError::BadCredentials)
        ));
        assert!(matches!(
            w.identity
                .login("nobody", "correct horse battery", &ctx())
                .await,
            Err(IdentityError::BadCredentials)
        ));
        w.identity.unlock_user(&cli(), id, &ctx()).await.unwrap();
        assert!(w
            .identity
            .login("cmgr", "correct horse battery", &ctx())
            .await
            .is_ok());
        let unlocks = audit::search(
            &db,
            &AuditQuery {
                action: Some("user.unlock".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(unlocks.len(), 1);
        let locks = audit::search(
            &db,
            &AuditQuery {
                action: Some("account.lock".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(locks.len(), 1);
    }
);

both_backends!(throttling_by_source_address, |db: Db| async move {
    let w = world(
        db,
        IdentityConfig {
            throttle_per_source: 4,
            ..IdentityConfig::default()
        },
    )
    .await;
    for i in 0..4 {
        let _ = w
            .identity
            .login(&format!("ghost{i}"), "whatever-password", &ctx())
            .await;
    }
    assert!(matches!(
        w.identity
            .login("ghost9", "whatever-password", &ctx())
            .await,
        Err(IdentityError::Throttled { .. })
    ));
    let elsewhere = RequestContext {
        source_addr: "198.51.100.1".into(),
        user_agent: "t".into(),
    };
    assert!(matches!(
        w.identity
            .login("ghost9", "whatever-password", &elsewhere)
            .await,
        Err(IdentityError::BadCredentials)
    ));
});

// On a clock the test moves: the rule holds at any instant, without
// waiting for it.
both_backends!(idle_timeout_ends_session, |db: Db| async move {
    let clock = std::sync::Arc::new(renkei_domain::ManualClock::at(renkei_domain::Timestamp(
        1_800_000_000_000,
    )));
    let w = world_at(
        db,
        IdentityConfig {
            session_idle_secs: 60,
            ..IdentityConfig::default()
        },
        clock.clone(),
    )
    .await;
    add_user(&w, "officer", "municipal_officer", w.region).await;
    let r = w
        .identity
        .login("officer", "correct horse battery", &ctx())
        .await
        .unwrap();
    assert!(w
        .identity
        .session(&r.session_token)
        .await
        .unwrap()
        .is_some());
    clock.advance_seconds(59);
    assert!(w
        .identity
        .session(&r.session_token)
        .await
        .unwrap()
        .is_some());
    // 59 s of quiet after the last use, plus 61: past the idle limit.
    clock.advance_seconds(61);
    assert!(w
        .identity
        .session(&r.session_token)
        .await
        .unwrap()
        .is_none());
});

both_backends!(absolute_timeout_ends_session, |db: Db| async move {
    let w = world(
        db,
        IdentityConfig {
            session_absolute_secs: 1,
            ..IdentityConfig::default()
        },
    )
    .await;
    add_user(&w, "officer", "municipal_officer", w.region).await;
    let r = w
        .identity
        .login("officer", "correct horse battery", &ctx())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(w
        .identity
        .session(&r.session_token)
        .await
        .unwrap()
        .is_none());
});

both_backends!(
    disable_ends_sessions_and_region_admin_is_scoped,
    |db: Db| async move {
        let w = world(
            db,
            IdentityConfig {
                require_mfa: false,
                ..IdentityConfig::default()
            },
        )
        .await;
        add_user(&w, "admin1", "region_admin", w.region).await;
        let target = add_user(&w, "officer", "municipal_officer", w.region).await;
        let foreign = add_user(&w, "foreigner", "municipal_officer", w.other_region).await;
        let r = w
            .identity
            .login("officer", "correct horse battery", &ctx())
            .await
            .unwrap();
        let admin_session = w
            .identity
            .login("admin1", "correct horse battery", &ctx())
            .await
            .unwrap();
        let Some(SessionState::Active(admin)) = w
            .identity
            .session(&admin_session.session_token)
            .await
            .unwrap()
        else {
            panic!()
        };
        let admin = Actor::User(admin);
        let listed: Vec<String> = w
            .identity
            .list_users(&admin)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert!(listed.contains(&"officer".to_string()));
        assert!(
            !listed.contains(&"foreigner".to_string()),
            "other region's users are invisible"
        );
        assert!(matches!(
            w.identity.disable_user(&admin, foreign, &ctx()).await,
            Err(IdentityError::NotFound)
        ));
        w.identity
            .disable_user(&admin, target, &ctx())
            .await
            .unwrap();
        assert!(w
            .identity
            .session(&r.session_token)
            .await
            .unwrap()
            .is_none());
        assert!(matches!(
            w.identity
                .login("officer", "correct horse battery", &ctx())
                .await,
            Err(IdentityError::Disabled)
        ));
        // A region admin cannot create a system administrator or an org in another region.
        let sys = NewUser {
            username: "root2".into(),
            display_name: "x".into(),
            role: "system_admin".into(),
            profession: "other".into(),
            password: "long enough password".into(),
            ..Default::default()
        };
        assert!(matches!(
            w.identity.create_user(&admin, &sys, &ctx()).await,
            Err(IdentityError::Forbidden)
        ));
        let org = NewOrganisation {
            region_id: Some(w.other_region),
            kind: "clinic".into(),
            name: "x".into(),
            ..Default::default()
        };
        assert!(matches!(
            w.identity.create_organisation(&admin, &org, &ctx()).await,
            Err(IdentityError::Forbidden)
        ));
    }
);

both_backends!(
    api_tokens_are_scoped_expiring_and_revocable,
    |db: Db| async move {
        let w = world(db, IdentityConfig::default()).await;
        add_user(&w, "officer", "municipal_officer", w.region).await;
        let r = w
            .identity
            .login("officer", "correct horse battery", &ctx())
            .await
            .unwrap();
        let Some(SessionState::Active(p)) = w.identity.session(&r.session_token).await.unwrap()
        else {
            panic!()
        };
        assert!(w
            .identity
            .create_api_token(&p, "", &[Scope::Read], 30, &ctx())
            .await
            .is_err());
        assert!(w
            .identity
            .create_api_token(&p, "x", &[Scope::Read], 9999, &ctx())
            .await
            .is_err());
        let (id, secret) = w
            .identity
            .create_api_token(&p, "集計スクリプト", &[Scope::Read], 30, &ctx())
            .await
            .unwrap();
        let tp = w
            .identity
            .authenticate_token(&secret)
            .await
            .unwrap()
            .expect("valid token");
        assert!(!tp.may_write(), "read-only token");
        assert!(w
            .identity
            .authenticate_token("rk_nonsense")
            .await
            .unwrap()
            .is_none());
        let listed = w.identity.list_api_tokens(&p).await.unwrap();
        assert_eq!(listed.len(), 1);
        w.identity.revoke_api_token(&p, id, &ctx()).await.unwrap();
        assert!(w
            .identity
            .authenticate_token(&secret)
            .await
            .unwrap()
            .is_none());
    }
);

both_backends!(duplicate_username_is_a_field_error, |db: Db| async move {
    let w = world(db, IdentityConfig::default()).await;
    add_user(&w, "same", "municipal_officer", w.region).await;
    let dup = NewUser {
        region_id: Some(w.region),
        username: "SAME".into(),
        display_name: "x".into(),
        role: "municipal_officer".into(),
        profession: "other".into(),
        password: "long enough password".into(),
        ..Default::default()
    };
    match w.identity.create_user(&cli(), &dup, &ctx()).await {
        Err(IdentityError::Validation(v)) => assert_eq!(v.0[0].field, "username"),
        other => panic!("{other:?}"),
    }
});

both_backends!(
    a_user_in_several_organisations_sees_all_of_them,
    |db: Db| async move {
        let w = world(db, IdentityConfig::default()).await;
        let second = w
            .identity
            .create_organisation(
                &cli(),
                &NewOrganisation {
                    region_id: Some(w.region),
                    kind: "pharmacy".into(),
                    name: "みどり薬局".into(),
                    ..Default::default()
                },
                &ctx(),
            )
            .await
            .unwrap();
        w.identity
            .create_user(
                &cli(),
                &NewUser {
                    region_id: Some(w.region),
                    username: "twohats".into(),
                    display_name: "二所属 さん".into(),
                    role: "municipal_officer".into(),
                    profession: "pharmacist".into(),
                    password: "correct horse battery".into(),
                    org_ids: vec![w.org, second],
                    ..Default::default()
                },
                &ctx(),
            )
            .await
            .unwrap();
        let r = w
            .identity
            .login("twohats", "correct horse battery", &ctx())
            .await
            .unwrap();
        let Some(SessionState::Active(p)) = w.identity.session(&r.session_token).await.unwrap()
        else {
            panic!()
        };
        let mut ids: Vec<i64> = p.org_ids.iter().map(|o| o.0).collect();
        ids.sort();
        assert_eq!(ids, {
            let mut v = vec![w.org, second];
            v.sort();
            v
        });
        assert_eq!(w.identity.organisations_of(&p).await.unwrap().len(), 2);
    }
);

both_backends!(
    activity_keeps_a_session_alive_and_a_new_password_ends_it,
    |db: Db| async move {
        let w = world(
            db,
            IdentityConfig {
                session_idle_secs: 4,
                ..IdentityConfig::default()
            },
        )
        .await;
        let id = add_user(&w, "officer", "municipal_officer", w.region).await;
        let r = w
            .identity
            .login("officer", "correct horse battery", &ctx())
            .await
            .unwrap();
        // Used after 1.5 s (past the 1 s write gap), so the idle clock restarts…
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert!(w
            .identity
            .session(&r.session_token)
            .await
            .unwrap()
            .is_some());
        // …and 4.5 s after login, 3 s after the last use, it is still alive.
        tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
        assert!(
            w.identity
                .session(&r.session_token)
                .await
                .unwrap()
                .is_some(),
            "activity refreshed the idle clock"
        );
        // A new password set by an administrator ends every session.
        assert!(w
            .identity
            .set_password(&cli(), id, "short", &ctx())
            .await
            .is_err());
        w.identity
            .set_password(&cli(), id, "a brand new password", &ctx())
            .await
            .unwrap();
        assert!(w
            .identity
            .session(&r.session_token)
            .await
            .unwrap()
            .is_none());
        assert!(matches!(
            w.identity
                .login("officer", "correct horse battery", &ctx())
                .await,
            Err(IdentityError::BadCredentials)
        ));
        assert!(w
            .identity
            .login("officer", "a brand new password", &ctx())
            .await
            .is_ok());
    }
);

/// Reads a user's lock-out columns straight from the database.
async fn lock_state(db: &Db, username: &str) -> (i64, Option<i64>, Option<i64>, i64, i64) {
    renkei_store::read!(db, |c| {
        renkei_store::sqlx::query_as(
            "SELECT failed_logins, locked_at, locked_until, lock_count, mfa_failures FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_one(c)
        .await
        .unwrap()
    })
}

async fn enrolled_user(w: &World, username: &str) -> String {
    add_user(w, username, "professional", w.region).await;
    let r = w
        .identity
        .login(username, "correct horse battery", &ctx())
        .await
        .unwrap();
    let e = w.identity.begin_enrolment(&r.session_token).await.unwrap();
    w.identity
        .confirm_enrolment(&r.session_token, &totp_now(&e.secret), &ctx())
        .await
        .unwrap();
    e.secret
}

// Issue 10, point 2: a correct password used to reset the failure counter
// before the code was checked, so "password, then four wrong codes" could
// be repeated for ever. Wrong codes now count until a code succeeds.
both_backends!(
    wrong_codes_count_across_password_logins,
    |db: Db| async move {
        let w = world(db.clone(), IdentityConfig::default()).await;
        let secret = enrolled_user(&w, "nurse2").await;
        let mut results = Vec::new();
        for _round in 0..2 {
            let r = w
                .identity
                .login("nurse2", "correct horse battery", &ctx())
                .await
                .expect("password accepted while not locked");
            for _ in 0..4 {
                results.push(
                    w.identity
                        .verify_mfa(&r.session_token, "000000", &ctx())
                        .await,
                );
                if matches!(results.last(), Some(Err(IdentityError::Locked))) {
                    break;
                }
            }
            if matches!(results.last(), Some(Err(IdentityError::Locked))) {
                break;
            }
        }
        assert_eq!(results.len(), 5, "the fifth wrong code locks: {results:?}");
        assert!(matches!(results[4], Err(IdentityError::Locked)));
        let (_, _, until, count, _) = lock_state(&db, "nurse2").await;
        assert!(until.is_some() && count == 1);
        // Locked: even the right password and a right code get nowhere.
        assert!(matches!(
            w.identity
                .login("nurse2", "correct horse battery", &ctx())
                .await,
            Err(IdentityError::BadCredentials)
        ));
        let _ = secret;
    }
);

// Point 2: one pending session may try only so many codes; recovery codes
// count like TOTP codes; the address is throttled on codes as on passwords.
both_backends!(
    a_pending_session_ends_after_its_code_attempts,
    |db: Db| async move {
        let w = world(
            db.clone(),
            IdentityConfig {
                mfa_attempts_per_session: 3,
                lockout_threshold: 10,
                ..IdentityConfig::default()
            },
        )
        .await;
        let secret = enrolled_user(&w, "nurse3").await;
        let r = w
            .identity
            .login("nurse3", "correct horse battery", &ctx())
            .await
            .unwrap();
        for code in ["000000", "not-a-recovery-code", "000001"] {
            let _ = w.identity.verify_mfa(&r.session_token, code, &ctx()).await;
        }
        let (_, _, _, _, mfa_failures) = lock_state(&db, "nurse3").await;
        assert_eq!(mfa_failures, 3, "the recovery-code guess counted too");
        // The session has ended: even the right code is refused.
        assert!(w
            .identity
            .verify_mfa(&r.session_token, &totp_now(&secret), &ctx())
            .await
            .is_err());
        assert!(w
            .identity
            .session(&r.session_token)
            .await
            .unwrap()
            .is_none());

        // The same deployment with a tight per-address limit.
        // Parallel guesses on one pending session: each takes an attempt
        // before its code is checked, so no more than the limit are ever
        // checked, however many arrive at once.
        let r = w
            .identity
            .login("nurse3", "correct horse battery", &other_address())
            .await
            .unwrap();
        let guesses: Vec<_> = (0..12)
            .map(|i| {
                let id = w.identity.clone();
                let token = r.session_token.clone();
                tokio::spawn(async move {
                    id.verify_mfa(&token, &format!("00000{}", i % 10), &other_address())
                        .await
                })
            })
            .collect();
        for g in guesses {
            let _ = g.await.unwrap();
        }
        let (_, _, _, _, mfa_failures) = lock_state(&db, "nurse3").await;
        assert!(
            mfa_failures <= 3 + 3,
            "at most three more codes were checked: {mfa_failures}"
        );

        let w = World {
            identity: Identity::new(
                db.clone(),
                IdentityConfig {
                    throttle_per_source: 4,
                    lockout_threshold: 50,
                    mfa_attempts_per_session: 50,
                    ..IdentityConfig::default()
                },
            ),
            ..w
        };
        let secret = enrolled_user(&w, "nurse4").await;
        let r = w
            .identity
            .login("nurse4", "correct horse battery", &ctx())
            .await
            .unwrap();
        let mut throttled = false;
        for _ in 0..10 {
            if let Err(IdentityError::Throttled { .. }) = w
                .identity
                .verify_mfa(&r.session_token, "000000", &ctx())
                .await
            {
                throttled = true;
                break;
            }
        }
        assert!(throttled, "codes from one address are throttled");
        assert!(matches!(
            w.identity
                .verify_mfa(&r.session_token, &totp_now(&secret), &ctx())
                .await,
            Err(IdentityError::Throttled { .. })
        ));
    }
);

// Point 6: a lock-out ends by itself, and the next one lasts longer; a full
// login resets the escalation.
both_backends!(lockouts_expire_and_escalate, |db: Db| async move {
    let w = world(
        db.clone(),
        IdentityConfig {
            lockout_threshold: 2,
            lockout_base_secs: 1,
            ..IdentityConfig::default()
        },
    )
    .await;
    add_user(&w, "officer", "municipal_officer", w.region).await;
    for _ in 0..2 {
        let _ = w.identity.login("officer", "wrong password!", &ctx()).await;
    }
    let (_, at, until, count, _) = lock_state(&db, "officer").await;
    let first = until.unwrap() - at.unwrap();
    assert_eq!((first, count), (1000, 1));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for _ in 0..2 {
        let _ = w.identity.login("officer", "wrong password!", &ctx()).await;
    }
    let (_, at, until, count, _) = lock_state(&db, "officer").await;
    assert_eq!((until.unwrap() - at.unwrap(), count), (2000, 2), "doubled");
    assert!(w
        .identity
        .login("officer", "correct horse battery", &ctx())
        .await
        .is_err());
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    w.identity
        .login("officer", "correct horse battery", &ctx())
        .await
        .expect("the lock has ended by itself");
    let (failed, at, until, count, _) = lock_state(&db, "officer").await;
    assert_eq!((failed, at, until, count), (0, None, None, 0));
});

// Point 4: every recovery step ends sessions and API tokens.
both_backends!(
    recovery_steps_revoke_tokens_and_sessions,
    |db: Db| async move {
        let w = world(db.clone(), IdentityConfig::default()).await;
        let id = add_user(&w, "analyst", "municipal_officer", w.region).await;
        for step in ["set-password", "reset-mfa", "disable", "enable"] {
            let r = w
                .identity
                .login("analyst", "correct horse battery", &ctx())
                .await;
            let Ok(r) = r else {
                assert_eq!(step, "enable", "only a disabled user cannot log in");
                continue;
            };
            let p = match w.identity.session(&r.session_token).await.unwrap() {
                Some(SessionState::Active(p)) => p,
                other => panic!("{other:?}"),
            };
            let (_, secret) = w
                .identity
                .create_api_token(&p, "script", &[Scope::Read], 30, &ctx())
                .await
                .unwrap();
            assert!(w
                .identity
                .authenticate_token(&secret)
                .await
                .unwrap()
                .is_some());
            let ended = match step {
                "set-password" => w
                    .identity
                    .set_password(&cli(), id, "correct horse battery", &ctx())
                    .await
                    .unwrap(),
                "reset-mfa" => w.identity.reset_mfa(&cli(), id, &ctx()).await.unwrap(),
                "disable" => {
                    let e = w.identity.disable_user(&cli(), id, &ctx()).await.unwrap();
                    w.identity.enable_user(&cli(), id, &ctx()).await.unwrap();
                    e
                }
                _ => w.identity.enable_user(&cli(), id, &ctx()).await.unwrap(),
            };
            assert_eq!(
                ended,
                CredentialsEnded {
                    sessions: 1,
                    api_tokens: 1
                },
                "{step}"
            );
            assert!(
                w.identity
                    .authenticate_token(&secret)
                    .await
                    .unwrap()
                    .is_none(),
                "{step}: the token still works"
            );
            assert!(w
                .identity
                .session(&r.session_token)
                .await
                .unwrap()
                .is_none());
        }
    }
);
