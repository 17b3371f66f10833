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

const MEDICAL_HEADER: &str = "ID,正式名称,正式名称（フリガナ）,略称,略称（フリガナ）,英語表記（ローマ字表記）,機関区分,都道府県コード,市区町村コード,所在地,所在地座標（緯度）,所在地座標（経度）,案内用ホームページアドレス,案内用電子メールアドレス,案内用電話番号,病床数";

/// A clinic file: full-width digits in the ID and phone, an e-mail address
/// in the web-site column, no coordinates, 病床数 0, a blank line, a short
/// ID, an empty name and a truncated last line.
fn clinic_csv() -> String {
    [
        MEDICAL_HEADER,
        "１３１０１２３４５６７８９,みどり内科クリニック,ミドリナイカクリニック,,,,2,13,13101,東京都千代田区千代田１－１,35.6812,139.7671,info@midori-clinic.example.jp,,０３－１１１１－２２２２,0",
        "1310198765432,あおば在宅診療所,アオバザイタクシンリョウジョ,,,,2,13,131016,東京都千代田区神田２－２,,,https://aoba-zaitaku.example.jp/,,03-3333-4444,19",
        "",
        "131012345,番号の短い診療所,,,,,2,13,13101,東京都千代田区,35.1,139.1,,,,",
        "1310111111111,,,,,,2,13,13101,東京都千代田区,35.1,139.1,,,,",
        "1310122222222,途中で切れた診療所,,,,,2,13",
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
    assert_eq!(midori.phone, "03-1111-2222");
    assert_eq!(midori.capacity, None, "病床数 0 means not entered");
    assert_eq!(
        midori.municipality_code, "131016",
        "5-digit code gets its check digit"
    );
    let (aoba, _) = store::entry_by_code(db, MEDICAL_SOURCE, "1310198765432")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (aoba.lat, aoba.lon),
        (None, None),
        "missing coordinates kept as none"
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
        MEDICAL_HEADER,
        "1310198765432,あおば在宅診療所,アオバザイタクシンリョウジョ,,,,2,13,131016,東京都千代田区神田３－３,,,https://aoba-zaitaku.example.jp/,,03-3333-4444,19",
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
        MEDICAL_HEADER,
        "1310100000001,千代田中央病院,チヨダチュウオウビョウイン,,,,1,13,13101,東京都千代田区,35.69,139.75,,,03-0000-0000,300",
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
        assert!(bad.rejected[0].reason.contains("not a facility file"));
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
            (name, format!("{MEDICAL_HEADER}\n")),
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
        let mut twenty = MEDICAL_HEADER.to_string();
        for n in 0..20 {
            twenty.push_str(&format!(
                "\n13100000000{n:02},診療所{n},,,,,2,13,13101,東京都千代田区,35.1,139.1,,,03-0000-0000,0"
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
            "{MEDICAL_HEADER}\n1310000000001,診療所1,,,,,2,13,13101,東京都千代田区,35.1,139.1,,,03-0000-0000,0"
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
