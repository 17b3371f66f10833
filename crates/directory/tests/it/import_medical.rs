//! The medical open data and municipal standard importers against the
//! malformed-input cases, in every encoding, on SQLite and PostgreSQL.

use renkei_directory::fixtures as store;
use renkei_directory::import::municipal::MEDICAL_CODE_SOURCE;
use renkei_directory::import::{
    import_medical, import_medical_files, import_municipal_standard, ImportFile, ImportOptions,
    CARE_SOURCE, MEDICAL_SOURCE,
};
use renkei_domain::SystemClock;
use renkei_domain::Timestamp;
use renkei_identity::Actor;
use renkei_store::{both_backends, Db};

/// The weekday prefixes of the national files.
const DAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// A clinic facility file's header as published (62 columns): the 13
/// columns, 7 weekly and 35 nth-week closure flags, the holiday flag,
/// other closures, and the clinic bed columns.
fn clinic_header() -> String {
    let mut h: Vec<String> = "ID,正式名称,正式名称（フリガナ）,略称,略称（フリガナ）,英語表記（ローマ字表記）,機関区分,都道府県コード,市区町村コード,所在地,所在地座標（緯度）,所在地座標（経度）,案内用ホームページアドレス"
        .split(',')
        .map(String::from)
        .collect();
    for d in DAYS {
        h.push(format!("毎週決まった曜日に休診（{d}）"));
    }
    for w in 1..=5 {
        for d in DAYS {
            h.push(format!("決まった週に休診（定期週）第{w}週（{d}）"));
        }
    }
    h.extend(
        [
            "祝日に休診",
            "その他の休診日（gw、お盆等）",
            "一般病床",
            "療養病床",
            "療養病床のうち医療保険適用",
            "療養病床のうち介護保険適用",
            "合計病床数",
        ]
        .map(String::from),
    );
    h.join(",")
}

/// A facility row: its first 13 columns, then closure flags (1 = open, as
/// the national files write them) where `closed` weekdays are 0 every week
/// and `closed_weeks` (week, weekday) are 0, the holiday flag, other
/// closures, and the total beds.
fn facility_row(
    first: &str,
    closed: &[u8],
    closed_weeks: &[(u8, u8)],
    holidays: &str,
    note: &str,
    beds: &str,
) -> String {
    let mut row = first.to_string();
    for d in 1..=7u8 {
        row.push_str(if closed.contains(&d) { ",0" } else { ",1" });
    }
    for w in 1..=5u8 {
        for d in 1..=7u8 {
            let shut = closed.contains(&d) || closed_weeks.contains(&(w, d));
            row.push_str(if shut { ",0" } else { ",1" });
        }
    }
    row.push_str(&format!(",{holidays},{note},{beds},0,0,0,{beds}"));
    row
}

/// A clinic file: a full-width ID, an e-mail address in the web-site
/// column, the 3-digit 市区町村コード (and a row without one), no
/// position (0.0, 0.0), 病床数 0,
/// closures, a blank line, a short ID, an empty name and a truncated last
/// line.
fn clinic_csv() -> String {
    [
        clinic_header(),
        facility_row("１３１０１２３４５６７８９,みどり内科クリニック,ミドリナイカクリニック,,,,2,13,101,東京都千代田区千代田１－１,35.6812,139.7671,info@midori-clinic.example.jp", &[7], &[(2, 6), (4, 6)], "0", "年末年始（改行）お盆", "0"),
        facility_row("1310198765432,あおば在宅診療所,アオバザイタクシンリョウジョ,,,,2,13,,東京都千代田区神田２－２,0.0,0.0,https://aoba-zaitaku.example.jp/", &[], &[], "1", "", "19"),
        String::new(),
        facility_row("131012345,番号の短い診療所,,,,,2,13,101,東京都千代田区,35.1,139.1,", &[], &[], "1", "", "0"),
        facility_row("1310111111111,,,,,,2,13,101,東京都千代田区,35.1,139.1,", &[], &[], "1", "", "0"),
        "1310122222222,途中で切れた診療所,,,,,2,13".to_string(),
    ]
    .join("\r\n")
}

/// The clinics' speciality-and-hours file (36 columns): みどり's 内科 in
/// the morning and afternoon and 小児科 on Tuesday afternoons, a row for a
/// facility the facility file does not list, and a malformed time.
fn clinic_specialities_csv() -> String {
    let mut header: Vec<String> = "ID,診療科目コード,診療科目名,診療時間帯"
        .split(',')
        .map(String::from)
        .collect();
    for word in ["診療", "外来受付"] {
        for d in DAYS.iter().chain(["祝"].iter()) {
            header.push(format!("{d}_{word}開始時間"));
            header.push(format!("{d}_{word}終了時間"));
        }
    }
    // Monday–Saturday mornings, Monday–Friday afternoons.
    let sessions = |days: &[u8], from: &str, to: &str| {
        let mut cells = String::new();
        for d in 1..=8u8 {
            if days.contains(&d) {
                cells.push_str(&format!(",{from},{to}"));
            } else {
                cells.push_str(",,");
            }
        }
        cells.push_str(&",".repeat(16));
        cells
    };
    [
        header.join(","),
        format!(
            "1310123456789,01001,内科,1{}",
            sessions(&[1, 2, 3, 4, 5, 6], "09:00", "12:00")
        ),
        format!(
            "1310123456789,01001,内科,2{}",
            sessions(&[1, 2, 3, 4, 5], "15:00", "18:00")
        ),
        format!(
            "1310123456789,01010,小児科,1{}",
            sessions(&[2], "14:00", "16:00")
        ),
        format!(
            "1310199999999,01001,内科,1{}",
            sessions(&[1], "09:00", "12:00")
        ),
        format!(
            "1310198765432,01001,内科,1{}",
            sessions(&[1], "9時", "12:00")
        ),
    ]
    .join("\r\n")
}

const CARE_LIST_HEADER: &str = "都道府県コード又は市区町村コード,NO,都道府県名,市区町村名,介護サービス事業所名称,介護サービス事業所名称_カナ,実施サービス,住所,方書,緯度,経度,電話番号,内線番号,FAX番号,法人番号,法人の名称,事業所番号,利用可能曜日,開始時間,終了時間,利用可能日時特記事項,定員,URL,備考";
const MEDICAL_LIST_HEADER: &str = "都道府県コード又は市区町村コード,NO,都道府県名,市区町村名,名称,名称_カナ,医療機関の種類,住所,方書,緯度,経度,電話番号,内線番号,FAX番号,法人番号,法人の名称,医療機関コード,診療曜日,診療開始時間,診療終了時間,診療日時特記事項,時間外における対応,診療科目,病床数,URL,備考";

/// A town's care list: one office with two services, one with 定員 0 and an
/// e-mail in the URL column, and a truncated last line.
fn care_list_csv() -> String {
    [
        CARE_LIST_HEADER,
        "999016,1,デモ県,デモ市,みなみ訪問看護,ミナミホウモンカンゴ,訪問看護;訪問介護,デモ市南町１,,34.51,135.51,0120-000-001,12,,,,9970100011,月～金,9:00,18:00,祝日休み,0,minami@example.jp,",
        "999016,2,デモ県,デモ市,ひがし居宅介護支援,ヒガシキョタクカイゴシエン,居宅介護支援,デモ市東町２,,,,0120-000-002,,,,,9970100022,月～金,８:３０,17:30,,,,",
        "999016,3,デモ県,デモ市,切れた事業所,,訪問",
    ]
    .join("\n")
}

fn medical_list_csv() -> String {
    [
        MEDICAL_LIST_HEADER,
        "999016,1,デモ県,デモ市,デモ市立病院,デモシリツビョウイン,病院,デモ市中央１,,34.50,135.50,0120-111-111,,0120-111-112,,,9910100011,月～金,8:30,17:00,,救急外来あり,内科;外科;整形外科,199,https://hospital.example.jp/,",
        "999016,2,デモ県,デモ市,みなと歯科,ミナトシカ,歯科診療所,デモ市港町２,,,,0120-222-222,,,,,9930100022,月～土,9:00,19:00,,,歯科,0,,",
    ]
    .join("\n")
}

#[derive(Clone, Copy, Debug)]
enum Enc {
    Utf8,
    Utf8Bom,
    Cp932,
}

fn encode(text: &str, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8 => text.as_bytes().to_vec(),
        Enc::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        Enc::Cp932 => {
            let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
            assert!(!unmappable, "test text must be representable in CP932");
            bytes.into_owned()
        }
    }
}

async fn check_medical(db: &Db, enc: Enc) {
    let files = vec![(
        "02-1_clinic_facility_info_20261101.csv".to_string(),
        encode(&clinic_csv(), enc),
    )];
    let report = import_medical(db, &files, None, &operator(), &SystemClock)
        .await
        .unwrap();
    let rejected: Vec<String> = report
        .rejected
        .iter()
        .map(|r| format!("{}:{}", r.line, r.column))
        .collect();
    assert_eq!(
        rejected,
        vec!["5:ID", "6:正式名称", "7:市区町村コード"],
        "{enc:?} {:#?}",
        report.rejected
    );
    assert!(report.rejected[2].reason.contains("truncated"));
    assert_eq!(report.created, 2, "{enc:?}");
    let (midori, _) = store::entry_by_code(db, MEDICAL_SOURCE, "1310123456789")
        .await
        .unwrap()
        .expect("full-width ID folded");
    assert_eq!(midori.kind, "clinic");
    assert_eq!(midori.email, "info@midori-clinic.example.jp");
    assert_eq!(midori.url, "");
    assert_eq!(midori.capacity, None, "合計病床数 0 means not entered");
    assert_eq!(
        midori.municipality_code, "131016",
        "都道府県コード 13 and 市区町村コード 101 make 13101 with its check digit"
    );
    let schedule = renkei_domain::directory::Schedule::from_json(&midori.schedule);
    assert_eq!(schedule.closed_weekdays, vec![7], "{}", midori.schedule);
    assert!(schedule.closed_weeks.contains(&(2, 6)) && schedule.closed_weeks.contains(&(4, 6)));
    assert!(schedule.closed_on_holidays);
    assert_eq!(schedule.closed_note, "年末年始 お盆");
    let (aoba, _) = store::entry_by_code(db, MEDICAL_SOURCE, "1310198765432")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (aoba.lat, aoba.lon),
        (None, None),
        "0.0, 0.0 is no position"
    );
    // The national files give a code without a name: the national list
    // names it; a row without a code is placed by its address.
    assert_eq!(midori.municipality_name, "千代田区");
    assert_eq!(
        (
            aoba.municipality_code.as_str(),
            aoba.municipality_name.as_str()
        ),
        ("131016", "千代田区")
    );
    assert_eq!(
        (
            report.municipality_missing,
            report.municipality_from_address
        ),
        (1, 1)
    );
    assert!(
        !report.warnings.iter().any(|w| w.column == "所在地座標"),
        "no warning for the national files' way of writing no position: {:?}",
        report.warnings
    );
    assert_eq!(aoba.capacity, Some(19));
    assert!(
        aoba.search_key.contains("あおばざいたく"),
        "{}",
        aoba.search_key
    );
}

both_backends!(medical_utf8, |db: Db| async move {
    check_medical(&db, Enc::Utf8).await;
});
both_backends!(medical_utf8_bom, |db: Db| async move {
    check_medical(&db, Enc::Utf8Bom).await;
});
both_backends!(medical_cp932, |db: Db| async move {
    check_medical(&db, Enc::Cp932).await;
});

both_backends!(
    medical_reimport_keeps_local_fields_and_reports_disappearance,
    |db: Db| async move {
        let name = "02-1_clinic_facility_info_20261101.csv".to_string();
        import_medical(
            &db,
            &[(name.clone(), clinic_csv().into_bytes())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        let (aoba, _) = store::entry_by_code(&db, MEDICAL_SOURCE, "1310198765432")
            .await
            .unwrap()
            .unwrap();
        store::set_acceptance(&db, aoba.id, "full", "12月まで満床", Timestamp::now())
            .await
            .unwrap();
        let again = import_medical(
            &db,
            &[(name.clone(), clinic_csv().into_bytes())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
        // A newer file: みどり is gone, あおば moved.
        let newer = [
            clinic_header(),
            facility_row("1310198765432,あおば在宅診療所,アオバザイタクシンリョウジョ,,,,2,13,101,東京都千代田区神田３－３,0.0,0.0,https://aoba-zaitaku.example.jp/", &[], &[], "1", "", "19"),
        ]
        .join("\n");
        let newer_report = import_medical(
            &db,
            &[(
                "02-1_clinic_facility_info_20261201.csv".into(),
                newer.into_bytes(),
            )],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(newer_report.updated, 1);
        assert_eq!(newer_report.changes[0].fields, vec!["address"]);
        assert_eq!(newer_report.disappeared.len(), 1);
        assert_eq!(newer_report.disappeared[0].0, "1310123456789");
        let (aoba, _) = store::entry_by_code(&db, MEDICAL_SOURCE, "1310198765432")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            aoba.acceptance, "full",
            "locally maintained status survives"
        );
        assert_eq!(aoba.acceptance_note, "12月まで満床");
        // A hospital file does not make clinics disappear.
        let hospitals = [
            clinic_header(),
            facility_row("1310100000001,千代田中央病院,チヨダチュウオウビョウイン,,,,1,13,101,東京都千代田区,35.69,139.75,", &[7], &[], "0", "", "300"),
        ]
        .join("\n");
        let h = import_medical(
            &db,
            &[(
                "01-1_hospital_facility_info_20261201.csv".into(),
                hospitals.into_bytes(),
            )],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(h.disappeared.is_empty(), "{:?}", h.disappeared);
        let bad = import_medical(
            &db,
            &[("06_unknown_20261201.csv".into(), b"ID\n1".to_vec())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(
            bad.rejected[0]
                .reason
                .contains("not a file of the national medical set"),
            "{:?}",
            bad.rejected
        );
        let headless = import_medical(
            &db,
            &[(
                "01-2_hospital_speciality_hours_20261201.csv".into(),
                b"ID\n1".to_vec(),
            )],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(
            headless.rejected[0].reason.contains("診療科目コード"),
            "{:?}",
            headless.rejected
        );
    }
);

both_backends!(
    specialities_and_hours_join_their_facilities,
    |db: Db| async move {
        let report = import_medical(
            &db,
            &[
                (
                    "02-2_clinic_speciality_hours_20261201.csv".into(),
                    clinic_specialities_csv().into_bytes(),
                ),
                (
                    "02-1_clinic_facility_info_20261201.csv".into(),
                    clinic_csv().into_bytes(),
                ),
            ],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(report.refused.is_empty(), "{:?}", report.refused);
        assert_eq!(report.created, 2, "{report:#?}");
        // The row of a facility no facility file lists is reported, not
        // made into a nameless entry; the malformed time is a warning.
        assert!(
            report
                .rejected
                .iter()
                .any(|r| r.reason.contains("1310199999999")),
            "{:?}",
            report.rejected
        );
        assert!(
            report.warnings.iter().any(|w| w.reason.contains("9時")),
            "{:?}",
            report.warnings
        );
        let (midori, _) = store::entry_by_code(&db, MEDICAL_SOURCE, "1310123456789")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(midori.speciality_codes, "01001,01010");
        assert_eq!(midori.departments, "内科;小児科");
        assert!(midori.search_key.contains("内科"), "{}", midori.search_key);
        let schedule = renkei_domain::directory::Schedule::from_json(&midori.schedule);
        assert_eq!(schedule.sessions.len(), 12, "{}", midori.schedule);
        assert_eq!(
            schedule.closed_weekdays,
            vec![7],
            "closures from the facility file"
        );
        assert_eq!(
            midori.hours,
            "月水木金 09:00–12:00, 15:00–18:00 / 火 09:00–12:00, 14:00–16:00, 15:00–18:00 \
             / 土 09:00–12:00 / 休診: 日・第2土・第4土・祝 / 年末年始 お盆"
        );
        // The entry page reads the schedule whole and tells its
        // departments' hours apart (小児科 only on Tuesday afternoons).
        let meta = store::entry_meta(&db, midori.id).await.unwrap().unwrap();
        assert_eq!(
            meta.schedule().describe_by_speciality(true),
            vec![
                (
                    "01001".to_string(),
                    "月火水木金 09:00–12:00, 15:00–18:00 / 土 09:00–12:00".to_string()
                ),
                ("01010".to_string(), "火 14:00–16:00".to_string()),
            ]
        );
        // Importing the same pair again changes nothing.
        let again = import_medical(
            &db,
            &[
                (
                    "02-1_clinic_facility_info_20261201.csv".into(),
                    clinic_csv().into_bytes(),
                ),
                (
                    "02-2_clinic_speciality_hours_20261201.csv".into(),
                    clinic_specialities_csv().into_bytes(),
                ),
            ],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 0, 2),
            "{again:#?}"
        );
        // The facility file alone (its speciality file forgotten) keeps the
        // 診療科目 and sessions the entries have: nothing changes.
        let alone = import_medical(
            &db,
            &[(
                "02-1_clinic_facility_info_20261201.csv".into(),
                clinic_csv().into_bytes(),
            )],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!((alone.updated, alone.unchanged), (0, 2), "{alone:#?}");
        let (kept, _) = store::entry_by_code(&db, MEDICAL_SOURCE, "1310123456789")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.speciality_codes, "01001,01010");
        assert_eq!(kept.schedule, midori.schedule);
        // みどり leaves the facility file but not the speciality file: its
        // speciality rows do not keep it listed.
        let without_midori = [
            clinic_header(),
            facility_row("1310198765432,あおば在宅診療所,アオバザイタクシンリョウジョ,,,,2,13,,東京都千代田区神田２－２,0.0,0.0,https://aoba-zaitaku.example.jp/", &[], &[], "1", "", "19"),
        ]
        .join("\r\n");
        let gone = import_medical(
            &db,
            &[
                (
                    "02-1_clinic_facility_info_20261201.csv".into(),
                    without_midori.into_bytes(),
                ),
                (
                    "02-2_clinic_speciality_hours_20261201.csv".into(),
                    clinic_specialities_csv().into_bytes(),
                ),
            ],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(gone.refused.is_empty(), "{:?}", gone.refused);
        assert_eq!(gone.disappeared_total, 1, "{gone:#?}");
        assert_eq!(gone.disappeared[0].0, "1310123456789");
    }
);

both_backends!(
    pharmacies_keep_their_kana_url_and_hours,
    |db: Db| async move {
        let mut header: Vec<String> = "ID,名称,フリガナ,ローマ字,機関区分,都道府県コード,市区町村コード,所在地,所在地座標（緯度）,所在地座標（経度）,薬局のホームページアドレス"
        .split(',')
        .map(String::from)
        .collect();
        let all = ["月", "火", "水", "木", "金", "土", "日", "祝"];
        for d in all {
            header.push(format!("営業日（{d}）"));
        }
        for d in all {
            header.push(format!("定期閉店毎週（{d}）"));
        }
        for w in ["１", "２", "３", "４", "５"] {
            for d in DAYS {
                header.push(format!("定期閉店第{w}週（{d}）"));
            }
        }
        header.push("祝日".into());
        header.push("その他の閉店日（gw、お盆等）".into());
        for n in 1..=4 {
            for d in all {
                header.push(format!("{d}_開店時間帯{n}_開始時間"));
                header.push(format!("{d}_開店時間帯{n}_終了時間"));
            }
        }
        // Open Monday–Saturday 09:00–19:00, closed Sundays and holidays.
        let mut row = "1359900000001,さくら薬局,サクラヤッキョク,,5,13,101,東京都千代田区九段１－１,35.69,139.75,https://sakura.example.jp/".to_string();
        for d in 1..=8 {
            row.push_str(if d >= 7 { ",0" } else { ",1" });
        }
        for d in 1..=8 {
            row.push_str(if d >= 7 { ",0" } else { ",1" });
        }
        for _ in 0..5 {
            for d in 1..=7 {
                row.push_str(if d == 7 { ",0" } else { ",1" });
            }
        }
        row.push_str(",0,");
        for n in 1..=4 {
            for d in 1..=8 {
                row.push_str(if n == 1 && d <= 6 {
                    ",09:00,19:00"
                } else {
                    ",,"
                });
            }
        }
        let file = format!("{}\r\n{row}\r\n", header.join(","));
        assert_eq!(header.len(), 128, "the pharmacy file's 128 columns");
        let report = import_medical(
            &db,
            &[("05_pharmacy_20261201.csv".into(), file.into_bytes())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(report.created, 1, "{report:#?}");
        let (sakura, _) = store::entry_by_code(&db, MEDICAL_SOURCE, "1359900000001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sakura.kind, "pharmacy");
        assert_eq!(sakura.kana, "サクラヤッキョク", "フリガナ");
        assert_eq!(
            sakura.url, "https://sakura.example.jp/",
            "薬局のホームページアドレス"
        );
        assert_eq!(sakura.municipality_code, "131016");
        assert_eq!(sakura.hours, "月火水木金土 09:00–19:00 / 休診: 日・祝");
    }
);

async fn check_municipal(db: &Db, enc: Enc) {
    let files = vec![
        ("kaigo_list.csv".to_string(), encode(&care_list_csv(), enc)),
        (
            "iryo_list.csv".to_string(),
            encode(&medical_list_csv(), enc),
        ),
    ];
    let reports = import_municipal_standard(db, &files, &operator(), &SystemClock)
        .await
        .unwrap();
    assert_eq!(reports.len(), 2);
    let care = reports
        .iter()
        .find(|r| r.files[0].0 == "kaigo_list.csv")
        .unwrap();
    assert_eq!(care.created, 2, "{enc:?} {:#?}", care.rejected);
    assert_eq!(care.rejected.len(), 1);
    assert_eq!(care.rejected[0].line, 4);
    assert!(care.rejected[0].reason.contains("truncated"));
    let (minami, services) = store::entry_by_code(db, CARE_SOURCE, "9970100011")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(services, vec!["110", "130"], "one office, two services");
    assert_eq!(minami.kind, "visiting_nursing");
    assert_eq!(minami.email, "minami@example.jp");
    assert_eq!(minami.capacity, None, "定員 0");
    assert_eq!(minami.phone, "0120-000-001 内線12");
    let (hospital, _) = store::entry_by_code(db, MEDICAL_CODE_SOURCE, "9910100011")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hospital.kind, "hospital");
    assert_eq!(hospital.capacity, Some(199));
    assert_eq!(hospital.url, "https://hospital.example.jp/");
    let (dental, _) = store::entry_by_code(db, MEDICAL_CODE_SOURCE, "9930100022")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dental.kind, "dental_clinic");
}

both_backends!(municipal_utf8, |db: Db| async move {
    check_municipal(&db, Enc::Utf8).await;
});
both_backends!(municipal_utf8_bom, |db: Db| async move {
    check_municipal(&db, Enc::Utf8Bom).await;
});
both_backends!(municipal_cp932, |db: Db| async move {
    check_municipal(&db, Enc::Cp932).await;
});

both_backends!(
    a_wrong_or_shrunken_medical_file_changes_nothing,
    |db: Db| async move {
        let name = "02-1_clinic_facility_info_20261101.csv";
        import_medical(
            &db,
            &[(name.into(), clinic_csv().into_bytes())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        let listed = |db: Db| async move {
            let mut out = Vec::new();
            for code in ["1310123456789", "1310198765432"] {
                let (e, _) = store::entry_by_code(&db, MEDICAL_SOURCE, code)
                    .await
                    .unwrap()
                    .unwrap();
                out.push((e.name, e.disappeared_at.is_some()));
            }
            out
        };
        let before = listed(db.clone()).await;
        // A clinic file with the care header, a header-only clinic file, a
        // hospital file that is the speciality file's header.
        let care_header =
            "都道府県コード又は市町村コード,事業所名,事業所番号\n131016,x,1370100011\n";
        let cases: Vec<(&str, String)> = vec![
            (name, care_header.to_string()),
            (name, format!("{}\n", clinic_header())),
            (
                "01-1_hospital_facility_info_20261201.csv",
                "ID,診療科目,診療時間\n1310100000001,内科,9-17\n".into(),
            ),
            (name, String::new()),
        ];
        for (file, text) in cases {
            let report = import_medical(
                &db,
                &[(file.into(), text.into_bytes())],
                None,
                &operator(),
                &SystemClock,
            )
            .await
            .unwrap();
            assert!(!report.refused.is_empty(), "{file}: {:?}", report.rejected);
            assert_eq!(report.disappeared_total, 0);
            assert_eq!(listed(db.clone()).await, before);
        }
        // A clinic file with one of many clinics: a header row and one of
        // the two, after a file of twenty.
        let mut twenty = clinic_header();
        for n in 0..20 {
            twenty.push('\n');
            twenty.push_str(&facility_row(
                &format!("13100000000{n:02},診療所{n},,,,,2,13,101,東京都千代田区,35.1,139.1,"),
                &[],
                &[],
                "1",
                "",
                "0",
            ));
        }
        let r = import_medical(
            &db,
            &[(name.into(), twenty.into_bytes())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(r.refused.is_empty(), "{:?}", r.refused);
        let one = format!(
            "{}\n{}",
            clinic_header(),
            facility_row(
                "1310000000001,診療所1,,,,,2,13,101,東京都千代田区,35.1,139.1,",
                &[],
                &[],
                "1",
                "",
                "0"
            )
        );
        let r = import_medical(
            &db,
            &[(name.into(), one.clone().into_bytes())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(
            r.refused
                .iter()
                .any(|m| m.contains("clinic") && m.contains("1 valid rows")),
            "{:?}",
            r.refused
        );
        let r = import_medical_files(
            &db,
            &[ImportFile::bytes(name, one.as_bytes())],
            &ImportOptions {
                allow_mass_removal: true,
                ..ImportOptions::default()
            },
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(r.refused.is_empty(), "{:?}", r.refused);
        assert_eq!(r.disappeared_total, 19);
    }
);

both_backends!(
    a_municipal_list_that_lost_most_rows_is_refused,
    |db: Db| async move {
        let row = |n: u32| {
            format!("999016,{n},デモ県,デモ市,事業所{n},,訪問看護,デモ市{n},,,,0120-000-{n:03},,,,,99701000{n:02},,,,,,,")
        };
        let list = |rows: Vec<String>| {
            let mut text = CARE_LIST_HEADER.to_string();
            for r in rows {
                text.push('\n');
                text.push_str(&r);
            }
            vec![("kaigo_list.csv".to_string(), text.into_bytes())]
        };
        let first = import_municipal_standard(
            &db,
            &list((1..=10).map(row).collect()),
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(first[0].created, 10, "{:?}", first[0].rejected);
        // Eight of ten rows now have one column too many.
        let broken: Vec<String> = (1..=10)
            .map(|n| {
                if n > 2 {
                    format!("{},", row(n))
                } else {
                    row(n)
                }
            })
            .collect();
        let reports = import_municipal_standard(&db, &list(broken), &operator(), &SystemClock)
            .await
            .unwrap();
        assert_eq!(reports[0].rejected_total, 8);
        assert!(
            reports[0]
                .refused
                .iter()
                .any(|m| m.contains("999016") && m.contains("2 valid rows")),
            "{:?}",
            reports[0].refused
        );
        let header_only =
            import_municipal_standard(&db, &list(Vec::new()), &operator(), &SystemClock)
                .await
                .unwrap();
        assert!(!header_only[0].refused.is_empty());
        for n in 1..=10 {
            let (e, services) = store::entry_by_code(&db, CARE_SOURCE, &format!("99701000{n:02}"))
                .await
                .unwrap()
                .unwrap();
            assert!(e.disappeared_at.is_none(), "{n}");
            assert_eq!(services, vec!["130"]);
        }
    }
);

/// The operator at the command line, as imports run.
fn operator() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}

both_backends!(
    a_holiday_file_replaces_its_years_and_a_broken_one_changes_nothing,
    |db: Db| async move {
        use renkei_directory::import::holidays::import_holidays;
        use renkei_directory::live::LiveIndex;
        // The Cabinet Office publishes Shift_JIS; 2026 with one more holiday.
        // A line that is not a date refuses the whole file (its year would
        // lose that holiday).
        let broken =
            "国民の祝日・休日月日,国民の祝日・休日名称\r\n2026/1/1,元日\r\n2026/13/1,壊れた行\r\n";
        let refused = import_holidays(
            &db,
            "syukujitsu.csv",
            &encode(broken, Enc::Cp932),
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(refused.refused.is_some(), "{refused:?}");
        assert_eq!(refused.rejected[0].line, 3);
        let text = "国民の祝日・休日月日,国民の祝日・休日名称\r\n2026/1/1,元日\r\n2026/12/7,臨時の休日\r\n";
        let report = import_holidays(
            &db,
            "syukujitsu.csv",
            &encode(text, Enc::Cp932),
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(report.refused, None);
        assert_eq!(
            (report.years.clone(), report.holidays, report.rejected.len()),
            (vec![2026], 2, 0)
        );
        let live = LiveIndex::empty();
        live.refresh(&db, renkei_domain::Timestamp::now())
            .await
            .unwrap();
        let h = live.holidays();
        assert!(h.is_holiday(2026, 12, 7), "imported");
        assert!(!h.is_holiday(2026, 5, 5), "2026 is the file's");
        assert!(h.is_holiday(2027, 5, 5), "2027 stays bundled");
        // A file without a date (a wrong file) is refused and changes nothing.
        let bad = import_holidays(
            &db,
            "x.csv",
            b"a,b\nnot,a date\n",
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(bad.refused.is_some());
        live.refresh(&db, renkei_domain::Timestamp::now())
            .await
            .unwrap();
        assert!(live.holidays().is_holiday(2026, 12, 7));
    }
);
