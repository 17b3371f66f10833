//! EMS search without the card: by name (or kana) and birth date within
//! the crew's region, and a neighbour's only once it agreed; exactly one
//! living person; a reason required; ten a day; every search audited and
//! the found person's keeper told.

use renkei_domain::{RegionId, Timestamp};
use renkei_emergency::model::{EmsSearchInput, RecordInput};
use renkei_emergency::SEARCHES_PER_DAY;
use renkei_identity::{Actor, NewMunicipality};
use renkei_store::audit::{self, AuditQuery};
use renkei_store::{both_backends, ServiceError};

use crate::support::*;

fn search(name: &str, birth: &str) -> EmsSearchInput {
    EmsSearchInput {
        name: name.into(),
        birth_date: birth.into(),
        address: String::new(),
        reason: "emergency_transport".into(),
        explanation: "自宅で倒れていた。家族が氏名と生年月日を述べた".into(),
    }
}

both_backends!(
    a_crew_finds_one_person_by_name_and_birth_date_with_a_reason,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let now = Timestamp::from_jst_date("2026-11-01").unwrap();
        let resident = |name: &str, kana: &str, address: &str| RecordInput {
            name: name.into(),
            kana: kana.into(),
            birth_date: "1938-06-06".into(),
            address: address.into(),
            municipality_code: CITY.into(),
            contacts: "長男 090".into(),
            allergies: "ペニシリン".into(),
            ..RecordInput::default()
        };
        w.emergency
            .create_record(
                &w.desk,
                &c,
                &resident("山田 太郎", "やまだ たろう", "千代田区1-1"),
                now,
            )
            .await
            .unwrap();
        // Found by the name, spaces and width aside, or by the kana.
        let sheet = w
            .emergency
            .ems_search(&w.ems, &c, &search("山田太郎", "1938-06-06"), now)
            .await
            .unwrap();
        assert_eq!(sheet.allergies, "ペニシリン");
        // Katakana, half-width or not, finds the kana.
        w.emergency
            .ems_search(&w.ems, &c, &search("ﾔﾏﾀﾞ ﾀﾛｳ", "1938-06-06"), now)
            .await
            .unwrap();
        // The keeper is told.
        assert!(w
            .desk_mail
            .sent()
            .iter()
            .any(|m| m.to == "desk@example.jp" && m.subject.contains("開かれました")));
        // No reason, no search; a professional does not search.
        let mut no_reason = search("山田太郎", "1938-06-06");
        no_reason.reason = String::new();
        no_reason.explanation = "短い".into();
        match w.emergency.ems_search(&w.ems, &c, &no_reason, now).await {
            Err(ServiceError::Validation(e)) => {
                let mut f: Vec<_> = e.0.iter().map(|x| x.field.as_str()).collect();
                f.sort();
                assert_eq!(f, ["explanation", "reason"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            w.emergency
                .ems_search(&w.cm, &c, &search("山田太郎", "1938-06-06"), now)
                .await,
            Err(ServiceError::Forbidden)
        ));
        // Nobody, then two of the same name and birth date: the address decides.
        match w
            .emergency
            .ems_search(&w.ems, &c, &search("山田太郎", "1938-06-07"), now)
            .await
        {
            Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].code, "not_found"),
            other => panic!("{other:?}"),
        }
        w.emergency
            .create_record(
                &w.desk,
                &c,
                &resident("山田 太郎", "やまだ たろう", "千代田区9-9"),
                now,
            )
            .await
            .unwrap();
        match w
            .emergency
            .ems_search(&w.ems, &c, &search("山田太郎", "1938-06-06"), now)
            .await
        {
            Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].code, "ambiguous"),
            other => panic!("{other:?}"),
        }
        let mut with_address = search("山田太郎", "1938-06-06");
        with_address.address = "9-9".into();
        let sheet = w
            .emergency
            .ems_search(&w.ems, &c, &with_address, now)
            .await
            .unwrap();
        assert_eq!(sheet.address, "千代田区9-9");
        // Every search is audited with its reason, found or not.
        let trail = audit::search(
            &w.db,
            &AuditQuery {
                action: Some("emergency.ems_search".into()),
                limit: 100,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(trail.len(), 5);
        assert!(trail
            .iter()
            .all(|a| a.reason.starts_with("emergency_transport: ")));
        assert_eq!(trail.iter().filter(|a| a.outcome == "failure").count(), 2);
        // Ten a day.
        for _ in 5..SEARCHES_PER_DAY {
            let _ = w.emergency.ems_search(&w.ems, &c, &with_address, now).await;
        }
        assert!(matches!(
            w.emergency.ems_search(&w.ems, &c, &with_address, now).await,
            Err(ServiceError::Limited(_))
        ));
        let tomorrow = now.plus_seconds(DAY + 1);
        w.emergency
            .ems_search(&w.ems, &c, &with_address, tomorrow)
            .await
            .unwrap();
    }
);

both_backends!(
    a_neighbouring_regions_crew_searches_only_once_agreed,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let now = Timestamp::from_jst_date("2026-11-01").unwrap();
        w.emergency
            .create_record(
                &w.desk,
                &c,
                &RecordInput {
                    name: "境 花子".into(),
                    birth_date: "1941-02-02".into(),
                    municipality_code: CITY.into(),
                    contacts: "長女".into(),
                    ..RecordInput::default()
                },
                now,
            )
            .await
            .unwrap();
        let cli = Actor::Cli {
            os_user: "test".into(),
        };
        let next = w
            .identity
            .create_region(&cli, "r2", "第二圏域", false, &ctx())
            .await
            .unwrap();
        w.identity
            .create_municipality(
                &cli,
                &NewMunicipality {
                    region_id: Some(next),
                    code: "131024".into(),
                    name: "中央区".into(),
                    kana: String::new(),
                    population: None,
                },
                &ctx(),
            )
            .await
            .unwrap();
        let crew = user(&w.identity, "ems2", "ems", "ems", next, vec![]).await;
        let admin = user(
            &w.identity,
            "admin1",
            "region_admin",
            "other",
            w.region,
            vec![],
        )
        .await;
        let q = search("境花子", "1941-02-02");
        match w.emergency.ems_search(&crew, &c, &q, now).await {
            Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].code, "not_found"),
            other => panic!("{other:?}"),
        }
        // Only the region's administrator agrees, and not with itself.
        assert!(matches!(
            w.emergency.agree(&w.desk, &c, RegionId(next), now).await,
            Err(ServiceError::Forbidden)
        ));
        assert!(matches!(
            w.emergency.agree(&admin, &c, RegionId(w.region), now).await,
            Err(ServiceError::Validation(_))
        ));
        w.emergency
            .agree(&admin, &c, RegionId(next), now)
            .await
            .unwrap();
        let sheet = w.emergency.ems_search(&crew, &c, &q, now).await.unwrap();
        assert_eq!(sheet.name, "境 花子");
        // Our own crew does not reach the neighbour's residents by it.
        let agreements = w.emergency.agreements(&admin).await.unwrap();
        assert_eq!(agreements.len(), 1);
        w.emergency
            .end_agreement(&admin, &c, agreements[0].0, now)
            .await
            .unwrap();
        match w.emergency.ems_search(&crew, &c, &q, now).await {
            Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].code, "not_found"),
            other => panic!("{other:?}"),
        }
    }
);
