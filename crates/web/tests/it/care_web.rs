//! The care pages and API over HTTP on both databases: script in a post
//! renders inert, an executable renamed to .jpg is refused with a message,
//! and an API retry with the same Idempotency-Key answers with the first post.

use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request};
use renkei_store::Backend;
use renkei_web::WebConfig;

fn multipart(
    path: &str,
    session: &Session,
    parts: &[(&str, Option<&str>, &[u8])],
) -> Request<Body> {
    let boundary = "----renkeitestboundary";
    let mut body = Vec::new();
    for (name, filename, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method("POST")
        .uri(format!("{path}?csrf={}", session.csrf))
        .header(header::COOKIE, &session.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

async fn run(backend: Backend) {
    let w = world(
        backend,
        WebConfig {
            cookie_secure: false,
            ..WebConfig::default()
        },
    )
    .await;
    let pro = w.session(Who::Professional);
    let path = format!("/patients/{}/posts", w.patient);

    // XSS: the payload is stored as written and shown as text.
    let payload = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    let reply = send(
        &w.app,
        multipart(
            &path,
            pro,
            &[
                ("category", None, b"other"),
                ("body", None, payload.as_bytes()),
                ("idempotency_key", None, b"xss-test-key-1"),
            ],
        ),
    )
    .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let page = send(
        &w.app,
        request(
            "GET",
            &format!("/patients/{}", w.patient),
            w.session(Who::Family),
            None,
        ),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert"), "script rendered live");
    assert!(!page.body.contains("<img src=x"), "img rendered live");
    let at = page.body.find("alert").expect("the text is shown");
    let shown = &page.body[at.saturating_sub(40)..at + 80];
    assert!(
        shown.contains("&lt;script&gt;") || shown.contains("&#60;script&#62;"),
        "{shown}"
    );
    let api = send(
        &w.app,
        request(
            "GET",
            &format!("/api/v1/patients/{}/posts", w.patient),
            pro,
            None,
        ),
    )
    .await;
    assert!(
        api.body.contains("\\u003cscript") || api.body.contains("<script>alert"),
        "API returns the text as data"
    );

    // Type spoofing: an ELF executable named photo.jpg.
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend(std::iter::repeat_n(0u8, 256));
    let reply = send(
        &w.app,
        multipart(
            &path,
            pro,
            &[
                ("category", None, b"skin"),
                ("body", None, "褥瘡の写真".as_bytes()),
                ("idempotency_key", None, b"spoof-key-0001"),
                ("files", Some("photo.jpg"), &elf),
            ],
        ),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("添付できるのは画像"), "{}", reply.body);
    let count = send(
        &w.app,
        request("GET", &format!("/patients/{}?q=褥瘡", w.patient), pro, None),
    )
    .await;
    assert!(!count.body.contains("褥瘡の写真</p>"), "nothing was posted");

    // A real image is accepted and gets a thumbnail.
    let png = {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(64, 48, image::Rgb([10, 120, 60]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    };
    let reply = send(
        &w.app,
        multipart(
            &path,
            pro,
            &[
                ("category", None, b"skin"),
                ("body", None, "写真".as_bytes()),
                ("idempotency_key", None, b"png-key-00001"),
                ("files", Some("wound.png"), &png),
            ],
        ),
    )
    .await;
    assert_eq!(reply.status, 303, "{}", reply.body);

    // Multipart without the token in the URL is refused.
    let mut req = multipart(&path, pro, &[("body", None, b"x")]);
    *req.uri_mut() = path.parse().unwrap();
    assert_eq!(send(&w.app, req).await.status, 403);

    // API retries: same key and body → the same post, 201 then 200.
    let body = r#"{"category":"vitals","text":"訪問時","vitals":{"temperature":37.2}}"#;
    let post = |key: &'static str| {
        let mut r = request(
            "POST",
            &format!("/api/v1/patients/{}/posts", w.patient),
            pro,
            Some(body),
        );
        r.headers_mut()
            .insert("idempotency-key", key.parse().unwrap());
        r
    };
    let first = send(&w.app, post("api-retry-key-1")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = send(&w.app, post("api-retry-key-1")).await;
    assert_eq!(again.status, 200, "{}", again.body);
    let id = |b: &str| serde_json::from_str::<serde_json::Value>(b).unwrap()["id"].clone();
    assert_eq!(id(&first.body), id(&again.body));
    let missing = send(
        &w.app,
        request(
            "POST",
            &format!("/api/v1/patients/{}/posts", w.patient),
            pro,
            Some(body),
        ),
    )
    .await;
    assert_eq!(missing.status, 422);
    assert!(missing.content_type.starts_with("application/problem+json"));
    assert!(missing.body.contains("idempotency_key"));

    // Unusual values come back as field errors to confirm.
    let mut r = request(
        "POST",
        &format!("/api/v1/patients/{}/posts", w.patient),
        pro,
        Some(r#"{"category":"vitals","vitals":{"temperature":43.0}}"#),
    );
    r.headers_mut()
        .insert("idempotency-key", "unusual-key-1".parse().unwrap());
    let unusual = send(&w.app, r).await;
    assert_eq!(unusual.status, 422);
    assert!(unusual.body.contains("\"unusual\""), "{}", unusual.body);

    // FHIR Observation carries LOINC and UCUM.
    let obs = send(
        &w.app,
        request(
            "GET",
            &format!("/fhir/Observation?patient={}&code=8310-5", w.patient),
            pro,
            None,
        ),
    )
    .await;
    assert_eq!(obs.status, 200, "{}", obs.body);
    assert!(
        obs.body.contains("\"8310-5\"") && obs.body.contains("\"Cel\""),
        "{}",
        obs.body
    );
    fhir_search_semantics(&w).await;
    // The OpenAPI document lists the care API.
    let doc = send(&w.app, request("GET", "/api/v1/openapi.json", pro, None)).await;
    assert!(doc
        .body
        .contains("/api/v1/patients/{id}/posts/{post}/acknowledge"));
}

/// FHIR searches as a client pages them: every post is reachable past the
/// first 100, `self`/`next`/`previous` keep `_count`, token systems are
/// honoured, unknown parameters follow `Prefer: handling`, and a patient
/// that does not exist finds nothing rather than 404.
async fn fhir_search_semantics(w: &World) {
    let pro = w.session(Who::Professional);
    for n in 0..110 {
        let mut r = request(
            "POST",
            &format!("/api/v1/patients/{}/posts", w.patient),
            pro,
            Some(r#"{"category":"vitals","text":"定期","vitals":{"temperature":36.5,"pulse":70}}"#),
        );
        r.headers_mut().insert(
            "idempotency-key",
            format!("fhir-paging-{n:04}").parse().unwrap(),
        );
        let reply = send(&w.app, r).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let get = |path: String, prefer: Option<&'static str>| async move {
        let mut r = request("GET", &path, pro, None);
        if let Some(p) = prefer {
            r.headers_mut().insert("prefer", p.parse().unwrap());
        }
        let reply = send(&w.app, r).await;
        let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        (reply.status, body)
    };
    let link = |b: &serde_json::Value, relation: &str| {
        b["link"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["relation"] == relation)
            .map(|l| {
                let url = l["url"].as_str().unwrap();
                url[url.find("/fhir/").unwrap()..].to_string()
            })
    };
    let matches = |b: &serde_json::Value| {
        b["entry"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter(|x| x["search"]["mode"] == "match")
                    .map(|x| x["resource"]["id"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    for (kind, at_least) in [("Communication", 110), ("Observation", 220)] {
        let (status, first) = get(
            format!("/fhir/{kind}?patient={}&_count=100", w.patient),
            None,
        )
        .await;
        assert_eq!(status, 200, "{first}");
        let total = first["total"].as_u64().unwrap() as usize;
        assert!(total >= at_least, "{kind}: total {total}");
        assert!(link(&first, "self").unwrap().contains("_count=100"));
        let mut ids = matches(&first);
        assert_eq!(ids.len(), 100);
        let mut next = link(&first, "next");
        while let Some(path) = next {
            let (status, page) = get(path, None).await;
            assert_eq!(status, 200, "{page}");
            assert!(link(&page, "previous").is_some());
            ids.extend(matches(&page));
            next = link(&page, "next");
        }
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(
            (ids.len(), distinct.len()),
            (total, total),
            "{kind}: every match once"
        );
    }
    // Token systems: LOINC honoured, another system finds nothing.
    let count = |b: &serde_json::Value| b["total"].as_u64().unwrap();
    let (_, loinc) = get(
        format!(
            "/fhir/Observation?patient={}&code=http://loinc.org%7C8867-4",
            w.patient
        ),
        None,
    )
    .await;
    let (_, bare) = get(
        format!("/fhir/Observation?patient={}&code=8867-4", w.patient),
        None,
    )
    .await;
    let (_, other) = get(
        format!(
            "/fhir/Observation?patient={}&code=urn:other%7C8867-4",
            w.patient
        ),
        None,
    )
    .await;
    assert!(count(&loinc) >= 110);
    assert_eq!(count(&loinc), count(&bare));
    assert_eq!(count(&other), 0);
    // `system|` is every code of that system; a modifier is refused rather
    // than ignored (ignoring :not would answer the opposite question).
    let (_, all) = get(format!("/fhir/Observation?patient={}", w.patient), None).await;
    let (_, any_loinc) = get(
        format!(
            "/fhir/Observation?patient={}&code=http://loinc.org%7C",
            w.patient
        ),
        None,
    )
    .await;
    assert_eq!(count(&any_loinc), count(&all));
    let (status, _) = get(
        format!("/fhir/Observation?patient={}&code:not=8867-4", w.patient),
        None,
    )
    .await;
    assert_eq!(status.as_u16(), 400);
    // `code` is the Observation's code; a component's is component-code.
    let (_, systolic) = get(
        format!("/fhir/Observation?patient={}&code=8480-6", w.patient),
        None,
    )
    .await;
    assert_eq!(count(&systolic), 0);
    // Unknown parameters: ignored with a warning, or refused when strict.
    let (status, lenient) = get(
        format!("/fhir/Communication?patient={}&_sort=date", w.patient),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!link(&lenient, "self").unwrap().contains("_sort"));
    assert!(lenient.to_string().contains("\"outcome\""), "{lenient}");
    let (status, strict) = get(
        format!("/fhir/Communication?patient={}&_sort=date", w.patient),
        Some("handling=strict"),
    )
    .await;
    assert_eq!(status, 400, "{strict}");
    assert_eq!(strict["issue"][1]["code"], "not-supported", "{strict}");
    assert_eq!(strict["issue"][1]["location"][0], "http._sort");
    // A patient that does not exist: an empty Bundle.
    for kind in ["CareTeam", "Communication", "Observation", "Consent"] {
        let (status, b) = get(format!("/fhir/{kind}?patient=987654321"), None).await;
        assert_eq!((status.as_u16(), count(&b)), (200, 0), "{kind}: {b}");
    }
    // Patient identifier honours its system and combines with name.
    let (_, pt) = get(format!("/fhir/Patient/{}", w.patient), None).await;
    let id_value = pt["id"].as_str().unwrap().to_string();
    let (_, by_id) = get(
        format!("/fhir/Patient?identifier=urn:renkei:sid:patient%7C{id_value}"),
        None,
    )
    .await;
    assert_eq!(count(&by_id), 1, "{by_id}");
    let (_, wrong) = get(
        format!("/fhir/Patient?identifier=urn:other%7C{id_value}"),
        None,
    )
    .await;
    assert_eq!(count(&wrong), 0);
    let (_, combined) = get(
        format!("/fhir/Patient?identifier=urn:renkei:sid:patient%7C{id_value}&name=zzzz"),
        None,
    )
    .await;
    assert_eq!(count(&combined), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn care_http_on_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn care_http_on_postgres() {
    run(Backend::Postgres).await;
}

/// An id that does not parse answers as it always has: the pages and the
/// JSON API refuse the path (400, the path extractor's rejection, rendered
/// as a page or a problem document), FHIR reads answer 404 as for an id that
/// does not exist (as an OperationOutcome). Typed ids (`Path<PatientId>`) parse exactly as `i64` did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unparsable_ids_answer_as_before() {
    let w = world(
        Backend::Sqlite,
        WebConfig {
            cookie_secure: false,
            ..WebConfig::default()
        },
    )
    .await;
    let pro = w.session(Who::Professional);
    for (path, status) in [
        ("/patients/abc", 400),
        ("/patients/12x/summary", 400),
        ("/posts/abc", 400),
        ("/attachments/abc", 400),
        ("/groups/abc", 400),
        ("/api/v1/patients/abc", 400),
        ("/api/v1/patients/abc/posts/1/reads", 400),
        ("/fhir/Patient/abc", 404),
        ("/fhir/Communication/abc", 404),
        ("/fhir/Observation/abc-temperature", 404),
        ("/fhir/Consent/abc", 404),
    ] {
        let reply = send(&w.app, request("GET", path, pro, None)).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.body);
        if path.starts_with("/fhir/") {
            // FHIR clients get an OperationOutcome, not a problem document.
            assert!(
                reply.content_type.starts_with("application/fhir+json"),
                "{path}: {}",
                reply.content_type
            );
            let outcome: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
            assert_eq!(outcome["resourceType"], "OperationOutcome", "{path}");
            assert_eq!(outcome["issue"][0]["code"], "not-found", "{path}");
        }
    }
    // Refused and unauthenticated FHIR requests too.
    for (who, path, status, code) in [
        (Who::Anonymous, "/fhir/Patient", 401, "login"),
        (Who::Family, "/fhir/Organization", 403, "forbidden"),
    ] {
        let reply = send(&w.app, request("GET", path, w.session(who), None)).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.body);
        let outcome: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(
            (
                outcome["resourceType"].as_str(),
                outcome["issue"][0]["code"].as_str()
            ),
            (Some("OperationOutcome"), Some(code)),
            "{path}: {}",
            reply.body
        );
    }
}

/// The API's patient is the record with its id, in the JSON it always had:
/// the same fields, codes as codes, an optional choice not given as "".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_patient_json_keeps_its_shape() {
    let w = world(
        Backend::Sqlite,
        WebConfig {
            cookie_secure: false,
            ..WebConfig::default()
        },
    )
    .await;
    let pro = w.session(Who::Professional);
    let r = send(
        &w.app,
        request("GET", &format!("/api/v1/patients/{}", w.patient), pro, None),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "address",
            "birth_date",
            "care_application",
            "care_level",
            "care_level_from",
            "care_level_to",
            "contacts",
            "household",
            "id",
            "independence_dementia",
            "independence_physical",
            "insured_number",
            "kana",
            "name",
            "phone",
            "registering_organization_id",
            "sex",
        ]
    );
    assert_eq!(v["id"], serde_json::json!(w.patient.0));
    assert_eq!(v["sex"], "female");
    assert_eq!(v["care_level"], "none");
    assert_eq!(v["care_application"], "not_applied");
    assert_eq!(v["household"], "");
    assert_eq!(v["independence_physical"], "");
    assert_eq!(v["contacts"], serde_json::json!([]));
    assert!(v["registering_organization_id"].is_i64());
}
