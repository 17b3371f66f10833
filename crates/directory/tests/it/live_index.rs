//! The live search index follows the database in place, on SQLite and
//! PostgreSQL: another process's changes (an import, another server) are
//! applied entry by entry at the next refresh without a full build; an
//! entry that leaves the directory leaves the lists; and a saved snapshot
//! starts the index without a build, catching up with what changed after
//! it was written, while a snapshot that does not fit is not used. An
//! import of thousands of entries is applied in place, page by page.

use renkei_directory::fixtures as store;
use renkei_directory::live::{LiveIndex, Refreshed};
use renkei_directory::model::NewLocalEntry;
use renkei_directory::search::Query;
use renkei_domain::{EntryId, Timestamp};
use renkei_store::{both_backends, Db};

async fn add(db: &Db, name: &str, kana: &str, at: Timestamp) -> EntryId {
    let mut tx = db.begin().await.unwrap();
    let id = store::insert_local_entry(
        &mut tx,
        &NewLocalEntry {
            kind: "visiting_nursing".into(),
            name: name.into(),
            kana: kana.into(),
            municipality_code: "131016".into(),
            municipality_name: "千代田区".into(),
            address: "東京都千代田区".into(),
            lat: Some(35.68),
            lon: Some(139.76),
            ..Default::default()
        },
        at,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

fn names(live: &LiveIndex, text: &str) -> Vec<String> {
    live.search(&Query {
        text: Some(text.into()),
        limit: 50,
        ..Query::default()
    })
    .items
    .into_iter()
    .map(|h| h.entry.name)
    .collect()
}

both_backends!(
    changes_apply_in_place_and_snapshots_start_it,
    |db: Db| async move {
        let t0 = Timestamp::now();
        for n in 0..30 {
            add(
                &db,
                &format!("訪問看護{n:02}"),
                &format!("ほうもんかんご{n:02}"),
                t0,
            )
            .await;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("directory.index");
        let live = LiveIndex::new(Some(file.clone()));
        assert_eq!(
            live.refresh(&db, renkei_domain::Timestamp::now())
                .await
                .unwrap(),
            Refreshed::Built
        );
        assert_eq!(live.len(), 30);
        assert_eq!(
            live.refresh(&db, renkei_domain::Timestamp::now())
                .await
                .unwrap(),
            Refreshed::Current
        );

        // Another process adds one entry and marks another accepting: the
        // refresh applies just those.
        let added = add(
            &db,
            "さくら訪問看護",
            "さくらほうもんかんご",
            t0.plus_seconds(1),
        )
        .await;
        let first = live
            .search(&Query {
                text: Some("訪問看護00".into()),
                limit: 1,
                ..Query::default()
            })
            .items[0]
            .entry
            .id;
        store::set_acceptance(&db, first, "accepting", "", t0.plus_seconds(2))
            .await
            .unwrap();
        match live
            .refresh(&db, renkei_domain::Timestamp::now())
            .await
            .unwrap()
        {
            // The look-back reads every change of the last two minutes again.
            Refreshed::Applied(n) => assert!((2..=31).contains(&n), "{n}"),
            other => panic!("applied in place, not {other:?}"),
        }
        assert_eq!(live.len(), 31);
        // Relevance: the name that starts with the text first.
        assert_eq!(names(&live, "さくら"), vec!["さくら訪問看護"]);
        let accepting = live.search(&Query {
            accepting: true,
            limit: 5,
            ..Query::default()
        });
        assert_eq!(accepting.items.len(), 1);
        assert_eq!(accepting.items[0].entry.id, first);

        // Later changes: what changed since the last look is read, and what
        // was stamped in the ten seconds before it (a late commit), no more.
        let later = Timestamp(t0.millis() + 3_600_000);
        store::set_acceptance(&db, added, "full", "", later)
            .await
            .unwrap();
        assert!(matches!(
            live.refresh(&db, Timestamp(later.millis() + 1_000))
                .await
                .unwrap(),
            Refreshed::Applied(_)
        ));
        let hours_later = Timestamp(later.millis() + 3_600_000);
        store::set_acceptance(&db, first, "full", "", hours_later)
            .await
            .unwrap();
        assert_eq!(
            live.refresh(&db, Timestamp(hours_later.millis() + 1_000))
                .await
                .unwrap(),
            Refreshed::Applied(2),
            "the change, and the one stamped a second before the last look"
        );

        // The snapshot: written, then read by a new process instead of a build.
        assert!(live.save_snapshot().await.unwrap());
        assert!(!live.save_snapshot().await.unwrap(), "nothing new to save");
        let restarted = LiveIndex::new(Some(file.clone()));
        assert_eq!(
            restarted
                .refresh(&db, renkei_domain::Timestamp::now())
                .await
                .unwrap(),
            Refreshed::FromSnapshot
        );
        assert_eq!(restarted.len(), 31);
        assert_eq!(names(&restarted, "さくら"), vec!["さくら訪問看護"]);

        // Changes after the snapshot are caught up at start.
        let late = add(
            &db,
            "つばさ訪問看護",
            "つばさほうもんかんご",
            Timestamp(hours_later.millis() + 2_000),
        )
        .await;
        let restarted = LiveIndex::new(Some(file.clone()));
        assert_eq!(
            restarted
                .refresh(&db, renkei_domain::Timestamp::now())
                .await
                .unwrap(),
            Refreshed::FromSnapshot
        );
        assert_eq!(restarted.len(), 32);
        assert!(restarted.get(late).is_some());
        assert!(restarted.get(added).is_some());

        // A snapshot that does not parse is not used: the index is built.
        std::fs::write(&file, b"not an index").unwrap();
        let restarted = LiveIndex::new(Some(file.clone()));
        assert_eq!(
            restarted
                .refresh(&db, renkei_domain::Timestamp::now())
                .await
                .unwrap(),
            Refreshed::Built
        );
        assert_eq!(restarted.len(), 32);

        // A snapshot ahead of the database (another database, or one restored
        // from an older backup) is not used either.
        assert!(restarted.save_snapshot().await.unwrap());
        let other = renkei_store::testing::TestDb::new(db.backend()).await;
        let other = other.db.clone();
        add(&other, "別の訪問看護", "べつのほうもんかんご", t0).await;
        let elsewhere = LiveIndex::new(Some(file.clone()));
        assert_eq!(
            elsewhere
                .refresh(&other, renkei_domain::Timestamp::now())
                .await
                .unwrap(),
            Refreshed::Built
        );
        assert_eq!(elsewhere.len(), 1);
    }
);

both_backends!(
    a_corrupt_row_does_not_rebuild_the_index_forever,
    |db: Db| async move {
        let t0 = Timestamp::now();
        let kept = add(&db, "みどり訪問看護", "みどりほうもんかんご", t0).await;
        let broken = add(&db, "あおば訪問看護", "あおばほうもんかんご", t0).await;
        let live = LiveIndex::empty();
        assert_eq!(live.refresh(&db, t0).await.unwrap(), Refreshed::Built);
        // Another process leaves one row's stored contact windows unreadable.
        let later = Timestamp(t0.millis() + 3_600_000);
        let mut tx = db.begin().await.unwrap();
        renkei_store::write!(&mut tx, |c| {
            sqlx::query("UPDATE directory_entries SET contact_windows = 'not json', updated_at = $2 WHERE id = $1")
            .bind(broken)
            .bind(later.millis())
            .execute(&mut *c)
            .await
            .unwrap();
        });
        tx.commit().await.unwrap();
        // The change cannot be read: the index keeps the entry as it was,
        // rather than dropping it and then rebuilding because counts differ.
        assert!(matches!(
            live.refresh(&db, Timestamp(later.millis() + 1_000))
                .await
                .unwrap(),
            Refreshed::Applied(_)
        ));
        assert!(live.get(broken).is_some() && live.get(kept).is_some());
        // A new process builds without the row, counts it as left out, and
        // does not build again at the next look.
        let fresh = LiveIndex::empty();
        assert_eq!(
            fresh
                .refresh(&db, Timestamp(later.millis() + 2_000))
                .await
                .unwrap(),
            Refreshed::Built
        );
        assert_eq!(fresh.len(), 1);
        let next = Timestamp(later.millis() + 3_600_000);
        store::set_acceptance(&db, kept, "accepting", "", next)
            .await
            .unwrap();
        assert_eq!(
            fresh
                .refresh(&db, Timestamp(next.millis() + 1_000))
                .await
                .unwrap(),
            Refreshed::Applied(1)
        );
    }
);

both_backends!(
    a_service_lost_in_an_import_reaches_the_index,
    |db: Db| async move {
        use renkei_directory::import::{import_care_office_files, ImportFile, ImportOptions};
        const HEADER: &str = "都道府県コード又は市町村コード,No,都道府県名,市区町村名,事業所名,事業所名カナ,サービスの種類,住所,方書（ビル名等）,緯度,経度,電話番号,FAX番号,法人番号,法人の名称,事業所番号,利用可能曜日,利用可能曜日特記事項,定員,URL,高齢者の方と障害者の方が同時一体的に利用できるサービス,介護保険の通常の指定基準を満たしている,障害福祉の通常の指定基準を満たしている,備考";
        let row = |n: u32, name: &str| {
            format!("131016,{n},東京都,千代田区,{name},,訪問看護,東京都千代田区{n},,35.68,139.76,03-0000-000{n},,,,137010000{n},平日,,,,,,,")
        };
        let text = |rows: &[&String]| {
            format!(
                "{HEADER}\n{}\n",
                rows.iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
            .into_bytes()
        };
        let cli = renkei_identity::Actor::Cli {
            os_user: "test".into(),
        };
        let options = ImportOptions {
            allow_mass_removal: true,
            ..ImportOptions::default()
        };
        let t0 = Timestamp::now();
        let clock = renkei_domain::ManualClock::at(t0);
        let midori = row(1, "みどりケアセンター");
        let sakura = row(2, "さくらヘルパー");
        let (nursing, helpers) = (text(&[&midori]), text(&[&midori, &sakura]));
        import_care_office_files(
            &db,
            &[
                ImportFile::bytes("jigyosho_130.csv", &nursing),
                ImportFile::bytes("jigyosho_110.csv", &helpers),
            ],
            &options,
            &cli,
            &clock,
        )
        .await
        .unwrap();
        let live = LiveIndex::empty();
        // Looked a minute after the import: its rows are not in the look-back.
        assert_eq!(
            live.refresh(&db, t0.plus_seconds(60)).await.unwrap(),
            Refreshed::Built
        );
        let in_110 = |live: &LiveIndex| {
            live.search(&Query {
                service: Some("110".into()),
                limit: 5,
                ..Query::default()
            })
            .items
            .len()
        };
        assert_eq!(in_110(&live), 2);
        // An hour on, みどり is no longer in the 訪問介護 file (still in 訪問看護):
        // only its services change, and the next look applies that.
        clock.advance_seconds(3_600);
        let helpers = text(&[&sakura]);
        import_care_office_files(
            &db,
            &[
                ImportFile::bytes("jigyosho_130.csv", &nursing),
                ImportFile::bytes("jigyosho_110.csv", &helpers),
            ],
            &options,
            &cli,
            &clock,
        )
        .await
        .unwrap();
        assert!(matches!(
            live.refresh(&db, t0.plus_seconds(3_661)).await.unwrap(),
            Refreshed::Applied(_)
        ));
        assert_eq!(in_110(&live), 1);
    }
);

both_backends!(
    a_large_import_is_applied_in_place_page_by_page,
    |db: Db| async move {
        // 24,000 entries, then another process renames every one of them
        // (a re-import that rewrites every row): more than the 20,000
        // changes above which a new directory builds whole, but the index
        // already holds them, so they are applied in place, page by page,
        // and no second index is ever built beside the first.
        let t0 = Timestamp::now();
        let rows: Vec<(store::EntryFields, String)> = (0..24_000)
            .map(|n| {
                (
                    store::EntryFields {
                        official_code: format!("{n:010}"),
                        kind: "clinic".into(),
                        name: format!("旧名診療所{n}"),
                        prefecture_code: "13".into(),
                        municipality_code: "131016".into(),
                        address: "東京都千代田区".into(),
                        ..Default::default()
                    },
                    String::new(),
                )
            })
            .collect();
        let mut tx = db.begin().await.unwrap();
        store::insert_entries(&mut tx, "medical_institution_code", &rows, t0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let live = LiveIndex::empty();
        assert_eq!(live.refresh(&db, t0).await.unwrap(), Refreshed::Built);
        assert_eq!(live.len(), 24_000);

        let later = Timestamp(t0.millis() + 3_600_000);
        let mut tx = db.begin().await.unwrap();
        renkei_store::write!(&mut tx, |c| {
            sqlx::query(
                "UPDATE directory_entries SET name = REPLACE(name, '旧名', '新名'), updated_at = $1",
            )
            .bind(later.millis())
            .execute(&mut *c)
            .await
            .unwrap();
        });
        tx.commit().await.unwrap();
        assert_eq!(
            live.refresh(&db, Timestamp(later.millis() + 1_000))
                .await
                .unwrap(),
            Refreshed::Applied(24_000),
            "applied in place, not built whole"
        );
        assert_eq!(live.len(), 24_000);
        assert!(names(&live, "旧名診療所").is_empty());
        assert_eq!(names(&live, "新名診療所23999"), vec!["新名診療所23999"]);
    }
);
