//! The care open data importer against every malformed-input case, in every
//! encoding, on SQLite and PostgreSQL.

use renkei_directory::import::{import_care_offices, CARE_SOURCE};
use renkei_directory::store;
use renkei_domain::Timestamp;
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
    let report = import_care_offices(db, &files(enc), None, "test")
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
        import_care_offices(&db, &files(Enc::Utf8), None, "test")
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
        let again = import_care_offices(&db, &files(Enc::Cp932), None, "test")
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
            "test",
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
            "test",
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
            "test",
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
            "test",
        )
        .await
        .unwrap();
        assert!(empty.rejected[0].reason.contains("empty"));
    }
);
