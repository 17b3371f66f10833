//! Exports on SQLite and PostgreSQL: the municipal standard CSV reads back
//! through the importer unchanged, the public edition holds only consented
//! entries and public fields, the workbook is a real xlsx, and the booklet
//! has its table of contents, areas and map pages.

use renkei_directory::export::{self, csv_standard::Dataset, Edition};
use renkei_directory::fixtures as store;
use renkei_directory::import::{import_municipal_standard, CARE_SOURCE};
use renkei_domain::SystemClock;
use renkei_domain::Timestamp;
use renkei_identity::Actor;
use renkei_store::{both_backends, Db};

const CARE_LIST: &str = "都道府県コード又は市区町村コード,NO,都道府県名,市区町村名,介護サービス事業所名称,介護サービス事業所名称_カナ,実施サービス,住所,方書,緯度,経度,電話番号,内線番号,FAX番号,法人番号,法人の名称,事業所番号,利用可能曜日,開始時間,終了時間,利用可能日時特記事項,定員,URL,備考
131016,1,東京都,千代田区,みなみ訪問看護,ミナミホウモンカンゴ,訪問看護;訪問介護,千代田区南町1,,35.681,139.767,03-0000-0001,,03-0000-0002,,,1370100011,,,,,,https://minami.example.jp/,
131016,2,東京都,千代田区,ひがし居宅介護支援,ヒガシキョタク,居宅介護支援,千代田区東町2,,35.690,139.770,03-0000-0003,,,,,1370100022,,,,,12,,
";

both_backends!(
    exports_round_trip_and_respect_the_edition,
    |db: Db| async move {
        import_municipal_standard(
            &db,
            &[("care.csv".into(), CARE_LIST.as_bytes().to_vec())],
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        let (hidden, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100022")
            .await
            .unwrap()
            .unwrap();
        let (minami, _) = store::entry_by_code(&db, CARE_SOURCE, "1370100011")
            .await
            .unwrap()
            .unwrap();
        // One entry withdraws consent; the other hides its phone and shows acceptance.
        let mut tx = db.begin().await.unwrap();
        store::write_local_fields(
            &mut tx,
            hidden.id,
            &renkei_directory::model::LocalFields {
                publish_consent: false,
                ..Default::default()
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
        store::write_local_fields(
            &mut tx,
            minami.id,
            &renkei_directory::model::LocalFields {
                publish_consent: true,
                public_fields: vec!["url".into(), "acceptance".into()],
                contact_windows: vec![renkei_domain::directory::ContactWindow {
                    method: "phone".into(),
                    weekdays: vec![2],
                    from: "10:00".into(),
                    to: "11:00".into(),
                    note: "管理者直通".into(),
                }],
                ..Default::default()
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
        store::write_acceptance(&mut tx, minami.id, "accepting", "", None, Timestamp::now())
            .await
            .unwrap();
        tx.commit().await.unwrap();

        // Professional CSV holds both and reads back as unchanged.
        let all = export::load(&db, &[], Edition::Professional).await.unwrap();
        assert_eq!(all.len(), 2);
        let mut csv = Vec::new();
        assert_eq!(
            export::csv_standard::write(&all, Dataset::Care, Edition::Professional, &mut csv)
                .unwrap(),
            2
        );
        let again = import_municipal_standard(
            &db,
            &[("export.csv".into(), csv)],
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(again[0].rejected, vec![], "the export is valid input");
        assert_eq!(
            (again[0].created, again[0].updated, again[0].unchanged),
            (0, 0, 2)
        );

        // The public edition: no unconsented entry, no private field.
        let public = export::load(&db, &["131016".into()], Edition::Public)
            .await
            .unwrap();
        assert_eq!(public.len(), 1);
        let mut csv = Vec::new();
        export::csv_standard::write(&public, Dataset::Care, Edition::Public, &mut csv).unwrap();
        let text = String::from_utf8(csv).unwrap();
        assert!(text.contains("みなみ訪問看護") && text.contains("https://minami.example.jp/"));
        assert!(
            !text.contains("03-0000-0001"),
            "phone is not public: {text}"
        );
        assert!(!text.contains("ひがし居宅介護支援"));

        let procedures = store::procedures(&db).await.unwrap();
        let booklet = export::booklet::render(
            &public,
            Edition::Public,
            "テスト",
            &procedures,
            Timestamp::now(),
            None,
        )
        .unwrap()
        .html;
        assert!(booklet.contains("目次") && booklet.contains("<svg") && booklet.contains("受入可"));
        assert!(
            !booklet.contains("管理者直通"),
            "contact windows only in the professional edition"
        );
        let rendered = export::booklet::render(
            &all,
            Edition::Professional,
            "テスト",
            &procedures,
            Timestamp::now(),
            None,
        )
        .unwrap();
        let pro = &rendered.html;
        assert!(pro.contains("管理者直通") && pro.contains("ひがし居宅介護支援"));
        assert!(!pro.contains("<script"), "names are escaped");

        // A ring binder's update: the edition is recorded; with nothing
        // changed no area is printed again; a change prints its area only.
        let first = export::record_booklet_edition(
            &db,
            "テスト",
            Edition::Professional,
            "",
            &rendered.pages,
            "test",
            Timestamp::now(),
        )
        .await
        .unwrap();
        let recorded = export::booklet_edition(&db, first).await.unwrap().unwrap();
        assert_eq!(recorded.pages, rendered.pages);
        let again = export::booklet::render(
            &all,
            Edition::Professional,
            "テスト",
            &procedures,
            Timestamp::now(),
            Some(export::booklet::Since {
                label: "第1版".into(),
                pages: &recorded.pages,
            }),
        )
        .unwrap();
        assert_eq!(again.printed_areas, 0);
        assert!(again.html.contains("変更のあった地区はありません"));
        let mut changed = all.clone();
        changed[0].entry.phone = "03-9999-9999".into();
        let replacement = export::booklet::render(
            &changed,
            Edition::Professional,
            "テスト",
            &procedures,
            Timestamp::now(),
            Some(export::booklet::Since {
                label: "第1版".into(),
                pages: &recorded.pages,
            }),
        )
        .unwrap();
        assert_eq!(replacement.printed_areas, 1);
        assert!(
            replacement.html.contains("差し替えページ")
                && replacement.html.contains("03-9999-9999")
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.xlsx");
        assert_eq!(
            export::xlsx::write(&all, Edition::Professional, &procedures, &path).unwrap(),
            2
        );
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip file");
    }
);

both_backends!(
    a_formula_in_a_name_is_exported_as_text,
    |db: Db| async move {
        let list = CARE_LIST
            .replace(
                "みなみ訪問看護",
                "\"=HYPERLINK(\"\"http://evil.example/\"\",\"\"みなみ\"\")\"",
            )
            .replace("千代田区南町1", "@SUM(A1)")
            .replace("ヒガシキョタク", "+cmd|' /C calc'!A0");
        let r = import_municipal_standard(
            &db,
            &[("care.csv".into(), list.into_bytes())],
            &operator(),
            &SystemClock,
        )
        .await
        .unwrap();
        assert_eq!(r[0].created, 2, "{:?}", r[0].rejected);
        let all = export::load(&db, &[], Edition::Professional).await.unwrap();
        let mut out = Vec::new();
        export::csv_standard::write(&all, Dataset::Care, Edition::Professional, &mut out).unwrap();
        let mut reader = csv::Reader::from_reader(&out[3..]);
        let mut cells = Vec::new();
        for record in reader.records() {
            cells.extend(record.unwrap().iter().map(str::to_string));
        }
        assert!(
            cells.contains(&"'=HYPERLINK(\"http://evil.example/\",\"みなみ\")".to_string()),
            "{cells:?}"
        );
        assert!(cells.contains(&"'@SUM(A1)".to_string()), "{cells:?}");
        assert!(
            cells.contains(&"'+cmd|' /C calc'!A0".to_string()),
            "{cells:?}"
        );
        for cell in &cells {
            let formula = cell.starts_with(['=', '+', '@', '\t', '\r'])
                || (cell.starts_with('-') && cell.parse::<f64>().is_err());
            assert!(!formula, "{cell:?} would be a formula");
        }
        // Numbers and codes are untouched.
        assert!(
            cells.contains(&"1370100011".to_string()) && cells.contains(&"35.681000".to_string())
        );
    }
);

/// The operator at the command line, as imports run.
fn operator() -> Actor {
    Actor::Cli {
        os_user: "test".into(),
    }
}
