//! Directory search over HTTP on both databases: the professional and the
//! public API, width/kana folding, distance order, paging, field-level
//! errors, the public rate limit, and that no professional-only field ever
//! appears in a public answer.

use crate::support::*;
use renkei_directory::fixtures as store;
use renkei_directory::import::{import_care_offices, CARE_SOURCE};
use renkei_domain::SystemClock;
use renkei_domain::Timestamp;
use renkei_identity::Actor;
use renkei_store::Backend;
use renkei_web::WebConfig;

const HEADER: &str = "都道府県コード又は市町村コード,No,都道府県名,市区町村名,事業所名,事業所名カナ,サービスの種類,住所,方書（ビル名等）,緯度,経度,電話番号,FAX番号,法人番号,法人の名称,事業所番号,利用可能曜日,利用可能曜日特記事項,定員,URL,高齢者の方と障害者の方が同時一体的に利用できるサービス,介護保険の通常の指定基準を満たしている,障害福祉の通常の指定基準を満たしている,備考";

fn nursing() -> Vec<u8> {
    [
        HEADER,
        "131016,1,東京都,千代田区,みどり訪問看護ステーション,ミドリホウモンカンゴ,訪問看護,東京都千代田区丸の内1,,35.6812,139.7671,03-1111-1111,,,,1370100011,,,,,,,,",
        "131016,2,東京都,千代田区,ｱｵﾊﾞ訪問看護,アオバホウモンカンゴ,訪問看護,東京都千代田区神田2,,35.6950,139.7700,03-2222-2222,,,,1370100022,,,,,,,,",
        "131016,3,東京都,千代田区,遠くの訪問看護,トオクノホウモンカンゴ,訪問看護,東京都八王子市,,35.6660,139.3160,03-3333-3333,,,,1370100033,,,,,,,,",
    ]
    .join("\n")
    .into_bytes()
}

async fn world_with_directory(backend: Backend, config: WebConfig) -> World {
    let w = world(backend, config).await;
    let db = w.identity.db().clone();
    import_care_offices(
        &db,
        &[("jigyosho_130.csv".into(), nursing())],
        None,
        &operator(),
        &SystemClock,
    )
    .await
    .unwrap();
    let (midori, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100011")
        .await
        .unwrap()
        .unwrap();
    store::set_acceptance(&db, midori.id, "accepting", "今週2名まで", Timestamp::now())
        .await
        .unwrap();
    // Professional-only details that must never reach the public API.
    let mut tx = db.begin().await.unwrap();
    store::write_local_fields(
        &mut tx,
        midori.id,
        &renkei_directory::model::LocalFields {
            contact_windows: vec![renkei_domain::directory::ContactWindow {
                method: "phone".into(),
                weekdays: vec![1, 2, 3, 4, 5, 6, 7],
                from: "00:00".into(),
                to: "24:00".into(),
                note: "所長直通".into(),
            }],
            contact_person: "担当者 秘密".into(),
            local_notes: "連携メモ 秘密".into(),
            procedures: vec!["suction".into()],
            public_fields: vec!["phone".into()],
            publish_consent: true,
            // Its staff, kept to professionals (not a public field here).
            staff_count: Some(3),
            staff_qualifications: vec!["nurse".into(), "chief_care_manager".into()],
            ..Default::default()
        },
        Timestamp::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    w.state
        .directory
        .refresh(&db, renkei_domain::Timestamp::now())
        .await
        .unwrap();
    w
}

fn names(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn professional_search_near_text_accepting_on_both_databases() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let w = world_with_directory(
            backend,
            WebConfig {
                cookie_secure: false,
                ..WebConfig::default()
            },
        )
        .await;
        let s = w.session(Who::Professional);
        let near =
            "/api/v1/directory/search?q=%E8%A8%AA%E5%95%8F%E7%9C%8B%E8%AD%B7&near=35.6950,139.7700";
        let r = send(&w.app, request("GET", near, s, None)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            names(&r.body),
            vec![
                "ｱｵﾊﾞ訪問看護",
                "みどり訪問看護ステーション",
                "遠くの訪問看護"
            ],
            "nearest first"
        );
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert!(v["items"][1]["distance_km"].as_f64().unwrap() > 1.0);
        // "Whose staff includes a nurse": the one office that says so,
        // with its count; the public sees neither (staff is not public).
        let r = send(
            &w.app,
            request(
                "GET",
                "/api/v1/directory/search?service=130&qualification=nurse",
                s,
                None,
            ),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(names(&r.body), vec!["みどり訪問看護ステーション"]);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["items"][0]["staff_count"], 3);
        assert_eq!(v["total"], 1);
        let r = send(
            &w.app,
            request(
                "GET",
                "/api/v1/public/directory/search?qualification=nurse",
                w.session(Who::Anonymous),
                None,
            ),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(names(&r.body), Vec::<String>::new());
        // Full-width katakana finds the half-width name.
        let r = send(
            &w.app,
            request(
                "GET",
                "/api/v1/directory/search?q=%E3%82%A2%E3%82%AA%E3%83%90",
                s,
                None,
            ),
        )
        .await;
        assert_eq!(names(&r.body), vec!["ｱｵﾊﾞ訪問看護"]);
        // Accepting now, with the professional-only note.
        let r = send(
            &w.app,
            request(
                "GET",
                "/api/v1/directory/search?service=130&accepting=true",
                s,
                None,
            ),
        )
        .await;
        assert_eq!(names(&r.body), vec!["みどり訪問看護ステーション"]);
        assert!(r.body.contains("今週2名まで"));
        assert!(
            r.body.contains("所長直通"),
            "contact windows for professionals"
        );
        // Can be contacted now: only the entry with an always-open window;
        // filters on procedures work too.
        for query in ["contactable_now=true", "procedure=suction", "function=h24"] {
            let r = send(
                &w.app,
                request("GET", &format!("/api/v1/directory/search?{query}"), s, None),
            )
            .await;
            let expected: Vec<&str> = if query == "function=h24" {
                vec![]
            } else {
                vec!["みどり訪問看護ステーション"]
            };
            assert_eq!(names(&r.body), expected, "{query}");
        }
        // The public API refuses the professional-only filter by name.
        let r = send(
            &w.app,
            request(
                "GET",
                "/api/v1/public/directory/search?contactable_now=true&procedure=nonsense",
                w.session(Who::Anonymous),
                None,
            ),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("contactable_now") && r.body.contains("procedure"));
        // Radius and paging.
        let r = send(
            &w.app,
            request(
                "GET",
                "/api/v1/directory/search?near=35.6812,139.7671&radius_km=5&limit=1",
                s,
                None,
            ),
        )
        .await;
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 1);
        let cursor = v["next_cursor"]
            .as_str()
            .expect("a second page")
            .to_string();
        let r = send(&w.app, request("GET", &format!("/api/v1/directory/search?near=35.6812,139.7671&radius_km=5&limit=1&cursor={cursor}"), s, None)).await;
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 1);
        assert!(v["next_cursor"].is_null(), "八王子 is outside 5 km");
        // Family members use the public search.
        let r = send(
            &w.app,
            request(
                "GET",
                "/api/v1/directory/search",
                w.session(Who::Family),
                None,
            ),
        )
        .await;
        assert_eq!(r.status, 403);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_search_never_shows_professional_fields() {
    let w = world_with_directory(
        Backend::Sqlite,
        WebConfig {
            cookie_secure: false,
            ..WebConfig::default()
        },
    )
    .await;
    let anon = w.session(Who::Anonymous);
    let r = send(
        &w.app,
        request(
            "GET",
            "/api/v1/public/directory/search?service=130",
            anon,
            None,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(names(&r.body).len(), 3);
    for forbidden in [
        "acceptance",
        "今週2名まで",
        "accepting",
        "所長直通",
        "contact_windows",
        "秘密",
        "suction",
        "procedures",
    ] {
        assert!(
            !r.body.contains(forbidden),
            "public answer leaks {forbidden}: {}",
            r.body
        );
    }
    // Acceptance is not public for any of them, so filtering on it in public
    // finds nothing rather than revealing who is accepting.
    let r = send(
        &w.app,
        request(
            "GET",
            "/api/v1/public/directory/search?service=130&accepting=true",
            anon,
            None,
        ),
    )
    .await;
    assert_eq!(names(&r.body).len(), 0, "{}", r.body);
    // The public detail of one entry: the same public fields, by id.
    let r = send(
        &w.app,
        request(
            "GET",
            "/api/v1/public/directory/search?service=130",
            anon,
            None,
        ),
    )
    .await;
    let page: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let id = page["items"][0]["id"].as_i64().unwrap();
    let detail = send(
        &w.app,
        request(
            "GET",
            &format!("/api/v1/public/directory/entries/{id}"),
            anon,
            None,
        ),
    )
    .await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    let item: serde_json::Value = serde_json::from_str(&detail.body).unwrap();
    assert_eq!(item["name"], page["items"][0]["name"]);
    for forbidden in [
        "acceptance",
        "contact_windows",
        "procedures",
        "今週2名まで",
        "所長直通",
    ] {
        assert!(
            !detail.body.contains(forbidden),
            "detail leaks {forbidden}: {}",
            detail.body
        );
    }
    // An entry whose organisation withdrew consent to publish answers as
    // one that does not exist.
    let db = w.identity.db().clone();
    let mut tx = db.begin().await.unwrap();
    store::write_local_fields(
        &mut tx,
        renkei_domain::EntryId(id),
        &renkei_directory::model::LocalFields {
            publish_consent: false,
            ..Default::default()
        },
        Timestamp::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    w.state
        .directory
        .refresh(&db, renkei_domain::Timestamp::now())
        .await
        .unwrap();
    let hidden = send(
        &w.app,
        request(
            "GET",
            &format!("/api/v1/public/directory/entries/{id}"),
            anon,
            None,
        ),
    )
    .await;
    assert_eq!(hidden.status, 404, "{}", hidden.body);
    for missing in [
        "/api/v1/public/directory/entries/987654321",
        "/api/v1/public/directory/entries/abc",
    ] {
        let r = send(&w.app, request("GET", missing, anon, None)).await;
        assert!(
            matches!(r.status.as_u16(), 404 | 400),
            "{missing}: {}",
            r.status
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_field_errors() {
    let w = world_with_directory(
        Backend::Sqlite,
        WebConfig {
            cookie_secure: false,
            ..WebConfig::default()
        },
    )
    .await;
    let r = send(&w.app, request("GET", "/api/v1/public/directory/search?near=north&kind=spaceport&limit=0&radius_km=9000&municipality=131017&qualification=astronaut&in_region=true", w.session(Who::Anonymous), None)).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.content_type, "application/problem+json");
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "near",
        "kind",
        "limit",
        "radius_km",
        "municipality",
        "qualification",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_search_is_rate_limited() {
    let w = world_with_directory(
        Backend::Sqlite,
        WebConfig {
            cookie_secure: false,
            public_search_per_minute: 5,
            ..WebConfig::default()
        },
    )
    .await;
    let anon = w.session(Who::Anonymous);
    for _ in 0..5 {
        assert_eq!(
            send(
                &w.app,
                request("GET", "/api/v1/public/directory/search", anon, None)
            )
            .await
            .status,
            200
        );
    }
    let r = send(
        &w.app,
        request("GET", "/api/v1/public/directory/search", anon, None),
    )
    .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.content_type, "application/problem+json");
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fhir_directory_on_both_databases() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let w = world_with_directory(
            backend,
            WebConfig {
                cookie_secure: false,
                ..WebConfig::default()
            },
        )
        .await;
        let s = w.session(Who::Professional);
        let get = |path: String| {
            let app = w.app.clone();
            async move {
                let r = send(&app, request("GET", &path, s, None)).await;
                assert_eq!(r.status, 200, "{path}: {}", r.body);
                assert!(
                    r.content_type.starts_with("application/fhir+json"),
                    "{}",
                    r.content_type
                );
                serde_json::from_str::<serde_json::Value>(&r.body).unwrap()
            }
        };
        let meta = get("/fhir/metadata".into()).await;
        let types: Vec<&str> = meta["rest"][0]["resource"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            vec![
                "Practitioner",
                "Organization",
                "Location",
                "HealthcareService",
                "Patient",
                "CareTeam",
                "Communication",
                "Observation",
                "Consent",
                "Composition",
                "Bundle",
                "DocumentReference"
            ]
        );

        // Name search ignores width and kana, like the directory.
        let b = get("/fhir/Organization?name=%E3%82%A2%E3%82%AA%E3%83%90".into()).await;
        assert_eq!(b["resourceType"], "Bundle");
        let org = &b["entry"][0]["resource"];
        assert_eq!(org["name"], "ｱｵﾊﾞ訪問看護");
        assert_eq!(
            org["meta"]["profile"][0],
            "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Organization"
        );
        assert_eq!(
            org["identifier"][0]["system"],
            "urn:renkei:id:care-office-number"
        );
        assert_eq!(org["identifier"][0]["value"], "1370100022");
        // Identifier search and read.
        let b = get(
            "/fhir/Organization?identifier=urn:renkei:id:care-office-number%7C1370100011".into(),
        )
        .await;
        assert_eq!(
            b["entry"][0]["resource"]["name"],
            "みどり訪問看護ステーション"
        );
        // Every match is in the Bundle, so it says how many.
        assert_eq!(b["total"], 1);
        let none =
            get("/fhir/Organization?identifier=urn:renkei:id:care-office-number%7C0".into()).await;
        assert_eq!(none["total"], 0);
        assert!(none.get("entry").is_none(), "no empty entry array: {none}");
        // The system is honoured: the same number as a 医療機関コード is
        // not this care office.
        let other = get(
            "/fhir/Organization?identifier=http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no%7C1370100011".into(),
        )
        .await;
        assert_eq!(other["total"], 0, "{other}");
        // …and combined with the other parameters, not instead of them.
        let combined = get(
            "/fhir/Organization?identifier=1370100011&type=urn:renkei:cs:org-kind%7Cpharmacy"
                .into(),
        )
        .await;
        assert_eq!(combined["total"], 0, "{combined}");
        let by_value = get("/fhir/Organization?identifier=%7C1370100011,1370100011".into()).await;
        assert_eq!(by_value["total"], 1, "a comma is or: {by_value}");
        let id = b["entry"][0]["resource"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let read = get(format!("/fhir/Location/{id}")).await;
        assert_eq!(read["position"]["latitude"].as_f64(), Some(35.6812));
        // Location near: nearest first, within the distance.
        let b = get("/fhir/Location?near=35.6812%7C139.7671%7C5%7Ckm".into()).await;
        let names: Vec<&str> = b["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            vec!["みどり訪問看護ステーション", "ｱｵﾊﾞ訪問看護"],
            "八王子 is outside 5 km"
        );
        // HealthcareService by service type carries the contact windows.
        let b = get("/fhir/HealthcareService?service-type=130&_count=1".into()).await;
        assert_eq!(b["entry"].as_array().unwrap().len(), 1);
        let link = |b: &serde_json::Value, relation: &str| {
            b["link"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["relation"] == relation)
                .map(|l| l["url"].as_str().unwrap().to_string())
        };
        let next = link(&b, "next").expect("a next link");
        assert!(
            next.contains("_offset=1") && next.contains("_count=1"),
            "{next}"
        );
        assert!(link(&b, "self").unwrap().contains("_count=1"));
        let second = get(next[next.find("/fhir/").unwrap()..].to_string()).await;
        assert!(link(&second, "previous").is_some(), "{second}");
        let hs = get(format!("/fhir/HealthcareService/{id}")).await;
        assert_eq!(hs["availableTime"][0]["allDay"], true);
        assert_eq!(hs["type"][0]["coding"][0]["code"], "130");
        // Bad parameters are named; family members are refused.
        let r = send(
            &w.app,
            request("GET", "/fhir/Location?near=north&_count=abc", s, None),
        )
        .await;
        assert_eq!(r.status, 400, "{}", r.body);
        let outcome: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let named: Vec<&str> = outcome["issue"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["location"][0].as_str())
            .collect();
        assert!(
            named.contains(&"http.near") && named.contains(&"http._count"),
            "{}",
            r.body
        );
        let r = send(
            &w.app,
            request("GET", "/fhir/Organization", w.session(Who::Family), None),
        )
        .await;
        assert_eq!(r.status, 403);
    }
}

/// The operator at the command line, as imports run.
fn operator() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}
