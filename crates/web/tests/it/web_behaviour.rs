//! How the web layer answers bad input and protects pages: CSRF, oversized
//! bodies, problem documents, security headers, time-outs, caching, and the
//! OpenAPI document matching the routes. Runs on both databases where the
//! database matters.

use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request};
use renkei_store::Backend;
use renkei_web::WebConfig;

fn config() -> WebConfig {
    WebConfig {
        cookie_secure: false,
        max_body_bytes: 4096,
        ..WebConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_without_csrf_token_is_refused_with_a_clear_page() {
    let w = world(Backend::Sqlite, config()).await;
    let s = w.session(Who::RegionAdmin);
    let req = Request::post("/admin/organisations")
        .header(header::COOKIE, &s.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("kind=clinic&name=CSRF診療所"))
        .unwrap();
    let reply = send(&w.app, req).await;
    assert_eq!(reply.status, 403);
    assert!(reply.content_type.starts_with("text/html"));
    assert!(
        reply
            .body
            .contains("フォームの有効期限が切れたか、不正な送信です"),
        "{}",
        reply.body
    );
    // A wrong token is refused too, and nothing was created.
    let req = request(
        "POST",
        "/admin/organisations",
        &Session {
            cookie: s.cookie.clone(),
            csrf: "forged".into(),
        },
        Some("kind=clinic&name=CSRF診療所"),
    );
    assert_eq!(send(&w.app, req).await.status, 403);
    let list = send(&w.app, request("GET", "/api/v1/organizations", s, None)).await;
    assert!(!list.body.contains("CSRF診療所"));
    // The API with a session cookie needs the header.
    let req = Request::post("/api/v1/organizations")
        .header(header::COOKIE, &s.cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"kind":"clinic","name":"x"}"#))
        .unwrap();
    let reply = send(&w.app, req).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.content_type, "application/problem+json");
    assert!(reply.body.contains("X-CSRF-Token"), "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_gets_413_page_and_problem() {
    let w = world(Backend::Sqlite, config()).await;
    let s = w.session(Who::RegionAdmin);
    let big = format!("name={}", "あ".repeat(5000));
    let reply = send(
        &w.app,
        request("POST", "/admin/organisations", s, Some(&big)),
    )
    .await;
    assert_eq!(reply.status, 413);
    assert!(
        reply.body.contains("送信されたデータが大きすぎます"),
        "{}",
        reply.body
    );
    let json = format!(r#"{{"kind":"clinic","name":"{}"}}"#, "x".repeat(10_000));
    let reply = send(
        &w.app,
        request("POST", "/api/v1/organizations", s, Some(&json)),
    )
    .await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.content_type, "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_are_field_level_in_both_interfaces() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let w = world(backend, config()).await;
        let s = w.session(Who::Coordinator);
        let reply = send(
            &w.app,
            request(
                "POST",
                "/api/v1/organizations",
                s,
                Some(r#"{"kind":"spaceport","name":""}"#),
            ),
        )
        .await;
        assert_eq!(reply.status, 422);
        assert_eq!(reply.content_type, "application/problem+json");
        let v: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&"kind") && fields.contains(&"name"), "{v}");
        assert_eq!(v["status"], 422);
        // The HTML form shows the message beside the field, in Japanese.
        let reply = send(
            &w.app,
            request("POST", "/admin/organisations", s, Some("kind=&name=")),
        )
        .await;
        assert_eq!(reply.status, 422);
        assert!(reply.body.contains("id=\"name-error\""), "{}", reply.body);
        assert!(reply.body.contains("名称を入力してください。"));
        // Malformed JSON is a 400 problem, not a crash.
        let reply = send(
            &w.app,
            request("POST", "/api/v1/organizations", s, Some("{not json")),
        )
        .await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.content_type, "application/problem+json");
        // And a good one is created (201) and visible.
        let reply = send(
            &w.app,
            request(
                "POST",
                "/api/v1/organizations",
                s,
                Some(r#"{"kind":"pharmacy","name":"青葉薬局"}"#),
            ),
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let list = send(&w.app, request("GET", "/api/v1/organizations", s, None)).await;
        assert!(list.body.contains("青葉薬局"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_expired_session_get_clear_answers() {
    let w = world(Backend::Sqlite, config()).await;
    let anon = w.session(Who::Anonymous);
    let reply = send(
        &w.app,
        request(
            "POST",
            "/login",
            anon,
            Some("username=officer&password=nope-nope-nope"),
        ),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert!(reply
        .body
        .contains("ユーザー名またはパスワードが正しくありません。"));
    // An ended session sends the browser to login with the time-out notice.
    let ended = Session {
        cookie: "renkei_session=not-a-real-session".into(),
        csrf: String::new(),
    };
    let reply = send(&w.app, request("GET", "/", &ended, None)).await;
    assert_eq!(reply.location.as_deref(), Some("/login?expired=1"));
    let reply = send(&w.app, request("GET", "/login?expired=1", &ended, None)).await;
    assert!(reply
        .body
        .contains("一定時間操作がなかったため、ログアウトしました"));
    // The API answers 401 problem+json.
    let reply = send(&w.app, request("GET", "/api/v1/me", &ended, None)).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.content_type, "application/problem+json");
    // A bad bearer token too.
    let req = Request::get("/api/v1/me")
        .header(header::AUTHORIZATION, "Bearer rk_forged")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&w.app, req).await.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_token_reads_and_needs_write_scope_to_write() {
    let w = world(Backend::Sqlite, config()).await;
    let s = w.session(Who::Coordinator);
    let reply = send(
        &w.app,
        request(
            "POST",
            "/account/tokens",
            s,
            Some("name=script&scope=read&days=30"),
        ),
    )
    .await;
    assert_eq!(reply.status, 200);
    let token = reply
        .body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("token shown once")
        .to_string();
    let get = |path: &str| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let me = send(&w.app, get("/api/v1/me")).await;
    assert_eq!(me.status, 200);
    assert!(me.body.contains("\"coordinator\""));
    let post = Request::post("/api/v1/organizations")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"kind":"clinic","name":"読み取り専用"}"#))
        .unwrap();
    assert_eq!(
        send(&w.app, post).await.status,
        403,
        "read-only token cannot write"
    );
    // The token is listed without its secret.
    let account = send(&w.app, request("GET", "/account", s, None)).await;
    assert!(account.body.contains("script") && !account.body.contains(&token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_and_no_store_on_pages() {
    let w = world(
        Backend::Sqlite,
        WebConfig {
            hsts: true,
            ..config()
        },
    )
    .await;
    let reply = send(
        &w.app,
        request("GET", "/", w.session(Who::Coordinator), None),
    )
    .await;
    assert_eq!(reply.status, 200);
    let h = &reply.headers;
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(h["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    assert_eq!(
        h["cache-control"], "no-store",
        "so the back button after logout asks again"
    );
    assert!(h.contains_key("x-request-id"));
    // Autoescaping: a name with markup is shown as text.
    let s = w.session(Who::Coordinator);
    send(
        &w.app,
        request(
            "POST",
            "/api/v1/organizations",
            s,
            Some(r#"{"kind":"clinic","name":"<script>alert(1)</script>"}"#),
        ),
    )
    .await;
    let page = send(&w.app, request("GET", "/admin/organisations", s, None)).await;
    assert!(
        page.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || page.body.contains("&lt;script&gt;"),
        "escaped"
    );
    assert!(!page.body.contains("<script>alert(1)</script>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_session_and_old_pages_send_to_login() {
    let w = world(Backend::Sqlite, config()).await;
    let s = w.session(Who::Professional);
    assert_eq!(send(&w.app, request("GET", "/", s, None)).await.status, 200);
    let out = send(&w.app, request("POST", "/logout", s, None)).await;
    assert_eq!(out.location.as_deref(), Some("/login?logged_out=1"));
    assert!(out.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let again = send(&w.app, request("GET", "/", s, None)).await;
    assert!(
        again
            .location
            .as_deref()
            .unwrap_or("")
            .starts_with("/login"),
        "{:?}",
        again.location
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_and_english_pages() {
    let w = world(Backend::Sqlite, config()).await;
    let s = w.session(Who::Coordinator);
    let r = send(
        &w.app,
        request("POST", "/lang", s, Some("lang=en&back=//evil.example/")),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/"), "no open redirect");
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.starts_with("renkei_lang=en"));
    let en = Session {
        cookie: format!("{}; renkei_lang=en", s.cookie),
        csrf: s.csrf.clone(),
    };
    let page = send(&w.app, request("GET", "/", &en, None)).await;
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("What you can do"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_and_wrong_method_are_pages_or_problems() {
    let w = world(Backend::Sqlite, config()).await;
    let s = w.session(Who::Coordinator);
    let r = send(&w.app, request("GET", "/no/such/page", s, None)).await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("お探しのページは見つかりませんでした"));
    let r = send(&w.app, request("GET", "/api/v1/nothing", s, None)).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.content_type, "application/problem+json");
    let r = send(&w.app, request("GET", "/logout", s, None)).await;
    assert_eq!(r.status, 405);
    assert!(r.content_type.starts_with("text/html"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_every_api_route() {
    let w = world(Backend::Sqlite, config()).await;
    let r = send(
        &w.app,
        request(
            "GET",
            "/api/v1/openapi.json",
            w.session(Who::Anonymous),
            None,
        ),
    )
    .await;
    let doc: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for route in w
        .rows
        .iter()
        .map(|r| r.route)
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
    {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is missing from the OpenAPI document",
            route.method,
            route.path
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_expose_requests_and_pool() {
    let w = world(Backend::Sqlite, config()).await;
    send(
        &w.app,
        request("GET", "/healthz", w.session(Who::Anonymous), None),
    )
    .await;
    let r = send(
        &w.app,
        request("GET", "/metrics", w.session(Who::Anonymous), None),
    )
    .await;
    assert!(
        r.body.contains(
            "renkei_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"
        ),
        "{}",
        r.body
    );
    assert!(r
        .body
        .contains("renkei_http_request_duration_seconds_bucket"));
    assert!(r.body.contains("renkei_db_pool_connections"));
}

// ---- issue 10: hardening -------------------------------------------------

fn form_post(path: &str, s: &Session, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, &s.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={}&{body}", s.csrf)))
        .unwrap()
}

/// Point 3: behind a proxy, the address the proxy appended is the client's;
/// a value the client put in front is ignored (login throttle and audit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_the_appended_address_counts() {
    let w = world(
        Backend::Sqlite,
        WebConfig {
            trust_proxy: true,
            ..config()
        },
    )
    .await;
    let anon = w.session(Who::Anonymous);
    for i in 0..3 {
        let req = Request::post("/login")
            .header(header::COOKIE, &anon.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-forwarded-for", format!("10.66.0.{i}, 203.0.113.9"))
            .body(Body::from(format!(
                "csrf={}&username=nobody&password=wrong-password",
                anon.csrf
            )))
            .unwrap();
        send(&w.app, req).await;
    }
    let sources: Vec<String> = renkei_store::read!(&w.state.care.db().clone(), |c| {
        renkei_store::sqlx::query_scalar(
            "SELECT source_addr FROM audit_log WHERE actor_username = 'nobody' ORDER BY seq",
        )
        .fetch_all(c)
        .await
        .unwrap()
    });
    assert_eq!(sources, vec!["203.0.113.9"; 3], "{sources:?}");
}

/// Point 5: the session id and CSRF token change when the second factor
/// completes; the pre-MFA cookie is worth nothing afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_is_rotated_at_the_second_factor() {
    use renkei_identity::service_types::NextStep;
    let w = world(Backend::Sqlite, config()).await;
    let r = w
        .identity
        .login("professional", PASSWORD, &ctx())
        .await
        .unwrap();
    assert_eq!(r.next, NextStep::Mfa);
    let pending = session_of(&w.identity, r.session_token.clone()).await;
    let secret: String = renkei_store::read!(&w.state.care.db().clone(), |c| {
        renkei_store::sqlx::query_scalar(
            "SELECT mfa_secret FROM users WHERE username = 'professional'",
        )
        .fetch_one(c)
        .await
        .unwrap()
    });
    // The step the world's sign-in used cannot be replayed: forget it.
    let mut tx = w.state.care.db().begin().await.unwrap();
    renkei_store::write!(&mut tx, |c| {
        renkei_store::sqlx::query(
            "UPDATE users SET mfa_last_step = 0 WHERE username = 'professional'",
        )
        .execute(&mut *c)
        .await
        .unwrap();
    });
    tx.commit().await.unwrap();
    let code = renkei_identity::mfa::current_code(&secret).unwrap();
    let reply = send(&w.app, form_post("/mfa", &pending, &format!("code={code}"))).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let set = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("renkei_session="))
        .expect("a new session cookie")
        .to_string();
    let new_token = set
        .trim_start_matches("renkei_session=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(new_token, r.session_token);
    let old = send(
        &w.app,
        Request::get("/patients")
            .header(header::COOKIE, &pending.cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        old.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login")),
        "{:?}",
        old.location
    );
    let fresh = session_of(&w.identity, new_token).await;
    assert_ne!(fresh.csrf, pending.csrf, "the CSRF token is new too");
    let page = send(
        &w.app,
        Request::get("/patients")
            .header(header::COOKIE, &fresh.cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, 200);
}

/// Point 18: what an anonymous caller typed cannot become a formula in the
/// administrator's audit export.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_export_neutralises_formulas() {
    let w = world(Backend::Sqlite, config()).await;
    let anon = w.session(Who::Anonymous);
    let req = Request::post("/login")
        .header(header::COOKIE, &anon.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::USER_AGENT, "@SUM(1+1)*cmd|' /C calc'!A0")
        .body(Body::from(format!(
            "csrf={}&username=%3DHYPERLINK(%22http%3A%2F%2Fevil%22%2C%22x%22)&password=wrong-password",
            anon.csrf
        )))
        .unwrap();
    send(&w.app, req).await;
    let csv = send(
        &w.app,
        Request::get("/admin/audit.csv")
            .header(header::COOKIE, &w.session(Who::SystemAdmin).cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains("'=hyperlink("), "{}", csv.body);
    assert!(csv.body.contains("'@SUM("), "{}", csv.body);
    assert!(!csv.body.contains(",=hyperlink(") && !csv.body.contains(",@SUM("));
}

/// Points 19, 21, 22: attachments keep their sandbox policy, API and FHIR
/// answers are never cached, `/lang` returns only to same-site paths.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_api_and_language_switch_headers() {
    let w = world(Backend::Sqlite, config()).await;
    let pro = w.session(Who::Professional);
    let get = |path: String| {
        Request::get(path)
            .header(header::COOKIE, &pro.cookie)
            .body(Body::empty())
            .unwrap()
    };
    let a = send(&w.app, get(format!("/attachments/{}", w.attachment))).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.headers.get(header::CONTENT_SECURITY_POLICY).unwrap(),
        "default-src 'none'; sandbox"
    );
    let cd = a
        .headers
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cd.contains("filename*=UTF-8''%E6%8C%87%E7%A4%BA%E6%9B%B8.pdf"),
        "{cd}"
    );
    for path in [
        format!("/api/v1/patients/{}", w.patient),
        format!("/api/v1/patients/{}/posts", w.patient),
        format!("/fhir/Patient/{}", w.patient),
        format!("/fhir/Communication?patient={}", w.patient),
    ] {
        let r = send(&w.app, get(path.clone())).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.headers.get(header::CACHE_CONTROL).unwrap(),
            "no-store",
            "{path}"
        );
    }
    let anon = w.session(Who::Anonymous);
    for back in [
        "/%09/evil.example",
        "%0d%0a/x",
        "//evil.example",
        "/ok%0d%0aSet-Cookie:%20x=1",
    ] {
        let req = Request::post("/lang")
            .header(header::COOKIE, &anon.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={}&lang=en&back={back}",
                anon.csrf
            )))
            .unwrap();
        let r = send(&w.app, req).await;
        assert_eq!(r.status, 303, "{back}: {}", r.status);
        assert_eq!(r.location.as_deref(), Some("/"), "{back}");
    }
}

/// Point 10: a coordinator links entries only to existing organisations of
/// their own region, and creates entries only in their region's
/// municipalities; each refusal says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_links_stay_in_the_region() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let w = world(backend, config()).await;
        let far_org = w
            .identity
            .create_organisation(
                &renkei_identity::Actor::Cli {
                    os_user: "test".into(),
                },
                &renkei_identity::NewOrganisation {
                    region_id: Some(w.other_region),
                    kind: "clinic".into(),
                    name: "遠くの診療所".into(),
                    ..Default::default()
                },
                &ctx(),
            )
            .await
            .unwrap();
        let coord = w.session(Who::Coordinator);
        let path = format!("/directory/entries/{}/link", w.entry);
        let r = send(
            &w.app,
            form_post(&path, coord, &format!("org_id={far_org}")),
        )
        .await;
        assert_eq!(r.status, 422, "{backend:?}");
        assert!(
            r.body
                .contains("他の圏域の事業所・機関には紐づけられません"),
            "{}",
            r.body
        );
        let r = send(&w.app, form_post(&path, coord, "org_id=999999")).await;
        assert_eq!(
            r.status, 422,
            "a missing organisation is a clear refusal, not a 500"
        );
        assert!(r.body.contains("その事業所・機関は登録されていません"));
        let r = send(
            &w.app,
            form_post(&path, coord, &format!("org_id={}", w.org)),
        )
        .await;
        assert_eq!(r.status, 303);
        // A municipality of another region (Osaka's 大阪市北区 271276).
        let r = send(
            &w.app,
            form_post(
                "/directory/new",
                coord,
                "kind=clinic&name=越境クリニック&municipality_code=271276",
            ),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("この圏域の市区町村コード"), "{}", r.body);
        let r = send(
            &w.app,
            form_post(
                "/directory/new",
                coord,
                "kind=clinic&name=危ないクリニック&municipality_code=131016&url=javascript%3Aalert(1)",
            ),
        )
        .await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("http:// または https://"), "{}", r.body);
    }
}
