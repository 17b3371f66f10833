//! One facility, one entry, on SQLite and PostgreSQL: the matching finds a
//! clinic listed by the town's 医療機関一覧 under its corporation's name and
//! by a local entry, merges an exact copy by itself, leaves a hospital and
//! the nursing station in its building apart; the coordinator merges,
//! splits and rejects, only in their own region; lists, the public detail
//! and code lookups follow the merge; every step is audited.
//!
//! Stewardship by category and the partner export live here too: both are
//! about who keeps and who takes the region's entries.

use std::sync::Arc;

use renkei_directory::export::{csv_standard::Dataset, Edition};
use renkei_directory::fixtures as store;
use renkei_directory::live::LiveIndex;
use renkei_directory::model::{EditOutcome, LocalFields, NewLocalEntry};
use renkei_directory::same_facility::{Evidence, PairStatus};
use renkei_directory::search::Query;
use renkei_directory::service::{Directory, DirectoryConfig, DirectoryError};
use renkei_domain::{EntryId, Timestamp};
use renkei_identity::{Actor, Identity, IdentityConfig, NewMunicipality, NewOrganisation};
use renkei_mail::CapturingMailer;
use renkei_store::audit::{self, AuditQuery, Verification};
use renkei_store::{both_backends, Db};

use crate::support::{cli, ctx, user};

async fn coordinator(identity: &Identity, name: &str, region: i64) -> Actor {
    user(identity, name, "coordinator", region, vec![]).await
}

async fn local(db: &Db, kind: &str, name: &str, address: &str, phone: &str) -> EntryId {
    let mut tx = db.begin().await.unwrap();
    let id = store::insert_local_entry(
        &mut tx,
        &NewLocalEntry {
            kind: kind.into(),
            name: name.into(),
            municipality_code: "131016".into(),
            municipality_name: "千代田区".into(),
            address: address.into(),
            phone: phone.into(),
            lat: Some(35.68),
            lon: Some(139.76),
            ..Default::default()
        },
        Timestamp::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// An entry of the town's 医療機関一覧 (keyed by 医療機関コード).
async fn municipal(
    db: &Db,
    code: &str,
    kind: &str,
    name: &str,
    address: &str,
    phone: &str,
) -> EntryId {
    let mut tx = db.begin().await.unwrap();
    let ids = store::insert_entries(
        &mut tx,
        "medical_institution_code",
        &[(
            store::EntryFields {
                official_code: code.into(),
                kind: kind.into(),
                name: name.into(),
                prefecture_code: "13".into(),
                municipality_code: "131016".into(),
                municipality_name: "千代田区".into(),
                address: address.into(),
                phone: phone.into(),
                ..Default::default()
            },
            String::new(),
        )],
        Timestamp::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    ids[0].1
}

/// Identity with one region of one municipality, 千代田区 (131016).
async fn region_with_chiyoda(db: &Db) -> (Identity, i64) {
    let identity = Identity::new(
        db.clone(),
        IdentityConfig {
            require_mfa: false,
            ..IdentityConfig::default()
        },
    );
    let region = identity
        .create_region(&cli(), "r1", "第一圏域", false, &ctx())
        .await
        .unwrap();
    identity
        .create_municipality(
            &cli(),
            &NewMunicipality {
                region_id: Some(region),
                code: "131016".into(),
                name: "千代田区".into(),
                kana: String::new(),
                population: None,
            },
            &ctx(),
        )
        .await
        .unwrap();
    (identity, region)
}

/// How many audit records of `action` there are.
async fn audited(db: &Db, action: &str) -> usize {
    audit::search(
        db,
        &AuditQuery {
            action: Some(action.into()),
            limit: 10,
            ..AuditQuery::default()
        },
    )
    .await
    .unwrap()
    .len()
}

fn found(live: &LiveIndex, text: &str) -> Vec<EntryId> {
    live.search(&Query {
        text: Some(text.into()),
        limit: 50,
        ..Query::default()
    })
    .items
    .into_iter()
    .map(|h| h.entry.id)
    .collect()
}

both_backends!(match_merge_split_reject, |db: Db| async move {
    let (identity, region) = region_with_chiyoda(&db).await;
    let other_region = identity
        .create_region(&cli(), "r2", "第二圏域", false, &ctx())
        .await
        .unwrap();
    let coord = coordinator(&identity, "coord", region).await;
    let stranger = coordinator(&identity, "stranger", other_region).await;

    let clinic = local(
        &db,
        "clinic",
        "さくら内科クリニック",
        "千代田区丸の内1-2-3",
        "03-1234-5678",
    )
    .await;
    let clinic_copy = municipal(
        &db,
        "1310000001",
        "clinic",
        "医療法人社団桜会 さくら内科クリニック",
        "東京都千代田区丸の内一丁目2番3号",
        // The corporation's number, not the clinic's.
        "03(1234)9999",
    )
    .await;
    let pharmacy = local(
        &db,
        "pharmacy",
        "みどり薬局",
        "千代田区神田1-1-1",
        "03-2222-3333",
    )
    .await;
    let pharmacy_copy = municipal(
        &db,
        "1340000002",
        "pharmacy",
        "みどり薬局",
        "千代田区神田1-1-1",
        "03-2222-3333",
    )
    .await;
    let hospital = local(
        &db,
        "hospital",
        "千代田中央病院",
        "千代田区麹町5-5-5",
        "03-5555-0000",
    )
    .await;
    municipal(
        &db,
        "1310000003",
        "visiting_nursing",
        "千代田中央病院訪問看護ステーション",
        "千代田区麹町5-5-5",
        "03-5555-0000",
    )
    .await;
    let branch = local(
        &db,
        "clinic",
        "中央クリニック",
        "千代田区番町1-1",
        "03-7777-8888",
    )
    .await;
    municipal(
        &db,
        "1310000004",
        "clinic",
        "中央クリニック分院",
        "千代田区番町9-9",
        "03-7777-8888",
    )
    .await;

    let live = LiveIndex::empty();
    live.refresh(&db, Timestamp::now()).await.unwrap();
    let directory = Directory::new(
        db.clone(),
        live.clone(),
        Arc::new(CapturingMailer::default()),
        DirectoryConfig::default(),
    );
    assert_eq!(found(&live, "みどり薬局").len(), 2);

    // The coordinator's run: the exact pharmacy copy is merged, the
    // clinic and the branch wait, the hospital and its station do not match.
    let run = directory
        .find_same_facilities(&coord, &ctx(), &renkei_domain::SystemClock)
        .await
        .unwrap();
    assert_eq!((run.prefectures, run.entries_compared), (1, 8));
    assert_eq!((run.proposed, run.merged_automatically), (2, 1));
    assert_eq!(found(&live, "みどり薬局"), vec![pharmacy]);
    let review = directory.same_facility_review(&coord).await.unwrap();
    assert_eq!(review.merged.len(), 1);
    assert_eq!(review.merged[0].keep, pharmacy);
    let clinic_pair = review
        .proposed
        .iter()
        .find(|p| p.a.id == clinic)
        .unwrap()
        .clone();
    assert_eq!(clinic_pair.b.id, clinic_copy);
    assert_eq!(clinic_pair.confidence, 60);
    assert_eq!(
        clinic_pair.evidence,
        vec![Evidence::NameContains, Evidence::SameAddress]
    );
    assert!(review
        .proposed
        .iter()
        .all(|p| p.a.id != hospital && p.b.id != hospital));
    let branch_pair = review
        .proposed
        .iter()
        .find(|p| p.a.id == branch)
        .unwrap()
        .clone();

    // Another region's coordinator can neither see nor decide the pairs.
    assert!(directory
        .same_facility_review(&stranger)
        .await
        .unwrap()
        .proposed
        .is_empty());
    assert!(matches!(
        directory
            .merge_pair(&stranger, clinic_pair.id, clinic, &ctx(), Timestamp::now())
            .await,
        Err(DirectoryError::Forbidden)
    ));

    // Merged, keeping the local entry: one entry in lists, the copy's
    // code and public detail lead to it, its page names the copy.
    directory
        .merge_pair(&coord, clinic_pair.id, clinic, &ctx(), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(found(&live, "さくら内科"), vec![clinic]);
    assert_eq!(
        directory.ids_by_official_code("1310000001").await.unwrap(),
        vec![clinic]
    );
    let view = directory
        .entry(&coord, clinic, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(view.merged.len(), 1);
    assert_eq!(view.merged[0].2, "1310000001");
    assert_eq!(
        directory
            .public_entry(clinic_copy)
            .await
            .unwrap()
            .map(|e| e.id),
        Some(clinic),
        "the public detail of the copy shows the entry kept"
    );
    let copy = directory
        .entry(&coord, clinic_copy, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(copy.meta.merged_into, Some(clinic));
    // Deciding twice is a conflict, not a second merge.
    assert!(matches!(
        directory
            .merge_pair(&coord, clinic_pair.id, clinic, &ctx(), Timestamp::now())
            .await,
        Err(DirectoryError::Conflict(_))
    ));

    // The automatic merge is split again: both listed.
    let auto = directory.same_facility_review(&coord).await.unwrap().merged;
    let pharmacy_pair = auto.iter().find(|p| p.keep == pharmacy).unwrap();
    directory
        .split_pair(&coord, pharmacy_pair.id, &ctx(), Timestamp::now())
        .await
        .unwrap();
    let mut both = found(&live, "みどり薬局");
    both.sort();
    assert_eq!(both, vec![pharmacy, pharmacy_copy]);

    // The branch is another clinic; a new run proposes nothing decided.
    directory
        .reject_pair(&coord, branch_pair.id, &ctx(), Timestamp::now())
        .await
        .unwrap();
    let again = directory
        .find_same_facilities(
            &Actor::Cli {
                os_user: "op".into(),
            },
            &ctx(),
            &renkei_domain::SystemClock,
        )
        .await
        .unwrap();
    assert_eq!((again.proposed, again.merged_automatically), (0, 0));
    assert_eq!(
        again.decided_before, 2,
        "the split pharmacy and the rejected branch"
    );
    let review = directory.same_facility_review(&coord).await.unwrap();
    assert!(review.proposed.is_empty());
    assert_eq!(review.merged.len(), 1);
    assert_eq!(review.merged[0].status, PairStatus::Merged);
    assert!(review.merged[0].decided_by_name.is_some());

    // The kept clinic leaves the town's files: the copy merged into it is
    // listed on its own again rather than hidden with it.
    let mut tx = db.begin().await.unwrap();
    store::mark_disappeared(&mut tx, clinic, Timestamp::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    live.refresh(&db, Timestamp::now()).await.unwrap();
    assert_eq!(found(&live, "さくら内科"), vec![clinic_copy]);
    assert!(directory
        .same_facility_review(&coord)
        .await
        .unwrap()
        .merged
        .iter()
        .all(|p| p.a.id != clinic));

    // A fresh index from the database agrees with the one kept in place.
    let rebuilt = LiveIndex::empty();
    rebuilt.refresh(&db, Timestamp::now()).await.unwrap();
    assert_eq!(rebuilt.len(), live.len());
    assert_eq!(rebuilt.len(), 8 - 1, "the clinic gone, its copy back");

    for (action, n) in [
        ("directory.merge", 2),
        ("directory.split", 1),
        ("directory.match_rejected", 1),
        ("directory.match_run", 2),
    ] {
        assert_eq!(audited(&db, action).await, n, "{action}");
    }
    assert!(matches!(
        audit::verify(&db).await.unwrap(),
        Verification::Intact { .. }
    ));
});

both_backends!(
    stewards_keep_their_category_and_partners_export,
    |db: Db| async move {
        let (identity, region) = region_with_chiyoda(&db).await;
        let dental_association = identity
            .create_organisation(
                &cli(),
                &NewOrganisation {
                    region_id: Some(region),
                    kind: "association".into(),
                    name: "千代田歯科医師会".into(),
                    ..Default::default()
                },
                &ctx(),
            )
            .await
            .unwrap();
        let coord = coordinator(&identity, "coord", region).await;
        let secretary = user(
            &identity,
            "secretary",
            "professional",
            region,
            vec![dental_association],
        )
        .await;
        let dentist = local(
            &db,
            "dental_clinic",
            "まるの内歯科",
            "千代田区丸の内2-2-2",
            "03-3333-1111",
        )
        .await;
        let clinic = local(
            &db,
            "clinic",
            "まるの内内科",
            "千代田区丸の内2-2-3",
            "03-3333-2222",
        )
        .await;
        let live = LiveIndex::empty();
        live.refresh(&db, Timestamp::now()).await.unwrap();
        let directory = Directory::new(
            db.clone(),
            live.clone(),
            Arc::new(CapturingMailer::default()),
            DirectoryConfig::default(),
        );
        let public_change = |features: &str| LocalFields {
            features: features.into(),
            publish_consent: true,
            ..LocalFields::default()
        };

        // Before the grant the association's secretary may not touch either.
        assert!(matches!(
            directory
                .update(
                    &secretary,
                    dentist,
                    public_change("訪問歯科あり"),
                    &ctx(),
                    Timestamp::now()
                )
                .await,
            Err(DirectoryError::Forbidden)
        ));
        assert!(matches!(
            directory
                .set_stewardship(
                    &secretary,
                    renkei_domain::OrgId(dental_association),
                    "dental_clinic",
                    true,
                    &ctx(),
                    Timestamp::now()
                )
                .await,
            Err(DirectoryError::Forbidden)
        ));
        assert!(directory
            .set_stewardship(
                &coord,
                renkei_domain::OrgId(dental_association),
                "dental_clinic",
                true,
                &ctx(),
                Timestamp::now()
            )
            .await
            .unwrap());
        assert!(matches!(
            directory
                .set_stewardship(
                    &coord,
                    renkei_domain::OrgId(dental_association),
                    "no_such_kind",
                    true,
                    &ctx(),
                    Timestamp::now()
                )
                .await,
            Err(DirectoryError::Validation(_))
        ));

        let granted = directory.stewardships(&coord).await.unwrap();
        assert_eq!(
            granted
                .iter()
                .map(|g| (g.org_name.as_str(), g.kind.as_str()))
                .collect::<Vec<_>>(),
            vec![("千代田歯科医師会", "dental_clinic")]
        );
        assert!(matches!(
            directory.stewardships(&secretary).await,
            Err(DirectoryError::Forbidden)
        ));
        // Change requests waiting for the two clinics: the steward sees the
        // dental one only.
        let mut tx = db.begin().await.unwrap();
        let requester = secretary.user_id().unwrap();
        for entry in [dentist, clinic] {
            store::insert_change_request(
                &mut tx,
                entry,
                requester,
                &LocalFields::default(),
                Timestamp::now(),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        assert_eq!(
            directory
                .pending_reviews(&secretary)
                .await
                .unwrap()
                .iter()
                .map(|r| r.entry_id)
                .collect::<Vec<_>>(),
            vec![dentist]
        );

        // Now the secretary corrects a dental clinic at once (as a curator
        // would), confirms it, and sees the category's overdue entries; the
        // internal-medicine clinic stays out of reach.
        assert_eq!(
            directory
                .update(
                    &secretary,
                    dentist,
                    public_change("訪問歯科あり"),
                    &ctx(),
                    Timestamp::now()
                )
                .await
                .unwrap(),
            EditOutcome::Applied
        );
        let work = directory
            .steward_work(&secretary, Timestamp::now())
            .await
            .unwrap();
        assert_eq!(work.kinds, vec!["dental_clinic".to_string()]);
        assert_eq!(
            work.overdue.iter().map(|o| o.id).collect::<Vec<_>>(),
            vec![dentist]
        );
        directory
            .confirm(&secretary, dentist, &ctx(), Timestamp::now())
            .await
            .unwrap();
        assert!(directory
            .steward_work(&secretary, Timestamp::now())
            .await
            .unwrap()
            .overdue
            .is_empty());
        assert!(matches!(
            directory
                .update(
                    &secretary,
                    clinic,
                    public_change("x"),
                    &ctx(),
                    Timestamp::now()
                )
                .await,
            Err(DirectoryError::Forbidden)
        ));
        assert!(
            directory
                .entry(&secretary, dentist, Timestamp::now())
                .await
                .unwrap()
                .may_review
        );
        assert!(
            !directory
                .entry(&secretary, clinic, Timestamp::now())
                .await
                .unwrap()
                .may_review
        );

        // The partner export: the region's medical entries as the municipal
        // standard CSV, only the kinds asked for; audited.
        let csv = directory
            .partner_export(
                &secretary,
                Dataset::Medical,
                Edition::Professional,
                &["dental_clinic".into()],
                &ctx(),
            )
            .await
            .unwrap();
        let text = String::from_utf8(csv).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("まるの内歯科"));
        assert!(!text.contains("まるの内内科"));
        let all = String::from_utf8(
            directory
                .partner_export(
                    &secretary,
                    Dataset::Medical,
                    Edition::Professional,
                    &[],
                    &ctx(),
                )
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(all.contains("まるの内内科"));
        // A hospital of the next city that the region lists is exported
        // with the region's own entries.
        let mut tx = db.begin().await.unwrap();
        let outside = store::insert_local_entry(
            &mut tx,
            &NewLocalEntry {
                kind: "hospital".into(),
                name: "となり市民病院".into(),
                municipality_code: "141003".into(),
                municipality_name: "横浜市".into(),
                ..Default::default()
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        directory
            .list_for_region(&coord, outside, true, &ctx(), Timestamp::now())
            .await
            .unwrap();
        let with_listed = String::from_utf8(
            directory
                .partner_export(&coord, Dataset::Medical, Edition::Professional, &[], &ctx())
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(with_listed.contains("となり市民病院"));

        // Ending the stewardship ends the rights.
        directory
            .set_stewardship(
                &coord,
                renkei_domain::OrgId(dental_association),
                "dental_clinic",
                false,
                &ctx(),
                Timestamp::now(),
            )
            .await
            .unwrap();
        assert!(matches!(
            directory
                .update(
                    &secretary,
                    dentist,
                    public_change("y"),
                    &ctx(),
                    Timestamp::now()
                )
                .await,
            Err(DirectoryError::Forbidden)
        ));
        for (action, n) in [
            ("directory.stewardship.grant", 1),
            ("directory.stewardship.end", 1),
            ("directory.export", 3),
        ] {
            assert_eq!(audited(&db, action).await, n, "{action}");
        }
    }
);
