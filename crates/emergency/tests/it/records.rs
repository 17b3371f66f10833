//! Emergency records on SQLite and PostgreSQL: who keeps them (the team,
//! or the desk for a resident without one), freshness by the calendar and
//! by events, and the card's link (a wrong, revoked or rotated token; each
//! opening kept, audited and e-mailed to the team).

use renkei_care::model::PostInput;
use renkei_domain::emergency::DueReason;
use renkei_domain::Timestamp;
use renkei_emergency::model::RecordInput;
use renkei_identity::RequestContext;
use renkei_store::audit::{self, AuditQuery};
use renkei_store::{both_backends, ServiceError};

use crate::support::*;

both_backends!(
    a_teams_record_stays_fresh_and_its_card_opens_once_per_live_link,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let t0 = Timestamp::from_jst_date("2026-11-01").unwrap();
        let pid = patient(&w, t0).await;

        // Pre-filled from care; the contacts are required.
        let mut input = w.emergency.prefill(&w.cm, &c, pid, t0).await.unwrap();
        assert_eq!(input.name, "緊急 花子");
        assert_eq!(input.patient_id, Some(pid));
        input.municipality_code = CITY.into();
        input.devices = vec!["oxygen".into()];
        match w.emergency.create_record(&w.cm, &c, &input, t0).await {
            Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].field, "contacts"),
            other => panic!("{other:?}"),
        }
        input.contacts = "長男 090-0000-0000".into();
        let id = w
            .emergency
            .create_record(&w.cm, &c, &input, t0)
            .await
            .unwrap();
        // One record a patient.
        assert!(matches!(
            w.emergency.create_record(&w.cm, &c, &input, t0).await,
            Err(ServiceError::Conflict(_))
        ));
        // Off the team: not found (and the refusal is audited).
        assert!(matches!(
            w.emergency.record(&w.outsider, &c, id, t0).await,
            Err(ServiceError::NotFound)
        ));

        // Never verified, then verified: current until six months on.
        let v = w.emergency.record(&w.doctor, &c, id, t0).await.unwrap();
        assert_eq!(v.freshness.reasons, [DueReason::NeverVerified]);
        let t1 = t0.plus_seconds(DAY);
        w.emergency.verify(&w.doctor, &c, id, t1).await.unwrap();
        let v = w.emergency.record(&w.cm, &c, id, t1).await.unwrap();
        assert!(v.freshness.is_current(), "{:?}", v.freshness);
        assert_eq!(v.freshness.due_on.as_deref(), Some("2027-05-02"));
        assert_eq!(v.verified_by_name, "doctorさん");
        let later = Timestamp::from_jst_date("2027-05-02").unwrap();
        let v = w.emergency.record(&w.cm, &c, id, later).await.unwrap();
        assert_eq!(v.freshness.reasons, [DueReason::Calendar]);

        // A medication post after the verification makes it doubtful at once.
        let t2 = t1.plus_seconds(DAY);
        let space = w.care.patient_space(pid).await.unwrap();
        w.care
            .post(
                &w.doctor,
                &c,
                space,
                PostInput {
                    category: "medication".into(),
                    body: "降圧薬を変更".into(),
                    idempotency_key: "emergency-test-1".into(),
                    ..Default::default()
                },
                Vec::new(),
                t2,
            )
            .await
            .unwrap();
        let v = w.emergency.record(&w.cm, &c, id, t2).await.unwrap();
        assert_eq!(v.freshness.reasons, [DueReason::MedicationPost]);
        let lines = w.emergency.records(&w.cm, &c, t2).await.unwrap();
        assert_eq!(lines.len(), 1);
        assert!(!lines[0].freshness.is_current());
        assert_eq!(
            w.emergency.home_counts(&w.cm, &c, t2).await.unwrap(),
            (1, 0)
        );
        w.emergency
            .verify(&w.cm, &c, id, t2.plus_seconds(60))
            .await
            .unwrap();
        assert!(w
            .emergency
            .record(&w.cm, &c, id, t2.plus_seconds(60))
            .await
            .unwrap()
            .freshness
            .is_current());

        // The card: a wrong token, the right one, revoked, rotated.
        let link = w
            .emergency
            .create_link(&w.cm, &c, id, false, t2)
            .await
            .unwrap();
        assert_eq!(link.token.len(), 43);
        let crew = RequestContext {
            source_addr: "198.51.100.9".into(),
            user_agent: "ambulance".into(),
        };
        for wrong in [
            "",
            "short",
            &"A".repeat(43),
            &format!("{}x", &link.token[..42]),
        ] {
            assert!(
                matches!(
                    w.emergency.open_link(wrong, &crew, t2).await,
                    Err(ServiceError::NotFound)
                ),
                "{wrong}"
            );
        }
        let t3 = t2.plus_seconds(3600);
        let sheet = w.emergency.open_link(&link.token, &crew, t3).await.unwrap();
        assert_eq!(sheet.name, "緊急 花子");
        assert_eq!(sheet.age, Some(90));
        assert!(sheet.freshness.is_current());
        assert_eq!(sheet.devices.len(), 1);
        // The opening is on the record, and the team is e-mailed (not the
        // patient's name).
        let v = w.emergency.record(&w.cm, &c, id, t3).await.unwrap();
        assert_eq!(v.openings.len(), 1);
        assert_eq!(v.openings[0].source_addr, "198.51.100.9");
        assert_eq!(
            w.emergency.home_counts(&w.doctor, &c, t3).await.unwrap(),
            (0, 1)
        );
        let mut sent = Vec::new();
        for _ in 0..100 {
            sent = w.care_mail.sent();
            if sent.len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mut to: Vec<_> = sent.iter().map(|m| m.to.as_str()).collect();
        to.sort();
        assert_eq!(to, ["cm_ito@example.jp", "doctor@example.jp"]);
        assert!(sent.iter().all(|m| !m.body.contains("緊急 花子")
            && m.body.contains(&format!("/emergency/records/{id}"))));
        // Revoked: the same answer as a token that never existed.
        w.emergency
            .revoke_link(&w.cm, &c, id, link.id, t3)
            .await
            .unwrap();
        assert!(matches!(
            w.emergency.open_link(&link.token, &crew, t3).await,
            Err(ServiceError::NotFound)
        ));
        // Rotation: a new card, and every earlier link stops working.
        let a = w
            .emergency
            .create_link(&w.cm, &c, id, false, t3)
            .await
            .unwrap();
        let b = w
            .emergency
            .create_link(&w.cm, &c, id, true, t3)
            .await
            .unwrap();
        assert!(w.emergency.open_link(&a.token, &crew, t3).await.is_err());
        assert!(w.emergency.open_link(&b.token, &crew, t3).await.is_ok());
        // Someone off the team cannot make or revoke links.
        assert!(matches!(
            w.emergency.create_link(&w.outsider, &c, id, true, t3).await,
            Err(ServiceError::NotFound)
        ));

        // Every step is in the audit trail, the openings as the card's link.
        let entries = audit::search(
            &w.db,
            &AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
        for action in [
            "emergency.create",
            "emergency.read",
            "emergency.verify",
            "emergency.list",
            "emergency.link_create",
            "emergency.link_revoke",
            "emergency.card_open",
        ] {
            assert!(entries.iter().any(|e| e.action == action), "{action}");
        }
        let opened: Vec<_> = entries
            .iter()
            .filter(|e| e.action == "emergency.card_open")
            .collect();
        // Two openings, and two uses of revoked links refused (the lost
        // card in use is worth knowing).
        let outcomes: Vec<&str> = opened.iter().map(|e| e.outcome.as_str()).collect();
        assert_eq!(outcomes.iter().filter(|o| **o == "success").count(), 2);
        assert_eq!(outcomes.iter().filter(|o| **o == "denied").count(), 2);
        assert!(opened.iter().all(|e| e.source_addr == "198.51.100.9"
            && e.patient_id.as_deref() == Some(pid.to_string().as_str())));
        // The team was told of the first opening only: the second came
        // within the half hour.
        assert_eq!(w.care_mail.sent().len(), 2);
        assert!(entries
            .iter()
            .any(|e| e.action == "emergency.read" && e.outcome == "denied"));
    }
);

both_backends!(the_desk_keeps_residents_without_a_team, |db| async move {
    let w = world(&db).await;
    let c = ctx();
    let now = Timestamp::from_jst_date("2026-11-01").unwrap();
    let input = RecordInput {
        name: "山本 一人".into(),
        birth_date: "1939-02-11".into(),
        municipality_code: CITY.into(),
        contacts: "甥 080-0000-3333".into(),
        devices: vec!["oxygen".into()],
        lives_alone: true,
        ..RecordInput::default()
    };
    // A professional does not register residents without a team.
    assert!(matches!(
        w.emergency.create_record(&w.cm, &c, &input, now).await,
        Err(ServiceError::Forbidden)
    ));
    // A municipality outside the region, an unknown device: refused.
    let mut bad = input.clone();
    bad.municipality_code = "999999".into();
    bad.devices = vec!["jetpack".into()];
    match w.emergency.create_record(&w.desk, &c, &bad, now).await {
        Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].field, "devices"),
        other => panic!("{other:?}"),
    }
    bad.devices = vec![];
    match w.emergency.create_record(&w.desk, &c, &bad, now).await {
        Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].field, "municipality_code"),
        other => panic!("{other:?}"),
    }
    let id = w
        .emergency
        .create_record(&w.desk, &c, &input, now)
        .await
        .unwrap();
    let v = w.emergency.record(&w.desk, &c, id, now).await.unwrap();
    assert!(v.may_write);
    assert_eq!(v.record.devices().len(), 1);
    // The team's people do not see it.
    assert!(matches!(
        w.emergency.record(&w.cm, &c, id, now).await,
        Err(ServiceError::NotFound)
    ));
    assert_eq!(
        w.emergency.records(&w.desk, &c, now).await.unwrap().len(),
        1
    );
    assert!(w
        .emergency
        .records(&w.cm, &c, now)
        .await
        .unwrap()
        .is_empty());
    // Editing is not verifying.
    let mut edited = input.clone();
    edited.medicines = "吸入薬".into();
    w.emergency
        .update_record(&w.desk, &c, id, &edited, now)
        .await
        .unwrap();
    let v = w.emergency.record(&w.desk, &c, id, now).await.unwrap();
    assert_eq!(v.record.medicines, "吸入薬");
    assert_eq!(v.freshness.reasons, [DueReason::NeverVerified]);
    // Verified, then edited: due again, as the verifier did not see the edit.
    let t1 = now.plus_seconds(60);
    w.emergency.verify(&w.desk, &c, id, t1).await.unwrap();
    assert!(w
        .emergency
        .record(&w.desk, &c, id, t1)
        .await
        .unwrap()
        .freshness
        .is_current());
    edited.medicines = "吸入薬（朝夕）".into();
    let t2 = now.plus_seconds(120);
    w.emergency
        .update_record(&w.desk, &c, id, &edited, t2)
        .await
        .unwrap();
    let v = w.emergency.record(&w.desk, &c, id, t2).await.unwrap();
    assert_eq!(v.freshness.reasons, [DueReason::EditedSinceVerified]);
    // Its card's opening is told to the desk person keeping it.
    let link = w
        .emergency
        .create_link(&w.desk, &c, id, false, t2)
        .await
        .unwrap();
    w.emergency
        .open_link(&link.token, &c, now.plus_seconds(180))
        .await
        .unwrap();
    let told: Vec<_> = w
        .desk_mail
        .sent()
        .into_iter()
        .filter(|m| m.subject.contains("開かれました"))
        .collect();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].to, "desk@example.jp");
});

both_backends!(
    the_dashboard_counts_by_municipality_and_reason,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let now = Timestamp::from_jst_date("2026-11-01").unwrap();
        // A team's record on oxygen, never verified.
        let pid = patient(&w, now).await;
        let mut team = w.emergency.prefill(&w.cm, &c, pid, now).await.unwrap();
        team.municipality_code = CITY.into();
        team.contacts = "長男 090".into();
        team.devices = vec!["oxygen".into()];
        w.emergency
            .create_record(&w.cm, &c, &team, now)
            .await
            .unwrap();
        // The desk's two residents living alone: one verified, one not.
        let resident = |name: &str| RecordInput {
            name: name.into(),
            birth_date: "1940-01-01".into(),
            municipality_code: CITY.into(),
            contacts: "甥 080".into(),
            lives_alone: true,
            ..RecordInput::default()
        };
        let verified = w
            .emergency
            .create_record(&w.desk, &c, &resident("確認 済子"), now)
            .await
            .unwrap();
        w.emergency
            .verify(&w.desk, &c, verified, now)
            .await
            .unwrap();
        w.emergency
            .create_record(&w.desk, &c, &resident("未確認 太郎"), now)
            .await
            .unwrap();

        let lines = w
            .emergency
            .freshness_dashboard(&w.officer, &c, now)
            .await
            .unwrap();
        assert_eq!(lines.len(), 1);
        let l = &lines[0];
        assert_eq!(l.municipality_name, "千代田区");
        assert_eq!((l.registered, l.current, l.due), (3, 1, 2));
        assert_eq!((l.with_devices, l.living_alone), (1, 3));
        let never = l.reasons.iter().find(|r| r.0 == "never_verified").unwrap();
        assert_eq!(never.2, 2);
        assert!(l
            .reasons
            .iter()
            .filter(|r| r.0 != "never_verified")
            .all(|r| r.2 == 0));
        // Seven months on, the verified one is due on the calendar too.
        let later = Timestamp::from_jst_date("2027-06-01").unwrap();
        let l = &w
            .emergency
            .freshness_dashboard(&w.desk, &c, later)
            .await
            .unwrap()[0];
        assert_eq!((l.current, l.due), (0, 3));
        assert_eq!(l.reasons.iter().find(|r| r.0 == "calendar").unwrap().2, 1);
        // A professional does not read it.
        assert!(matches!(
            w.emergency.freshness_dashboard(&w.cm, &c, now).await,
            Err(ServiceError::Forbidden)
        ));

        // Reminders: the keepers of the two due records, once a week while due.
        assert_eq!(w.emergency.send_reminders(now).await.unwrap(), (2, 0));
        let mut to: Vec<_> = w.desk_mail.sent().iter().map(|m| m.to.clone()).collect();
        to.sort();
        assert_eq!(to, ["cm_ito@example.jp", "desk@example.jp"]);
        assert!(w
            .desk_mail
            .sent()
            .iter()
            .all(|m| !m.body.contains("未確認 太郎")
                && m.body
                    .contains("https://renkei.example.jp/emergency/records/")
                && m.body.contains("未確認")));
        assert_eq!(
            w.emergency
                .send_reminders(now.plus_seconds(DAY))
                .await
                .unwrap(),
            (0, 0)
        );
        assert_eq!(
            w.emergency
                .send_reminders(now.plus_seconds(8 * DAY))
                .await
                .unwrap(),
            (2, 0)
        );
    }
);
