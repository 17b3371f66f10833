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
        assert_eq!(of("emergency.disaster_list"), 3);
        assert_eq!(of("emergency.disaster_print"), 1);
        assert_eq!(of("emergency.disaster_export"), 1);
        assert_eq!(of("emergency.safety"), 4);
        let export = trail
            .iter()
            .find(|a| a.action == "emergency.disaster_export")
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
