//! The care open data importer against every malformed-input case, in every
//! encoding, on SQLite and PostgreSQL.

use renkei_directory::fixtures as store;
use renkei_directory::import::{
    import_care_office_files, import_care_offices, ImportFile, ImportOptions, CARE_SOURCE,
};
use renkei_domain::SystemClock;
use renkei_domain::Timestamp;
use renkei_identity::Actor;
use renkei_store::{both_backends, Db};

const HEADER: &str = "都道府県コード又は市町村コード,No,都道府県名,市区町村名,事業所名,事業所名カナ,サービスの種類,住所,方書（ビル名等）,緯度,経度,電話番号,FAX番号,法人番号,法人の名称,事業所番号,利用可能曜日,利用可能曜日特記事項,定員,URL,高齢者の方と障害者の方が同時一体的に利用できるサービス,介護保険の通常の指定基準を満たしている,障害福祉の通常の指定基準を満たしている,備考";

/// jigyosho_130.csv: a normal office with full-width digits, 定員 0 and an
/// e-mail in the URL column; an office without coordinates; a blank line;
/// a 9-digit office number; an empty name; a truncated last line.
fn nursing_csv() -> String {
    [
        HEADER,
        "131016,1,東京都,千代田区,㈱みどり訪問看護ステーション,ﾐﾄﾞﾘﾎｳﾓﾝｶﾝｺﾞ,訪問看護,東京都千代田区千代田１－１,みどりビル２階,35.6812,139.7671,０３－１２３４－５６７８,03-1234-5679,１２３４５６７８９０１２３,株式会社みどり,１３７０１０００１１,月火水木金,土日祝休み,0,info@midori.example.jp,,○,,",
        "131016,2,東京都,千代田区,あおば訪問看護,アオバホウモンカンゴ,訪問看護,東京都千代田区神田２－２,,,,03-2222-3333,,,,1370100022,月～土,,,https://aoba.example.jp/,,○,,備考あり",
        "",
        "131016,3,東京都,千代田区,番号の短い事業所,,訪問看護,東京都千代田区,,35.1,139.1,,,,,137010003,,,,,,,,",
        "131016,4,東京都,千代田区,,,訪問看護,東京都千代田区,,35.1,139.1,,,,,1370100044,,,,,,,,",
        "131016,5,東京都,千代田区,途中で切れた事業所,,訪問看",
    ]
    .join("\r\n")
}

/// jigyosho_110.csv: the first office again (one office, several services)
/// and one more, with bad coordinates.
fn helper_csv() -> String {
    [
        HEADER,
        "131016,1,東京都,千代田区,㈱みどり訪問看護ステーション,ﾐﾄﾞﾘﾎｳﾓﾝｶﾝｺﾞ,訪問介護,東京都千代田区千代田１－１,みどりビル２階,35.6812,139.7671,03-1234-5678,03-1234-5679,1234567890123,株式会社みどり,1370100011,月火水木金,,12,info@midori.example.jp,,○,,",
        "131016,2,東京都,千代田区,さくらヘルパー,サクラヘルパー,訪問介護,東京都千代田区三番町３,,999,139.7,03-3333-4444,,,,1370100055,毎日,,5,03-3333-4444,,○,,",
    ]
    .join("\n")
        + "\n"
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

fn files(enc: Enc) -> Vec<(String, Vec<u8>)> {
    vec![
        ("jigyosho_130.csv".to_string(), encode(&nursing_csv(), enc)),
        ("jigyosho_110.csv".to_string(), encode(&helper_csv(), enc)),
    ]
}

async fn check_first_import(db: &Db, enc: Enc) {
    let report = import_care_offices(db, &files(enc), None, &operator(), &SystemClock)
        .await
        .unwrap();
    let rejected: Vec<String> = report
        .rejected
        .iter()
        .map(|r| format!("{}:{}:{}", r.file, r.line, r.column))
        .collect();
    assert_eq!(
        rejected,
        vec![
            "jigyosho_130.csv:5:事業所番号",
            "jigyosho_130.csv:6:事業所名",
            "jigyosho_130.csv:7:事業所番号"
        ],
        "{enc:?}: {:#?}",
        report.rejected
    );
    assert!(
        report.rejected[2].reason.contains("truncated"),
        "{}",
        report.rejected[2].reason
    );
    assert_eq!(report.created, 3, "{enc:?}");
    assert_eq!(report.rows_accepted, 4);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.line == 3 && w.file == "jigyosho_110.csv"),
        "bad coordinates warned: {:?}",
        report.warnings
    );

    let (midori, services) = store::entry_by_code(db, CARE_SOURCE, "1370100011")
        .await
        .unwrap()
        .expect("imported");
    assert_eq!(services, vec!["110", "130"], "one office, two services");
    assert_eq!(midori.name, "㈱みどり訪問看護ステーション");
    assert_eq!(midori.kind, "visiting_nursing");
    assert_eq!(
        midori.email, "info@midori.example.jp",
        "URL column holding an e-mail"
    );
    assert_eq!(midori.url, "");
    assert_eq!(midori.phone, "03-1234-5678", "full-width digits folded");
    assert_eq!(
        midori.capacity,
        Some(12),
        "the later file gave 12; 定員 0 means not entered"
    );
    assert_eq!((midori.lat, midori.lon), (Some(35.6812), Some(139.7671)));
    assert!(
        midori.search_key.contains("みどりほうもんかんご"),
        "kana folded: {}",
        midori.search_key
    );
    assert_eq!(midori.municipality_code, "131016");

    let (aoba, _) = store::entry_by_code(db, CARE_SOURCE, "1370100022")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (aoba.lat, aoba.lon),
        (None, None),
        "missing coordinates are accepted"
    );
    assert_eq!(aoba.url, "https://aoba.example.jp/");
    assert_eq!(aoba.capacity, None);
    let (sakura, _) = store::entry_by_code(db, CARE_SOURCE, "1370100055")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        sakura.lat, None,
        "coordinates outside Japan are dropped, the office kept"
    );
    assert_eq!(sakura.phone, "03-3333-4444");
}

both_backends!(first_import_utf8, |db: Db| async move {
    check_first_import(&db, Enc::Utf8).await
});
both_backends!(first_import_utf8_bom, |db: Db| async move {
    check_first_import(&db, Enc::Utf8Bom).await
});
both_backends!(first_import_cp932, |db: Db| async move {
    check_first_import(&db, Enc::Cp932).await
});

both_backends!(
    reimport_is_idempotent_reports_changes_and_keeps_local_fields,
    |db: Db| async move {
        import_care_offices(&db, &files(Enc::Utf8), None, &operator(), &SystemClock)
            .await
            .unwrap();
        let (midori, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100011")
            .await
            .unwrap()
            .unwrap();
        store::set_acceptance(
            &db,
            midori.id,
            "waiting_list",
            "12月から受入可",
            Timestamp::now(),
        )
        .await
        .unwrap();

        // The same files again, even in another encoding: nothing changes.
        let again = import_care_offices(&db, &files(Enc::Cp932), None, &operator(), &SystemClock)
            .await
            .unwrap();
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 0, 3),
            "{:?}",
            again.changes
        );
        assert!(again.disappeared.is_empty());

        // A newer file: a phone number changed, あおば is gone, and 110 still lists みどり.
        let newer = nursing_csv().replace("０３－１２３４－５６７８", "03-9999-0000").replace(
        "131016,2,東京都,千代田区,あおば訪問看護,アオバホウモンカンゴ,訪問看護,東京都千代田区神田２－２,,,,03-2222-3333,,,,1370100022,月～土,,,https://aoba.example.jp/,,○,,備考あり",
        "",
    );
        let report = import_care_offices(
            &db,
            &[("jigyosho_130.csv".into(), newer.into_bytes())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(report.created, 0);
        let change = report
            .changes
            .iter()
            .find(|c| c.official_code == "1370100011")
            .expect("change reported");
        assert!(
            change.fields.contains(&"phone".to_string()),
            "{:?}",
            change.fields
        );
        assert_eq!(
            report.disappeared,
            vec![("1370100022".to_string(), "あおば訪問看護".to_string())]
        );

        let (midori, services) = store::entry_by_code(&db, CARE_SOURCE, "1370100011")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            midori.acceptance, "waiting_list",
            "locally maintained fields survive re-import"
        );
        assert_eq!(midori.acceptance_note, "12月から受入可");
        assert_eq!(
            services,
            vec!["110", "130"],
            "services from files not re-imported stay"
        );
        let (aoba, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100022")
            .await
            .unwrap()
            .unwrap();
        assert!(aoba.disappeared_at.is_some());
        assert!(matches!(
            renkei_store::audit::verify(&db).await.unwrap(),
            renkei_store::audit::Verification::Intact { records: 3, .. }
        ));
    }
);

both_backends!(
    prefecture_filter_limits_import_and_disappearance,
    |db: Db| async move {
        let other_pref = helper_csv().replace("1370100055", "2770100055");
        let report = import_care_offices(
            &db,
            &[("jigyosho_110.csv".into(), other_pref.into_bytes())],
            Some("13"),
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(report.created, 1);
        assert_eq!(report.rows_outside_filter, 1);
        assert_eq!(store::count_entries(&db).await.unwrap(), 1);
    }
);

both_backends!(
    a_file_without_the_key_columns_is_refused_whole,
    |db: Db| async move {
        let report = import_care_offices(
            &db,
            &[("jigyosho_130.csv".into(), b"a,b,c\n1,2,3\n".to_vec())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(report.created, 0);
        assert_eq!(report.rejected.len(), 1);
        assert!(report.rejected[0].reason.contains("事業所番号"));
        let empty = import_care_offices(
            &db,
            &[("jigyosho_130.csv".into(), Vec::new())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(empty.rejected[0].reason.contains("empty"));
    }
);

/// A care row with every column: `number` is the office's serial (10-digit
/// 事業所番号 1370100000 + number), `name`, `email` and `remarks` as given.
fn care_row(number: u32, name: &str, email: &str, remarks: &str) -> String {
    format!(
        "131016,{number},東京都,千代田区,{name},,訪問看護,東京都千代田区{number},,35.68,139.76,03-0000-{number:04},,,,{},,,,{email},,,,{remarks}",
        1370100000u64 + number as u64
    )
}

fn care_file(rows: &[String]) -> Vec<u8> {
    let mut text = HEADER.to_string();
    for r in rows {
        text.push('\n');
        text.push_str(r);
    }
    text.push('\n');
    text.into_bytes()
}

async fn listed(db: &Db) -> Vec<(String, bool, Vec<String>)> {
    let mut out = Vec::new();
    for n in (0..=40u64).chain([55]) {
        let code = (1370100000u64 + n).to_string();
        if let Some((e, services)) = store::entry_by_code(db, CARE_SOURCE, &code).await.unwrap() {
            out.push((code, e.disappeared_at.is_some(), services));
        }
    }
    out
}

fn allow() -> ImportOptions {
    ImportOptions {
        allow_mass_removal: true,
        ..ImportOptions::default()
    }
}

both_backends!(a_broken_file_changes_nothing, |db: Db| async move {
    import_care_offices(&db, &files(Enc::Utf8), None, &operator(), &SystemClock)
        .await
        .unwrap();
    let (midori, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100011")
        .await
        .unwrap()
        .unwrap();
    store::set_acceptance(&db, midori.id, "accepting", "受入可", Timestamp::now())
        .await
        .unwrap();
    let before = listed(&db).await;
    assert_eq!(before.len(), 3);
    let mut random = vec![0u8; 4096];
    let mut x: u32 = 0x1234_5678;
    for b in random.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let medical_header = "ID,正式名称,正式名称（フリガナ）,都道府県コード,市区町村コード,所在地\n1310123456789,みどり内科,,13,13101,東京都千代田区\n";
    let broken: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "binary",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0".to_vec(),
        ),
        ("random bytes", random),
        ("header only", format!("{HEADER}\r\n").into_bytes()),
        ("a medical file", medical_header.as_bytes().to_vec()),
        ("blank lines only", b"\r\n\r\n,,,\r\n".to_vec()),
    ];
    for (what, bytes) in broken {
        let report = import_care_offices(
            &db,
            &[("jigyosho_130.csv".to_string(), bytes)],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(!report.refused.is_empty(), "{what}: refused");
        assert!(
            report
                .refused
                .iter()
                .any(|r| r.contains("jigyosho_130.csv")),
            "{what}: the message names the file: {:?}",
            report.refused
        );
        assert_eq!(
            (report.created, report.updated, report.disappeared_total),
            (0, 0, 0),
            "{what}"
        );
        assert_eq!(listed(&db).await, before, "{what}: nothing changed");
    }
    // Even with mass removal allowed, a file without a usable header is
    // refused: only a real, empty list may empty a service.
    let report = import_care_office_files(
        &db,
        &[ImportFile::bytes("jigyosho_130.csv", b"a,b,c\n1,2,3\n")],
        &allow(),
        &operator(),
        &SystemClock,
    )
    .await
    .unwrap();
    assert!(!report.refused.is_empty());
    assert_eq!(listed(&db).await, before);
    let (midori, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100011")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(midori.acceptance, "accepting");
    // Refusals are audited, and the chain is intact.
    assert!(matches!(
        renkei_store::audit::verify(&db).await.unwrap(),
        renkei_store::audit::Verification::Intact { .. }
    ));
});

both_backends!(
    a_shrunken_file_is_refused_unless_mass_removal_is_allowed,
    |db: Db| async move {
        let ten: Vec<String> = (1..=10)
            .map(|n| care_row(n, &format!("事業所{n}"), "", ""))
            .collect();
        let first = import_care_offices(
            &db,
            &[("jigyosho_130.csv".into(), care_file(&ten))],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(first.created, 10, "{:?}", first.rejected);
        // One office also provides 訪問介護, from another file.
        import_care_offices(
            &db,
            &[("jigyosho_110.csv".into(), care_file(&ten[..1]))],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        let (kept, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100002")
            .await
            .unwrap()
            .unwrap();
        store::set_acceptance(&db, kept.id, "full", "満床", Timestamp::now())
            .await
            .unwrap();
        let before = listed(&db).await;

        // Three of ten is below half of the last import: refused, nothing changes.
        let shrunk = care_file(&ten[..3]);
        let refused = import_care_offices(
            &db,
            &[("jigyosho_130.csv".into(), shrunk.clone())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(
            refused
                .refused
                .iter()
                .any(|r| r.contains("130") && r.contains("3 valid rows") && r.contains("10")),
            "{:?}",
            refused.refused
        );
        assert_eq!(listed(&db).await, before);

        // Five of ten is not: the other five disappear.
        let half = import_care_offices(
            &db,
            &[("jigyosho_130.csv".into(), care_file(&ten[..5]))],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(half.refused.is_empty(), "{:?}", half.refused);
        assert_eq!(half.disappeared_total, 5);
        // Two of five is refused again, unless the operator says the
        // offices really closed.
        let two = care_file(&ten[..2]);
        let refused = import_care_offices(
            &db,
            &[("jigyosho_130.csv".into(), two.clone())],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(!refused.refused.is_empty());
        let allowed = import_care_office_files(
            &db,
            &[ImportFile::bytes("jigyosho_130.csv", &two)],
            &allow(),
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(allowed.refused.is_empty(), "{:?}", allowed.refused);
        assert_eq!(allowed.disappeared_total, 3);
        // A header-only file with the flag empties the service: the office
        // that provides only 130 disappears, the one with 110 too loses 130.
        let emptied = import_care_office_files(
            &db,
            &[ImportFile::bytes(
                "jigyosho_130.csv",
                format!("{HEADER}\n").as_bytes(),
            )],
            &allow(),
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(emptied.refused.is_empty(), "{:?}", emptied.refused);
        assert_eq!(emptied.disappeared_total, 1);
        let (one, services) = store::entry_by_code(&db, CARE_SOURCE, "1370100001")
            .await
            .unwrap()
            .unwrap();
        assert!(one.disappeared_at.is_none());
        assert_eq!(services, vec!["110"]);
        // Disappearance is a mark: local fields stay and come back with the office.
        let (gone, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100002")
            .await
            .unwrap()
            .unwrap();
        assert!(gone.disappeared_at.is_some());
        assert_eq!(
            (gone.acceptance.as_str(), gone.acceptance_note.as_str()),
            ("full", "満床")
        );
        let back = import_care_offices(
            &db,
            &[("jigyosho_130.csv".into(), care_file(&ten))],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert!(
            back.refused.is_empty(),
            "an empty last import refuses nothing"
        );
        let (gone, services) = store::entry_by_code(&db, CARE_SOURCE, "1370100002")
            .await
            .unwrap()
            .unwrap();
        assert!(gone.disappeared_at.is_none());
        assert_eq!(services, vec!["130"]);
        assert_eq!(gone.acceptance_note, "満床");
    }
);

both_backends!(
    rows_of_the_wrong_shape_or_size_are_rejected,
    |db: Db| async move {
        let good = care_row(1, "正しい事業所", "", "");
        import_care_offices(
            &db,
            &[(
                "jigyosho_130.csv".into(),
                care_file(std::slice::from_ref(&good)),
            )],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        // 16 columns (ends at 事業所番号) with words for coordinates.
        let short: Vec<&str> = good.split(',').take(16).collect();
        let mut short = short.join(",");
        short = short.replace("35.68,139.76", "北緯,東経");
        let long = format!("{good},extra");
        let mut wide = care_row(1, "x", "", "");
        wide.push_str(&",".repeat(1_000_000));
        let huge = care_row(2, &"長".repeat(7_000_000), "", "");
        let file = care_file(&[good.clone(), short, long, wide, huge]);
        let report = import_care_offices(
            &db,
            &[("jigyosho_130.csv".into(), file)],
            None,
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        let lines: Vec<String> = report.rejected.iter().map(|r| r.to_string()).collect();
        assert_eq!(report.rejected_total, 4, "{lines:#?}");
        assert!(
            lines[0].starts_with("jigyosho_130.csv:3: 利用可能曜日: the row ends before 利用可能曜日: 16 of 24 columns"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with(
                "jigyosho_130.csv:4: column 25: the row has 25 columns, the header 24"
            ),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("jigyosho_130.csv:5: column 25: the row has 1000024 columns"),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].starts_with("jigyosho_130.csv:6: 事業所名: 7000000 characters, at most 200"),
            "{}",
            lines[3]
        );
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        let (e, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(e.name, "正しい事業所", "no row renamed the office");
        assert!(store::entry_by_code(&db, CARE_SOURCE, "1370100002")
            .await
            .unwrap()
            .is_none());
    }
);

both_backends!(
    an_office_in_several_files_does_not_depend_on_their_order,
    |db: Db| async move {
        // The same office in two service files with different e-mail and
        // remarks; only one of them gives 定員.
        let nursing = care_file(&[care_row(7, "みどり", "nurse@example.jp", "看護の備考")]);
        let helper = care_file(&[care_row(7, "みどり", "helper@example.jp", "介護の備考")
            .replace(",,,,helper", ",,,12,helper")]);
        let a = vec![
            ("jigyosho_130.csv".to_string(), nursing.clone()),
            ("jigyosho_110.csv".to_string(), helper.clone()),
        ];
        let b = vec![
            ("jigyosho_110.csv".to_string(), helper),
            ("jigyosho_130.csv".to_string(), nursing),
        ];
        import_care_offices(&db, &a, None, &operator(), &SystemClock)
            .await
            .unwrap();
        let (first, services) = store::entry_by_code(&db, CARE_SOURCE, "1370100007")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(services, vec!["110", "130"]);
        let again = import_care_offices(&db, &b, None, &operator(), &SystemClock)
            .await
            .unwrap();
        assert_eq!(
            (again.updated, again.unchanged),
            (0, 1),
            "{:?}",
            again.changes
        );
        let (second, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100007")
            .await
            .unwrap()
            .unwrap();
        let remarks = |id: renkei_directory::model::EntryId| {
            let db = db.clone();
            async move { store::entry_meta(&db, id).await.unwrap().unwrap().remarks }
        };
        assert_eq!(
            (first.email.as_str(), remarks(first.id).await),
            (second.email.as_str(), remarks(second.id).await)
        );
        // The lower service code speaks first; a field it leaves empty is
        // taken from the next.
        assert_eq!(first.email, "helper@example.jp");
        assert_eq!(remarks(first.id).await, "介護の備考");
        assert_eq!(first.capacity, Some(12));
    }
);

/// Counts this thread's live heap bytes, so that a test can show that
/// reading a file does not grow with the file.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static LIVE: Cell<usize> = const { Cell::new(0) };
        static PEAK: Cell<usize> = const { Cell::new(0) };
    }

    fn grow(by: usize) {
        let _ = LIVE.try_with(|live| {
            let n = live.get() + by;
            live.set(n);
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(n)));
        });
    }

    fn shrink(by: usize) {
        let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(by)));
    }

    // SAFETY: every call is passed on to the system allocator unchanged;
    // the counters only read the sizes.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: our caller keeps GlobalAlloc::alloc's contract, which
            // is System's.
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                grow(layout.size());
            }
            p
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` came from System.alloc or realloc above with
            // this layout, as our caller promises.
            unsafe { System.dealloc(ptr, layout) };
            shrink(layout.size());
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: as for dealloc; `new_size` is our caller's, unchanged.
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() {
                shrink(layout.size());
                grow(new_size);
            }
            p
        }
    }

    /// Runs `f` and returns the most heap it held at once on this thread.
    pub fn peak_of(f: impl FnOnce()) -> usize {
        let start = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(start));
        f();
        PEAK.with(Cell::get).saturating_sub(start)
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// A care file of `rows` rows made on the fly, never held whole; one row
/// in the middle has a 10-million-character remark.
struct Generated {
    rows: u64,
    next: u64,
    /// Characters of the long remark still to come.
    long: usize,
    buf: Vec<u8>,
    at: usize,
}

impl std::io::Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
            if self.long > 0 {
                let n = self.long.min(4096);
                self.buf.extend_from_slice("備".repeat(n).as_bytes());
                self.long -= n;
                if self.long == 0 {
                    self.buf.extend_from_slice(b"\r\n");
                }
            } else if self.next == 0 {
                self.buf.extend_from_slice(HEADER.as_bytes());
                self.buf.extend_from_slice(b"\r\n");
                self.next += 1;
            } else if self.next <= self.rows {
                let n = (self.next % 9_999) as u32;
                self.buf
                    .extend_from_slice(care_row(n, "生成された事業所", "", "").as_bytes());
                if self.next == self.rows / 2 {
                    // 備考 is the last column: the remark goes on from here.
                    self.long = 10_000_000;
                } else {
                    self.buf.extend_from_slice(b"\r\n");
                }
                self.next += 1;
            } else {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn reading_a_file_does_not_grow_with_the_file() {
    use renkei_directory::import::care_offices;
    use renkei_directory::import::decode::SourceEncoding;
    let rows = 40_000;
    let mut valid = 0usize;
    let mut rejected = 0usize;
    let peak = counting::peak_of(|| {
        let input = Generated {
            rows,
            next: 0,
            long: 0,
            buf: Vec::new(),
            at: 0,
        };
        let mut table =
            care_offices::open("jigyosho_130.csv", input, SourceEncoding::Utf8).unwrap();
        while let Some(row) = table.next_row().unwrap() {
            match row {
                Ok(row) => {
                    match care_offices::parse_row("jigyosho_130.csv", "130", &row, &mut |_| {}) {
                        Ok(_) => valid += 1,
                        Err(_) => rejected += 1,
                    }
                }
                Err(_) => rejected += 1,
            }
        }
    });
    assert_eq!((valid, rejected), (rows as usize - 1, 1));
    // About 45 MB of input (10 MB of it one field) in well under 2 MB.
    assert!(peak < 2 * 1024 * 1024, "peak {peak} bytes");
}

/// Fuzzing of the decoders and parsers on the stable toolchain: a few
/// hundred seeded cases per property on every `cargo test`, none may panic,
/// and what is accepted stays within the column bounds.
mod fuzz {
    use super::HEADER;
    use proptest::prelude::*;
    use renkei_directory::import::decode::{self, SourceEncoding};
    use renkei_directory::import::table::{CsvReader, Record, MAX_FIELD_CHARS};
    use renkei_directory::import::{care_offices, medical, municipal};

    const MEDICAL_HEADER: &str = "ID,正式名称,正式名称（フリガナ）,都道府県コード,市区町村コード,所在地,所在地座標（緯度）,所在地座標（経度）,案内用ホームページアドレス,案内用電話番号,病床数";
    const CARE_LIST_HEADER: &str = "都道府県コード又は市区町村コード,NO,市区町村名,介護サービス事業所名称,実施サービス,住所,緯度,経度,電話番号,事業所番号,定員,URL,備考";

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 200,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9０-９]{0,14}",
            "[ぁ-んァ-ン一-龥a-zA-Z ]{0,12}",
            "[\",\r\n ]{0,4}",
            "[0-9.\\-]{0,8}",
            Just("=HYPERLINK(\"http://x\",\"a\")".to_string()),
            Just("info@example.jp".to_string()),
            "\\PC{0,16}",
            (0usize..300).prop_map(|n| "長".repeat(n)),
        ]
    }

    fn check_all(bytes: &[u8]) {
        let _ = decode::decode(bytes);
        for name in ["jigyosho_130.csv", "other.csv"] {
            let parsed = care_offices::parse(name, bytes);
            for r in &parsed.rows {
                assert_eq!(r.office_number.len(), 10);
                assert!(r.office_number.bytes().all(|b| b.is_ascii_digit()));
                assert!(!r.name.is_empty() && r.name.chars().count() <= 200);
                assert!(r.address.chars().count() <= 500);
                assert!(r.remarks.chars().count() <= MAX_FIELD_CHARS);
            }
            for r in parsed.rejects.iter().chain(&parsed.warnings) {
                assert_eq!(r.file, name);
                assert!(!r.to_string().is_empty());
            }
        }
        let parsed = medical::parse("02-1_clinic_facility_info_20260101.csv", bytes);
        for (f, _) in &parsed.rows {
            assert_eq!(f.official_code.len(), 13);
            assert!(f.name.chars().count() <= 200);
        }
        let (_, parsed) = municipal::parse("list.csv", bytes);
        for (f, _) in &parsed.rows {
            assert_eq!(f.official_code.len(), 10);
            assert!(f.name.chars().count() <= 200);
        }
    }

    fn encode(text: &str, how: u8) -> Vec<u8> {
        match how % 3 {
            0 => text.as_bytes().to_vec(),
            1 => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
            _ => encoding_rs::SHIFT_JIS.encode(text).0.into_owned(),
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
            check_all(&bytes);
        }

        #[test]
        fn broken_files(
            header in 0usize..3,
            rows in prop::collection::vec(prop::collection::vec(cell(), 0..28), 0..10),
            how in any::<u8>(),
            cut in any::<prop::sample::Index>(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        ) {
            let mut text = [HEADER, MEDICAL_HEADER, CARE_LIST_HEADER][header].to_string();
            for row in &rows {
                text.push_str("\r\n");
                text.push_str(&row.join(","));
            }
            let mut bytes = encode(&text, how);
            for (at, b) in flips {
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
            }
            let keep = cut.index(bytes.len() + 1);
            bytes.truncate(keep.max(bytes.len() * 3 / 4));
            check_all(&bytes);
        }

        /// The CSV reader agrees with the `csv` crate on anything the
        /// `csv` crate writes.
        #[test]
        fn records_read_back_as_written(
            rows in prop::collection::vec(prop::collection::vec(cell(), 1..30), 1..10),
        ) {
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            for row in &rows {
                w.write_record(row).unwrap();
            }
            let bytes = w.into_inner().unwrap();
            let mut expected = Vec::new();
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(&bytes[..]);
            for rec in r.records() {
                expected.push(rec.unwrap().iter().map(str::to_string).collect::<Vec<_>>());
            }
            let mut reader = CsvReader::new(&bytes[..], SourceEncoding::Utf8);
            let mut record = Record::default();
            let mut got = Vec::new();
            while reader.read_record(&mut record, 64, 100_000).unwrap().is_some() {
                got.push((0..record.len()).map(|i| record.get(i).unwrap().to_string()).collect::<Vec<_>>());
            }
            prop_assert_eq!(got, expected);
        }
    }
}

/// The operator at the command line, as imports run.
fn operator() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}
