//! The disaster list (災害時の名簿): who is on it (a powered device or
//! living alone), scoping by municipality and area, the safety
//! confirmations (安否確認) of an open disaster, the equipment register,
//! and who sees, prints and exports it, each audited.

use renkei_domain::emergency::SafetyStatus;
use renkei_domain::Timestamp;
use renkei_emergency::model::{
    DisasterScope, DisasterUse, EquipmentInput, RecordInput, SafetyInput,
};
use renkei_emergency::Emergency;
use renkei_store::audit::{self, AuditQuery};
use renkei_store::{both_backends, ServiceError};

use crate::support::*;

fn resident(name: &str, area: &str, devices: &[&str], alone: bool) -> RecordInput {
    RecordInput {
        name: name.into(),
        kana: name.into(),
        birth_date: "1940-01-01".into(),
        municipality_code: CITY.into(),
        area: area.into(),
        contacts: "家族 080".into(),
        devices: devices.iter().map(|d| d.to_string()).collect(),
        lives_alone: alone,
        disaster_share: true,
        ..RecordInput::default()
    }
}

fn scope(area: &str) -> DisasterScope {
    DisasterScope {
        municipality: CITY.into(),
        area: area.into(),
    }
}

both_backends!(
    the_list_is_cut_by_area_and_tracks_safety_in_the_open_disaster,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let now = Timestamp::from_jst_date("2026-11-01").unwrap();
        // The desk's residents: two in 北地区 (oxygen; alone), one in 南地区
        // (ventilator), and one who needs neither (not on the list).
        let mut ids = Vec::new();
        for r in [
            resident("酸素 一郎", "北地区", &["oxygen"], false),
            resident("独居 花子", "北地区", &[], true),
            resident("呼吸器 次郎", "南地区", &["ventilator"], false),
            resident("元気 三郎", "北地区", &[], false),
        ] {
            ids.push(
                w.emergency
                    .create_record(&w.desk, &c, &r, now)
                    .await
                    .unwrap(),
            );
        }
        // A team's patient on oxygen, kept by the care manager.
        let pid = patient(&w, now).await;
        let mut team = w.emergency.prefill(&w.cm, &c, pid, now).await.unwrap();
        team.municipality_code = CITY.into();
        team.area = "南地区".into();
        team.contacts = "長男 090".into();
        team.devices = vec!["oxygen".into()];
        team.lives_alone = false;
        // Without consent the team's patient is on the team's own list only.
        team.disaster_share = false;
        let team_id = w
            .emergency
            .create_record(&w.cm, &c, &team, now)
            .await
            .unwrap();

        let list = w
            .emergency
            .disaster_list(&w.desk, &c, &scope("北地区"), DisasterUse::Screen)
            .await
            .unwrap();
        let names: Vec<_> = list.lines.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["独居 花子", "酸素 一郎"]);
        assert!(list.disaster.is_none());
        assert!(list.lines.iter().all(|l| !l.may_update));
        let all = w
            .emergency
            .disaster_list(&w.desk, &c, &scope(""), DisasterUse::Screen)
            .await
            .unwrap();
        assert_eq!(all.lines.len(), 3, "the team's patient has not agreed");
        let mut agreed = w
            .emergency
            .record(&w.cm, &c, team_id, now)
            .await
            .unwrap()
            .record;
        agreed.disaster_share = true;
        w.emergency
            .update_record(&w.cm, &c, team_id, &RecordInput::from(&agreed), now)
            .await
            .unwrap();
        let all = w
            .emergency
            .disaster_list(&w.desk, &c, &scope(""), DisasterUse::Screen)
            .await
            .unwrap();
        assert_eq!(all.lines.len(), 4);
        let (_, areas) = w.emergency.disaster_scopes(&w.desk).await.unwrap();
        assert_eq!(
            areas.iter().map(|a| a.1.as_str()).collect::<Vec<_>>(),
            ["北地区", "南地区"]
        );

        // Without an open disaster there is nothing to confirm.
        let safe = SafetyInput {
            status: "safe".into(),
            note: String::new(),
        };
        assert!(matches!(
            w.emergency
                .confirm_safety(&w.desk, &c, ids[0], &safe, now)
                .await,
            Err(ServiceError::Conflict(_))
        ));
        let typhoon = w
            .emergency
            .start_disaster(&w.desk, &c, "台風10号", now)
            .await
            .unwrap();
        // One open at a time; a professional does not open one.
        assert!(matches!(
            w.emergency
                .start_disaster(&w.desk, &c, "台風11号", now)
                .await,
            Err(ServiceError::Conflict(_))
        ));
        assert!(matches!(
            w.emergency.start_disaster(&w.cm, &c, "台風11号", now).await,
            Err(ServiceError::Forbidden)
        ));
        // The desk confirms one resident safe, then another needs help;
        // the latest confirmation is the status, with who and when.
        let later = now.plus_seconds(600);
        w.emergency
            .confirm_safety(&w.desk, &c, ids[0], &safe, now)
            .await
            .unwrap();
        let help = SafetyInput {
            status: "needs_help".into(),
            note: "停電、酸素ボンベ残り2時間".into(),
        };
        w.emergency
            .confirm_safety(&w.desk, &c, ids[0], &help, later)
            .await
            .unwrap();
        // A bad status is a field error.
        match w
            .emergency
            .confirm_safety(
                &w.desk,
                &c,
                ids[1],
                &SafetyInput {
                    status: "fine".into(),
                    note: String::new(),
                },
                now,
            )
            .await
        {
            Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].field, "status"),
            other => panic!("{other:?}"),
        }
        // The care manager confirms their own patient, and nobody else.
        w.emergency
            .confirm_safety(
                &w.cm,
                &c,
                team_id,
                &SafetyInput {
                    status: "moved".into(),
                    note: "長男宅へ避難".into(),
                },
                later,
            )
            .await
            .unwrap();
        assert!(matches!(
            w.emergency
                .confirm_safety(&w.cm, &c, ids[2], &safe, later)
                .await,
            Err(ServiceError::NotFound)
        ));
        let list = w
            .emergency
            .disaster_list(&w.desk, &c, &scope(""), DisasterUse::Print)
            .await
            .unwrap();
        assert_eq!(list.disaster.as_ref().map(|d| d.id), Some(typhoon));
        let line = list.lines.iter().find(|l| l.record_id == ids[0]).unwrap();
        assert_eq!(line.status, SafetyStatus::NeedsHelp);
        assert_eq!(line.status_note, "停電、酸素ボンベ残り2時間");
        assert_eq!(line.status_by_name, "deskさん");
        let count = |code: &str| list.counts.iter().find(|c| c.0 == code).unwrap().2;
        assert_eq!(
            (
                count("unconfirmed"),
                count("safe"),
                count("needs_help"),
                count("moved")
            ),
            (2, 0, 1, 1)
        );
        // The care manager's own list has their patient only.
        let mine = w
            .emergency
            .disaster_list(&w.cm, &c, &scope(""), DisasterUse::Screen)
            .await
            .unwrap();
        assert_eq!(mine.lines.len(), 1);
        assert_eq!(mine.lines[0].record_id, team_id);
        assert!(!mine.whole_region);
        // …and they neither print nor export it; a family member or EMS
        // user has none; the municipal officer needs two-factor sign-in.
        for (who, purpose) in [
            (&w.cm, DisasterUse::Print),
            (&w.cm, DisasterUse::Export),
            (&w.ems, DisasterUse::Screen),
            (&w.officer, DisasterUse::Screen),
        ] {
            assert!(matches!(
                w.emergency
                    .disaster_list(who, &c, &scope(""), purpose)
                    .await,
                Err(ServiceError::Forbidden)
            ));
        }
        let mut officer = w.officer.clone();
        officer.mfa_enabled = true;
        assert!(Emergency::runs_disaster_list(&officer));

        // The CSV for the fire service: header, one line each, formula-safe.
        let mut r = resident("=HYPERLINK(\"x\")", "北地区", &["suction"], true);
        r.kana = "いこーる".into();
        w.emergency
            .create_record(&w.desk, &c, &r, now)
            .await
            .unwrap();
        let list = w
            .emergency
            .disaster_list(&w.desk, &c, &scope("北地区"), DisasterUse::Export)
            .await
            .unwrap();
        let csv = renkei_emergency::export::disaster_csv(&list).unwrap();
        let text = String::from_utf8(csv).unwrap();
        assert!(text.starts_with('\u{feff}'));
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().any(|r| &r[2] == "'=HYPERLINK(\"x\")"));
        let oxygen = rows.iter().find(|r| &r[2] == "酸素 一郎").unwrap();
        assert_eq!(&oxygen[7], "在宅酸素");
        assert_eq!(&oxygen[12], "要支援");

        // Every showing, print and export is audited with its scope.
        let trail = audit::search(
            &w.db,
            &AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
        let of = |action: &str| trail.iter().filter(|a| a.action == action).count();
        // One entry for each list and one for each care patient on it.
        assert_eq!(of("emergency.disaster_list"), 1 + 1 + (1 + 1) + (1 + 1));
        assert_eq!(of("emergency.disaster_print"), 1 + 1);
        assert_eq!(of("emergency.disaster_export"), 1);
        assert!(trail.iter().any(|a| a.action == "emergency.disaster_print"
            && a.patient_id.as_deref() == Some(pid.to_string().as_str())));
        assert_eq!(of("emergency.safety"), 4);
        let export = trail
            .iter()
            .find(|a| a.action == "emergency.disaster_export" && a.object_kind == "region")
            .unwrap();
        assert!(
            export.reason.contains("area=北地区 residents=3"),
            "{}",
            export.reason
        );

        // Closing keeps the confirmations; the next disaster starts afresh.
        w.emergency
            .close_disaster(&w.desk, &c, typhoon, later)
            .await
            .unwrap();
        assert!(matches!(
            w.emergency
                .close_disaster(&w.desk, &c, typhoon, later)
                .await,
            Err(ServiceError::NotFound)
        ));
        w.emergency
            .start_disaster(&w.desk, &c, "大雨", later)
            .await
            .unwrap();
        let list = w
            .emergency
            .disaster_list(&w.desk, &c, &scope(""), DisasterUse::Screen)
            .await
            .unwrap();
        assert!(list
            .lines
            .iter()
            .all(|l| l.status == SafetyStatus::Unconfirmed));
    }
);

both_backends!(the_desk_keeps_the_equipment_register, |db| async move {
    let w = world(&db).await;
    let c = ctx();
    let now = Timestamp::from_jst_date("2026-11-01").unwrap();
    let phone = EquipmentInput {
        municipality_code: CITY.into(),
        kind: "satellite_phone".into(),
        label: "イリジウム".into(),
        place: "区役所 防災課".into(),
        quantity: 2,
        contact: "防災課 03-0000-0000".into(),
    };
    let id = w
        .emergency
        .save_equipment(&w.desk, &c, None, &phone, now)
        .await
        .unwrap();
    // Bad fields are named; a professional keeps none.
    match w
        .emergency
        .save_equipment(
            &w.desk,
            &c,
            None,
            &EquipmentInput {
                municipality_code: CITY.into(),
                kind: "drone".into(),
                quantity: 0,
                ..EquipmentInput::default()
            },
            now,
        )
        .await
    {
        Err(ServiceError::Validation(e)) => {
            let mut fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
            fields.sort();
            assert_eq!(fields, ["kind", "place", "quantity"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        w.emergency
            .save_equipment(&w.cm, &c, None, &phone, now)
            .await,
        Err(ServiceError::Forbidden)
    ));
    let moved = EquipmentInput {
        place: "〇〇公民館".into(),
        ..phone.clone()
    };
    w.emergency
        .save_equipment(&w.desk, &c, Some(id), &moved, now)
        .await
        .unwrap();
    let list = w
        .emergency
        .disaster_list(&w.desk, &c, &scope(""), DisasterUse::Screen)
        .await
        .unwrap();
    assert_eq!(list.equipment.len(), 1);
    assert_eq!(list.equipment[0].place, "〇〇公民館");
    assert_eq!(list.equipment[0].quantity, 2);
});

both_backends!(
    a_watcher_sees_and_checks_only_the_residents_assigned,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let now = Timestamp::from_jst_date("2026-11-01").unwrap();
        let kept = w
            .emergency
            .create_record(
                &w.desk,
                &c,
                &resident("見守 太郎", "北地区", &["oxygen"], true),
                now,
            )
            .await
            .unwrap();
        let other = w
            .emergency
            .create_record(
                &w.desk,
                &c,
                &resident("別の 花子", "北地区", &[], true),
                now,
            )
            .await
            .unwrap();
        // Before the desk assigns anyone, the watcher sees nobody.
        assert!(w
            .emergency
            .records(&w.watcher, &c, now)
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            w.emergency.record(&w.watcher, &c, kept, now).await,
            Err(ServiceError::NotFound)
        ));
        // Only the desk assigns, only watchers, only to residents without a team.
        assert!(matches!(
            w.emergency
                .assign_watcher(&w.cm, &c, kept, w.watcher.user_id, now)
                .await,
            Err(ServiceError::Forbidden)
        ));
        match w
            .emergency
            .assign_watcher(&w.desk, &c, kept, w.cm.user_id, now)
            .await
        {
            Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].code, "watcher"),
            other => panic!("{other:?}"),
        }
        w.emergency
            .assign_watcher(&w.desk, &c, kept, w.watcher.user_id, now)
            .await
            .unwrap();
        let pid = patient(&w, now).await;
        let mut team = w.emergency.prefill(&w.cm, &c, pid, now).await.unwrap();
        team.municipality_code = CITY.into();
        team.contacts = "長男".into();
        let team_id = w
            .emergency
            .create_record(&w.cm, &c, &team, now)
            .await
            .unwrap();
        match w
            .emergency
            .assign_watcher(&w.desk, &c, team_id, w.watcher.user_id, now)
            .await
        {
            Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].code, "team"),
            other => panic!("{other:?}"),
        }

        // The watcher: the assigned resident, read and verified; nobody else.
        let lines = w.emergency.records(&w.watcher, &c, now).await.unwrap();
        assert_eq!(lines.iter().map(|l| l.id).collect::<Vec<_>>(), [kept]);
        w.emergency.verify(&w.watcher, &c, kept, now).await.unwrap();
        assert!(matches!(
            w.emergency.record(&w.watcher, &c, other, now).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            w.emergency.record(&w.watcher, &c, team_id, now).await,
            Err(ServiceError::NotFound)
        ));
        assert!(w
            .emergency
            .records(&w.other_watcher, &c, now)
            .await
            .unwrap()
            .is_empty());
        // The disaster list: the assigned resident only, and their safety.
        w.emergency
            .start_disaster(&w.desk, &c, "地震", now)
            .await
            .unwrap();
        let list = w
            .emergency
            .disaster_list(&w.watcher, &c, &scope(""), DisasterUse::Screen)
            .await
            .unwrap();
        assert_eq!(list.lines.len(), 1);
        assert_eq!(list.lines[0].record_id, kept);
        let safe = SafetyInput {
            status: "safe".into(),
            note: "訪問して無事を確認".into(),
        };
        w.emergency
            .confirm_safety(&w.watcher, &c, kept, &safe, now)
            .await
            .unwrap();
        assert!(matches!(
            w.emergency
                .confirm_safety(&w.watcher, &c, other, &safe, now)
                .await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            w.emergency
                .disaster_list(&w.watcher, &c, &scope(""), DisasterUse::Print)
                .await,
            Err(ServiceError::Forbidden)
        ));
        // A watcher registers a neighbour, and watches them.
        let neighbour = w
            .emergency
            .create_record(
                &w.watcher,
                &c,
                &resident("隣 次郎", "北地区", &[], true),
                now,
            )
            .await
            .unwrap();
        assert_eq!(
            w.emergency
                .records(&w.watcher, &c, now)
                .await
                .unwrap()
                .len(),
            2
        );
        let (watchers, _) = w
            .emergency
            .watchers(&w.desk, &c, neighbour, now)
            .await
            .unwrap();
        assert_eq!(watchers.len(), 1);
        // The watcher verified it (so keeps it) and made a card; the desk
        // ends the assignment: the resident is out of reach again, the desk
        // keeps the record, and the watcher's card stops working.
        let card = w
            .emergency
            .create_link(&w.watcher, &c, kept, false, now)
            .await
            .unwrap();
        // A watcher writes no ACP and records no death.
        assert!(matches!(
            w.emergency
                .save_acp(&w.watcher, &c, kept, &Default::default(), now)
                .await,
            Err(ServiceError::Forbidden)
        ));
        w.emergency
            .end_watcher(&w.desk, &c, kept, w.watcher.user_id, now)
            .await
            .unwrap();
        let v = w.emergency.record(&w.desk, &c, kept, now).await.unwrap();
        assert_eq!(v.responsible_name, "deskさん");
        assert!(matches!(
            w.emergency.open_link(&card.token, &c, now).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            w.emergency.record(&w.watcher, &c, kept, now).await,
            Err(ServiceError::NotFound)
        ));
    }
);

both_backends!(the_region_sets_its_own_interval, |db| async move {
    let w = world(&db).await;
    let c = ctx();
    let now = Timestamp::from_jst_date("2026-11-01").unwrap();
    let id = w
        .emergency
        .create_record(&w.desk, &c, &resident("間隔 一", "北地区", &[], true), now)
        .await
        .unwrap();
    w.emergency.verify(&w.desk, &c, id, now).await.unwrap();
    let v = w.emergency.record(&w.desk, &c, id, now).await.unwrap();
    assert_eq!(v.verify_months, 6);
    assert_eq!(v.freshness.due_on.as_deref(), Some("2027-05-01"));
    for bad in [0, 25] {
        match w.emergency.set_verify_months(&w.desk, &c, bad, now).await {
            Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].field, "verify_months"),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        w.emergency.set_verify_months(&w.officer, &c, 3, now).await,
        Err(ServiceError::Forbidden)
    ));
    w.emergency
        .set_verify_months(&w.desk, &c, 3, now)
        .await
        .unwrap();
    let v = w.emergency.record(&w.desk, &c, id, now).await.unwrap();
    assert_eq!(v.verify_months, 3);
    assert_eq!(v.freshness.due_on.as_deref(), Some("2027-02-01"));
    let later = Timestamp::from_jst_date("2027-02-01").unwrap();
    assert!(!w
        .emergency
        .record(&w.desk, &c, id, later)
        .await
        .unwrap()
        .freshness
        .is_current());
});

both_backends!(
    a_family_member_applies_instead_of_registering,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let now = Timestamp::from_jst_date("2026-11-01").unwrap();
        let family = user(&w.identity, "kazoku", "family", "family", w.region, vec![]).await;
        // A record anyone could plant would reach EMS search: family members
        // apply on the public form for the desk to confirm.
        assert!(!Emergency::may_register_unlinked(&family));
        assert!(matches!(
            w.emergency
                .create_record(&family, &c, &resident("母 ハル", "北地区", &[], true), now)
                .await,
            Err(ServiceError::Forbidden)
        ));
        assert!(w
            .emergency
            .records(&family, &c, now)
            .await
            .unwrap()
            .is_empty());
    }
);
