//! A resident's own application: kept for the desk, checked like a record,
//! limited per address, never a record until the desk accepts it (once,
//! however often it is clicked), and out of reach of other regions' desks.

use renkei_domain::{RegionId, Timestamp};
use renkei_emergency::model::RecordInput;
use renkei_emergency::APPLICATIONS_PER_HOUR;
use renkei_identity::RequestContext;
use renkei_store::audit::{self, AuditQuery};
use renkei_store::{both_backends, ServiceError};

use crate::support::*;

fn application(name: &str) -> RecordInput {
    RecordInput {
        name: name.into(),
        kana: "じゅうみん".into(),
        birth_date: "1940-04-04".into(),
        address: "千代田区2-2".into(),
        municipality_code: CITY.into(),
        contacts: "長女 090-1111-2222".into(),
        devices: vec!["oxygen".into()],
        lives_alone: true,
        ..RecordInput::default()
    }
}

both_backends!(
    a_residents_application_waits_for_the_desk,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let now = Timestamp::from_jst_date("2026-11-01").unwrap();
        let region = RegionId(w.region);
        let resident = RequestContext {
            source_addr: "198.51.100.9".into(),
            user_agent: "resident phone".into(),
        };
        // Checked like a record, in Japanese.
        let mut bad = application("");
        bad.contacts = String::new();
        match w.emergency.apply(region, &resident, &bad, now).await {
            Err(ServiceError::Validation(e)) => {
                let mut f: Vec<_> = e.0.iter().map(|x| x.field.as_str()).collect();
                f.sort();
                assert_eq!(f, ["contacts", "name"]);
            }
            other => panic!("{other:?}"),
        }
        let id = w
            .emergency
            .apply(region, &resident, &application("申込 花子"), now)
            .await
            .unwrap();
        // Not a record yet: nobody's list has it.
        assert!(w
            .emergency
            .records(&w.desk, &c, now)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(w.emergency.pending_applications(&w.desk).await.unwrap(), 1);
        // Only the desk sees and decides.
        assert!(matches!(
            w.emergency.applications(&w.cm, &c).await,
            Err(ServiceError::Forbidden)
        ));
        let waiting = w.emergency.applications(&w.desk, &c).await.unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].input.name, "申込 花子");
        let record = w
            .emergency
            .accept_application(&w.desk, &c, id, now)
            .await
            .unwrap();
        // Once: a second click is refused, and there is one record.
        assert!(matches!(
            w.emergency.accept_application(&w.desk, &c, id, now).await,
            Err(ServiceError::Conflict(_))
        ));
        let lines = w.emergency.records(&w.desk, &c, now).await.unwrap();
        assert_eq!(lines.iter().map(|l| l.id).collect::<Vec<_>>(), [record]);
        let v = w.emergency.record(&w.desk, &c, record, now).await.unwrap();
        assert_eq!(v.record.devices, "oxygen");
        assert!(v.record.verified_at.is_none(), "accepting is not verifying");
        // Declined ones stay declined.
        let other = w
            .emergency
            .apply(region, &resident, &application("いたずら"), now)
            .await
            .unwrap();
        w.emergency
            .decline_application(&w.desk, &c, other, now)
            .await
            .unwrap();
        assert!(matches!(
            w.emergency
                .accept_application(&w.desk, &c, other, now)
                .await,
            Err(ServiceError::Conflict(_))
        ));
        assert_eq!(w.emergency.pending_applications(&w.desk).await.unwrap(), 0);
        // Five an hour from one address.
        for n in 2..APPLICATIONS_PER_HOUR {
            w.emergency
                .apply(region, &resident, &application(&format!("住民 {n}")), now)
                .await
                .unwrap();
        }
        assert!(matches!(
            w.emergency
                .apply(region, &resident, &application("六人目"), now)
                .await,
            Err(ServiceError::Conflict(_))
        ));
        w.emergency
            .apply(
                region,
                &resident,
                &application("一時間後"),
                now.plus_seconds(3601),
            )
            .await
            .unwrap();
        // Audited as the public form, with the address.
        let trail = audit::search(
            &w.db,
            &AuditQuery {
                action: Some("emergency.apply".into()),
                limit: 100,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(trail.len(), 6);
        assert!(trail.iter().all(|a| a.source_addr == "198.51.100.9"));
    }
);
