//! Back from EMS: an ambulance crew records where it took the resident,
//! through the card's live link. For a team's patient the stay opens in
//! transitions and the team reads an urgent notice; for a resident
//! without a team the desk keeping the record is mailed. Only EMS users
//! report, only through a live link, and every report is audited.

use renkei_care::model::{CategoryFilter, TimelineQuery};
use renkei_domain::care::TeamRole;
use renkei_domain::transitions::ReportedVia;
use renkei_domain::Timestamp;
use renkei_emergency::model::{RecordInput, TransportInput};
use renkei_store::audit::{self, AuditQuery};
use renkei_store::{both_backends, ServiceError};

use crate::support::*;

both_backends!(
    a_crew_reports_the_transport_and_the_team_sees_the_admission,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let t0 = Timestamp::from_jst_date("2026-11-01").unwrap();
        let pid = patient(&w, t0).await;
        let mut input = w.emergency.prefill(&w.cm, &c, pid, t0).await.unwrap();
        input.municipality_code = CITY.into();
        input.contacts = "長男 090-0000-0000".into();
        let id = w
            .emergency
            .create_record(&w.cm, &c, &input, t0)
            .await
            .unwrap();
        let link = w
            .emergency
            .create_link(&w.cm, &c, id, false, t0)
            .await
            .unwrap();
        let now = t0.plus_seconds(4 * DAY);
        let report = TransportInput {
            hospital_entry_id: w.hospital.0,
            transported_at: "2026-11-04T09:40".into(),
            reason: "呼吸苦".into(),
        };

        // Only an EMS user reports, and only through a live link.
        assert!(matches!(
            w.emergency
                .record_transport(&w.doctor, &c, &link.token, &report, now)
                .await,
            Err(ServiceError::Forbidden)
        ));
        let wrong = "A".repeat(43);
        assert!(matches!(
            w.emergency
                .record_transport(&w.ems, &c, &wrong, &report, now)
                .await,
            Err(ServiceError::NotFound)
        ));
        // Bad fields, each named.
        let bad = TransportInput {
            hospital_entry_id: 999_999,
            transported_at: "2026-11-06T09:00".into(),
            reason: String::new(),
        };
        match w
            .emergency
            .record_transport(&w.ems, &c, &link.token, &bad, now)
            .await
        {
            Err(ServiceError::Validation(e)) => {
                let mut fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
                fields.sort();
                assert_eq!(fields, ["hospital_entry_id", "reason", "transported_at"]);
            }
            other => panic!("{other:?}"),
        }

        // The form shows the name only to the crew.
        let (name, before) = w
            .emergency
            .transport_form(&w.ems, &c, &link.token)
            .await
            .unwrap();
        assert_eq!(name, "緊急 花子");
        assert!(before.is_empty());
        w.emergency
            .record_transport(&w.ems, &c, &link.token, &report, now)
            .await
            .unwrap();

        // Transitions has the stay, reported by the crew.
        let (_, stays) = w
            .transitions
            .stays_of_patient(&w.cm, &c, pid, now)
            .await
            .unwrap();
        assert_eq!(stays.len(), 1);
        assert_eq!(stays[0].stay.hospital_name, "第一市立病院");
        assert_eq!(stays[0].stay.reported_via, ReportedVia::Ems);
        assert_eq!(stays[0].stay.admitted_on(), "2026-11-04");
        // The team reads an urgent notice from the crew on the timeline.
        let space = w.care.patient_space(pid).await.unwrap();
        let timeline = w
            .care
            .timeline(
                &w.doctor,
                &c,
                space,
                TimelineQuery {
                    before: None,
                    text: None,
                    category: CategoryFilter::Any,
                    limit: 20,
                },
                now,
            )
            .await
            .unwrap();
        let notice = timeline
            .urgent
            .iter()
            .chain(timeline.posts.iter())
            .find(|p| p.post.body.contains("救急搬送"))
            .expect("the crew's notice");
        assert!(notice.post.body.contains("第一市立病院"));
        // Urgent, for the care manager to acknowledge (so it can close).
        assert_eq!(notice.post.ack_role, Some(TeamRole::CareManager));
        assert!(notice.post.body.contains("呼吸苦"));
        // The record lists the transport with its stay.
        let v = w.emergency.record(&w.cm, &c, id, now).await.unwrap();
        assert_eq!(v.transports.len(), 1);
        assert_eq!(v.transports[0].stay_id, Some(stays[0].stay.id));
        assert_eq!(v.transports[0].transported_local, "2026-11-04T09:40");
        // Audited, by the crew, against the patient.
        let trail = audit::search(
            &w.db,
            &AuditQuery {
                action: Some("emergency.transport".into()),
                limit: 100,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].actor_username, "ems");
        assert_eq!(
            trail[0].patient_id.as_deref(),
            Some(pid.to_string().as_str())
        );

        // A double submission within half an hour is refused, in words.
        assert!(matches!(
            w.emergency
                .record_transport(&w.ems, &c, &link.token, &report, now.plus_seconds(60))
                .await,
            Err(ServiceError::Conflict(_))
        ));
        // A second transport while the stay is open: kept, no second stay,
        // and the team told all the same.
        let again = now.plus_seconds(3600);
        let second = TransportInput {
            transported_at: "2026-11-05T00:30".into(),
            reason: "転院搬送".into(),
            ..report.clone()
        };
        w.emergency
            .record_transport(&w.ems, &c, &link.token, &second, again)
            .await
            .unwrap();
        let v = w.emergency.record(&w.cm, &c, id, again).await.unwrap();
        assert_eq!(v.transports.len(), 2);
        assert_eq!(v.transports[0].stay_id, None);
        let (_, stays) = w
            .transitions
            .stays_of_patient(&w.cm, &c, pid, again)
            .await
            .unwrap();
        assert_eq!(stays.len(), 1);
        let timeline = w
            .care
            .timeline(
                &w.doctor,
                &c,
                space,
                TimelineQuery {
                    before: None,
                    text: None,
                    category: CategoryFilter::Any,
                    limit: 20,
                },
                again,
            )
            .await
            .unwrap();
        assert!(timeline
            .urgent
            .iter()
            .chain(timeline.posts.iter())
            .any(|p| p.post.body.contains("転院搬送")));

        // A revoked card reports nothing.
        w.emergency
            .create_link(&w.cm, &c, id, true, now)
            .await
            .unwrap();
        assert!(matches!(
            w.emergency
                .record_transport(&w.ems, &c, &link.token, &report, now)
                .await,
            Err(ServiceError::NotFound)
        ));
    }
);

both_backends!(
    a_transport_of_a_resident_without_a_team_is_mailed_to_the_desk,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let now = Timestamp::from_jst_date("2026-11-01").unwrap();
        let id = w
            .emergency
            .create_record(
                &w.desk,
                &c,
                &RecordInput {
                    name: "単身 一郎".into(),
                    birth_date: "1938-05-05".into(),
                    municipality_code: CITY.into(),
                    contacts: "甥 080".into(),
                    lives_alone: true,
                    ..RecordInput::default()
                },
                now,
            )
            .await
            .unwrap();
        let link = w
            .emergency
            .create_link(&w.desk, &c, id, false, now)
            .await
            .unwrap();
        w.emergency
            .record_transport(
                &w.ems,
                &c,
                &link.token,
                &TransportInput {
                    hospital_entry_id: w.hospital.0,
                    transported_at: "2026-10-31T22:15".into(),
                    reason: "転倒".into(),
                },
                now,
            )
            .await
            .unwrap();
        let v = w.emergency.record(&w.desk, &c, id, now).await.unwrap();
        assert_eq!(v.transports.len(), 1);
        assert_eq!(v.transports[0].stay_id, None);
        let mail: Vec<_> = w
            .desk_mail
            .sent()
            .into_iter()
            .filter(|m| m.subject.contains("救急搬送"))
            .collect();
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].to, "desk@example.jp");
        assert!(mail[0].body.contains("第一市立病院"));
        assert!(!mail[0].body.contains("単身 一郎"));
    }
);
