//! ACP (人生会議): the region's template (built in until the region saves
//! its own, versioned), a resident's versions (every one kept, each with
//! its own sections), and the crew's sheet showing only the medical
//! sections. The end of life: each way a death is certified and the
//! counts the indicators use.

use renkei_domain::Timestamp;
use renkei_emergency::model::{
    AcpAnswerInput, AcpInput, AcpSectionDef, AcpTemplateInput, DeathInput, RecordInput,
};
use renkei_emergency::service::builtin_acp_template;
use renkei_store::{both_backends, ServiceError};

use crate::support::*;

fn answer(key: &str, choice: &str, text: &str) -> AcpAnswerInput {
    AcpAnswerInput {
        key: key.into(),
        choice: choice.into(),
        text: text.into(),
    }
}

fn section(title: &str, choices: &[&str], ems: bool) -> AcpSectionDef {
    AcpSectionDef {
        key: String::new(),
        title: title.into(),
        hint: String::new(),
        choices: choices.iter().map(|c| c.to_string()).collect(),
        ems,
    }
}

both_backends!(
    acp_versions_follow_the_regions_template_and_ems_sees_only_medical_wishes,
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
                    name: "想い 和子".into(),
                    birth_date: "1935-03-03".into(),
                    municipality_code: CITY.into(),
                    contacts: "長女 080".into(),
                    ..RecordInput::default()
                },
                now,
            )
            .await
            .unwrap();
        // The built-in template until the region saves one.
        let v = w.emergency.acp(&w.desk, &c, id, now).await.unwrap();
        assert_eq!(v.template, builtin_acp_template_view());
        assert!(v.versions.is_empty());

        // Bad input is named: a future day, nobody, a choice not offered.
        match w
            .emergency
            .save_acp(
                &w.desk,
                &c,
                id,
                &AcpInput {
                    template_id: None,
                    discussed_on: "2026-12-31".into(),
                    participants: String::new(),
                    answers: vec![answer("s1", "たぶん", "")],
                },
                now,
            )
            .await
        {
            Err(ServiceError::Validation(e)) => {
                let mut fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
                fields.sort();
                assert_eq!(fields, ["answer_s1", "discussed_on", "participants"]);
            }
            other => panic!("{other:?}"),
        }
        let first = AcpInput {
            template_id: Some(0),
            discussed_on: "2026-10-20".into(),
            participants: "本人、長女、主治医".into(),
            answers: vec![
                answer("s1", "希望しない", "心肺蘇生は望まない"),
                answer("s3", "自宅", ""),
                answer("s7", "", "葬儀は家族だけで"),
            ],
        };
        let (_, n) = w
            .emergency
            .save_acp(&w.desk, &c, id, &first, now)
            .await
            .unwrap();
        assert_eq!(n, 1);

        // The region carries its own notebook; a second version uses it.
        w.emergency
            .save_acp_template(
                &w.desk,
                &c,
                &AcpTemplateInput {
                    name: "わたしの想いノート（千代田）".into(),
                    sections: vec![
                        section("最期を迎えたい場所", &["自宅", "病院"], true),
                        section("", &[], false),
                        section("財産のこと", &[], false),
                    ],
                },
                now,
            )
            .await
            .unwrap();
        // A professional does not keep the template.
        assert!(matches!(
            w.emergency
                .save_acp_template(&w.cm, &c, &AcpTemplateInput::default(), now)
                .await,
            Err(ServiceError::Forbidden)
        ));
        let later = now.plus_seconds(30 * DAY);
        // Answers typed against the built-in template are refused now that
        // the region's own is in force (they would land under other titles).
        let stale = AcpInput {
            template_id: Some(0),
            ..first.clone()
        };
        match w.emergency.save_acp(&w.desk, &c, id, &stale, later).await {
            Err(ServiceError::Validation(e)) => assert_eq!(e.0[0].code, "template_changed"),
            other => panic!("{other:?}"),
        }
        let region_template = w
            .emergency
            .acp(&w.desk, &c, id, later)
            .await
            .unwrap()
            .template;
        let second = AcpInput {
            template_id: region_template.id.map(|t| t.0),
            discussed_on: "2026-11-25".into(),
            participants: "本人、長女".into(),
            answers: vec![
                answer("s1", "病院", "痛みが強ければ入院も"),
                answer("s2", "", "預金は長女に"),
            ],
        };
        let (_, n) = w
            .emergency
            .save_acp(&w.desk, &c, id, &second, later)
            .await
            .unwrap();
        assert_eq!(n, 2);
        let v = w.emergency.acp(&w.desk, &c, id, later).await.unwrap();
        assert_eq!(v.template.name, "わたしの想いノート（千代田）");
        assert_eq!(
            v.template
                .sections
                .iter()
                .map(|s| s.key.as_str())
                .collect::<Vec<_>>(),
            ["s1", "s2"]
        );
        // Both versions, newest first, each with its own sections.
        assert_eq!(v.versions.len(), 2);
        assert_eq!(v.versions[0].template_name, "わたしの想いノート（千代田）");
        assert_eq!(v.versions[1].template_name, "わたしの想い（Renkei 標準）");
        assert_eq!(v.versions[1].answers[0].choice, "希望しない");

        // The crew's sheet: the newest version's medical sections only.
        let link = w
            .emergency
            .create_link(&w.desk, &c, id, false, later)
            .await
            .unwrap();
        let sheet = w.emergency.open_link(&link.token, &c, later).await.unwrap();
        assert_eq!(
            sheet.acp,
            [(
                "最期を迎えたい場所".to_string(),
                "病院（痛みが強ければ入院も）".to_string()
            )]
        );
        assert_eq!(sheet.acp_on, "2026-11-25");
        assert!(!format!("{sheet:?}").contains("預金"));
        // An earlier version's non-medical section never reached it either.
        let earlier = w.emergency.acp(&w.desk, &c, id, later).await.unwrap();
        assert!(earlier.versions[1]
            .ems_summary()
            .iter()
            .all(|a| !a.text.contains("葬儀")));

        // Off the team (a professional who is not the desk): not found.
        assert!(matches!(
            w.emergency.acp(&w.cm, &c, id, later).await,
            Err(ServiceError::NotFound)
        ));
    }
);

fn builtin_acp_template_view() -> renkei_emergency::model::AcpTemplate {
    builtin_acp_template()
}

both_backends!(
    deaths_are_counted_by_place_and_certification,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let now = Timestamp::from_jst_date("2027-01-15").unwrap();
        let mut ids = Vec::new();
        for name in ["在宅 一", "在宅 二", "検案 三", "病院 四", "来年度 五"] {
            ids.push(
                w.emergency
                    .create_record(
                        &w.desk,
                        &c,
                        &RecordInput {
                            name: name.into(),
                            birth_date: "1930-01-01".into(),
                            municipality_code: CITY.into(),
                            contacts: "家族".into(),
                            lives_alone: true,
                            ..RecordInput::default()
                        },
                        now,
                    )
                    .await
                    .unwrap(),
            );
        }
        let death = |day: &str, place: &str, by: &str, ems: bool, wish: &str| DeathInput {
            died_on: day.into(),
            place: place.into(),
            certified_by: by.into(),
            attending_doctor: "さくら診療所 医師".into(),
            ems_called: ems,
            wish_met: wish.into(),
            note: String::new(),
        };
        // Bad input, named; a day in the future is refused.
        match w
            .emergency
            .record_death(
                &w.desk,
                &c,
                ids[0],
                &death("2027-02-01", "street", "", false, ""),
                now,
            )
            .await
        {
            Err(ServiceError::Validation(e)) => {
                let mut fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
                fields.sort();
                assert_eq!(fields, ["certified_by", "died_on", "place", "wish_met"]);
            }
            other => panic!("{other:?}"),
        }
        for (i, d) in [
            death("2026-12-01", "home", "attending_doctor", false, "met"),
            death(
                "2026-12-20",
                "nursing_home",
                "substitute_doctor",
                false,
                "met",
            ),
            death("2027-01-03", "home", "police", true, "not_met"),
            death(
                "2027-01-10",
                "hospital",
                "attending_doctor",
                true,
                "not_met",
            ),
            death("2026-03-31", "home", "attending_doctor", false, "no_wish"),
        ]
        .iter()
        .enumerate()
        {
            w.emergency
                .record_death(&w.desk, &c, ids[i], d, now)
                .await
                .unwrap();
        }
        // Once only.
        assert!(matches!(
            w.emergency
                .record_death(
                    &w.desk,
                    &c,
                    ids[0],
                    &death("2026-12-01", "home", "attending_doctor", false, "met"),
                    now
                )
                .await,
            Err(ServiceError::Conflict(_))
        ));
        let lines = w
            .emergency
            .death_counts(&w.officer, &c, 2026)
            .await
            .unwrap();
        let l = &lines[0];
        assert_eq!(l.deaths, 4, "FY2026 is April 2026 to March 2027");
        assert_eq!(l.home_deaths, 3);
        assert_eq!((l.home_certified, l.home_police), (2, 1));
        assert_eq!(l.ems_called, 2);
        assert_eq!((l.wish_met, l.wish_not_met, l.no_wish), (2, 2, 0));
        let place = |code: &str| l.by_place.iter().find(|p| p.0 == code).unwrap().2;
        assert_eq!(
            (place("home"), place("nursing_home"), place("hospital")),
            (2, 1, 1)
        );
        assert_eq!(
            w.emergency
                .death_counts(&w.officer, &c, 2025)
                .await
                .unwrap()[0]
                .deaths,
            1
        );
        assert!(matches!(
            w.emergency.death_counts(&w.cm, &c, 2026).await,
            Err(ServiceError::Forbidden)
        ));
        // The deceased leave the freshness count and the reminders.
        let dash = w
            .emergency
            .freshness_dashboard(&w.desk, &c, now)
            .await
            .unwrap();
        assert_eq!(dash[0].registered, 0);
        assert_eq!(w.emergency.send_reminders(now).await.unwrap(), (0, 0));
        let v = w.emergency.record(&w.desk, &c, ids[2], now).await.unwrap();
        let d = v.death.unwrap();
        assert_eq!(d.certified_by.code(), "police");
    }
);
