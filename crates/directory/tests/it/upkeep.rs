//! Keeping the directory fresh, on SQLite and PostgreSQL: an organisation's
//! member edits its entry (professional-only changes apply, public ones wait
//! for the coordinator), acceptance in one call, the confirmation campaign
//! with e-mail reminders through the capturing sink, freshness per
//! municipality, and that outsiders are refused and every change is audited.

use std::sync::Arc;

use renkei_directory::fixtures as store;
use renkei_directory::live::LiveIndex;
use renkei_directory::model::NewLocalEntry;
use renkei_directory::model::{Acceptance, EditOutcome, RegionPlace, SheetReturn};
use renkei_directory::search::Query;
use renkei_directory::service::{Directory, DirectoryConfig, DirectoryError};
use renkei_domain::directory::ContactWindow;
use renkei_domain::Timestamp;
use renkei_identity::{Actor, Identity, IdentityConfig, NewMunicipality, NewOrganisation};
use renkei_mail::CapturingMailer;
use renkei_store::audit::{self, Verification};
use renkei_store::{both_backends, Db};

use crate::support::{ctx, user};

both_backends!(edit_review_remind_confirm, |db: Db| async move {
    let identity = Identity::new(
        db.clone(),
        IdentityConfig {
            require_mfa: false,
            ..IdentityConfig::default()
        },
    );
    let cli = Actor::Cli {
        os_user: "test".into(),
    };
    let region = identity
        .create_region(&cli, "r1", "第一圏域", false, &ctx())
        .await
        .unwrap();
    identity
        .create_municipality(
            &cli,
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
    let org = |name: &'static str| NewOrganisation {
        region_id: Some(region),
        kind: "visiting_nursing".into(),
        name: name.into(),
        ..Default::default()
    };
    let station = identity
        .create_organisation(&cli, &org("みどり訪問看護"), &ctx())
        .await
        .unwrap();
    let other = identity
        .create_organisation(&cli, &org("あおば訪問看護"), &ctx())
        .await
        .unwrap();
    let nurse = user(&identity, "nurse", "professional", region, vec![station]).await;
    let outsider = user(&identity, "outsider", "professional", region, vec![other]).await;
    let coordinator = user(&identity, "coord", "coordinator", region, vec![]).await;

    let mut tx = db.begin().await.unwrap();
    let entry = store::insert_local_entry(
        &mut tx,
        &NewLocalEntry {
            kind: "visiting_nursing".into(),
            name: "みどり訪問看護".into(),
            municipality_code: "131016".into(),
            municipality_name: "千代田区".into(),
            lat: Some(35.68),
            lon: Some(139.76),
            org_id: Some(renkei_domain::OrgId(station)),
            departments: String::new(),
            speciality_codes: String::new(),
            schedule: Default::default(),
            ..Default::default()
        },
        Timestamp::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let live = LiveIndex::empty();
    live.refresh(&db, renkei_domain::Timestamp::now())
        .await
        .unwrap();
    let mailer = CapturingMailer::default();
    let directory = Directory::new(
        db.clone(),
        live.clone(),
        Arc::new(mailer.clone()),
        DirectoryConfig {
            public_url: "https://renkei.example.jp".into(),
            ..DirectoryConfig::default()
        },
    );

    // A professional-only change by a member applies at once.
    let mut fields = directory
        .entry(&nurse, entry, Timestamp::now())
        .await
        .unwrap()
        .local
        .clone();
    fields.contact_windows = vec![ContactWindow {
        method: "phone".into(),
        weekdays: vec![1, 3],
        from: "13:00".into(),
        to: "14:00".into(),
        note: "管理者".into(),
    }];
    assert_eq!(
        directory
            .update(&nurse, entry, fields.clone(), &ctx(), Timestamp::now())
            .await
            .unwrap(),
        EditOutcome::Applied
    );
    // A public one waits for review and changes nothing yet.
    let mut public_change = fields.clone();
    public_change.features = "小児にも対応".into();
    let outcome = directory
        .update(
            &nurse,
            entry,
            public_change.clone(),
            &ctx(),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(
        matches!(outcome, EditOutcome::AwaitingReview(_)),
        "{outcome:?}"
    );
    assert_eq!(
        store::local_fields(&db, entry)
            .await
            .unwrap()
            .unwrap()
            .features,
        ""
    );
    // Bad input is named field by field.
    let mut bad = fields.clone();
    bad.contact_windows[0].from = "25:00".into();
    bad.procedures = vec!["teleportation".into()];
    match directory
        .update(&nurse, entry, bad, &ctx(), Timestamp::now())
        .await
    {
        Err(DirectoryError::Validation(v)) => {
            assert!(v.for_field("contact_windows[0]").is_some(), "{v}");
            assert!(v.for_field("procedures").is_some(), "{v}");
        }
        other => panic!("{other:?}"),
    }
    // Another organisation's member may not edit, review or set acceptance.
    assert!(matches!(
        directory
            .update(&outsider, entry, fields.clone(), &ctx(), Timestamp::now())
            .await,
        Err(DirectoryError::Forbidden)
    ));
    assert!(matches!(
        directory
            .set_acceptance(
                &outsider,
                entry,
                Acceptance {
                    status: "full",
                    note: "",
                    vacant_beds: None
                },
                &ctx(),
                Timestamp::now()
            )
            .await,
        Err(DirectoryError::Forbidden)
    ));
    assert!(matches!(
        directory.pending_reviews(&outsider).await,
        Err(DirectoryError::Forbidden)
    ));

    // The coordinator approves the public change.
    let pending = directory.pending_reviews(&coordinator).await.unwrap();
    assert_eq!(pending.len(), 1);
    directory
        .review(
            &coordinator,
            pending[0].id,
            true,
            "確認済み",
            &ctx(),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        store::local_fields(&db, entry)
            .await
            .unwrap()
            .unwrap()
            .features,
        "小児にも対応"
    );
    assert!(matches!(
        directory
            .review(
                &coordinator,
                pending[0].id,
                true,
                "",
                &ctx(),
                Timestamp::now()
            )
            .await,
        Err(DirectoryError::Conflict(_))
    ));

    // Acceptance in one call; nonsense refused.
    directory
        .set_acceptance(
            &nurse,
            entry,
            Acceptance {
                status: "accepting",
                note: "今週2名",
                vacant_beds: Some(0),
            },
            &ctx(),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(matches!(
        directory
            .set_acceptance(
                &nurse,
                entry,
                Acceptance {
                    status: "maybe",
                    note: "",
                    vacant_beds: None
                },
                &ctx(),
                Timestamp::now()
            )
            .await,
        Err(DirectoryError::Validation(_))
    ));

    // The campaign: never confirmed means overdue; one reminder to the member.
    let f = directory
        .freshness(&coordinator, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(f.overdue.len(), 1);
    assert_eq!(
        (f.by_municipality[0].entries, f.by_municipality[0].confirmed),
        (1, 0)
    );
    let run = directory
        .send_reminders(&coordinator, &ctx(), Timestamp::now())
        .await
        .unwrap();
    assert_eq!((run.sent, run.entries, run.delivered), (1, 1, false));
    let sent = mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "nurse@example.jp");
    assert!(sent[0].body.contains(&format!(
        "https://renkei.example.jp/directory/entries/{entry}"
    )));
    // Not again within the quiet period.
    let again = directory
        .send_reminders(&coordinator, &ctx(), Timestamp::now())
        .await
        .unwrap();
    assert_eq!((again.sent, again.recently_reminded), (0, 1));
    assert_eq!(mailer.sent().len(), 1);

    // "Still correct" clears it and moves the municipality's number.
    directory
        .confirm(&nurse, entry, &ctx(), Timestamp::now())
        .await
        .unwrap();
    let f = directory
        .freshness(&coordinator, Timestamp::now())
        .await
        .unwrap();
    assert!(f.overdue.is_empty());
    assert_eq!(f.by_municipality[0].share(), 1.0);
    let view = directory
        .entry(&nurse, entry, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(view.meta.confirmed_by_name.as_deref(), Some("nurse"));
    assert!(!view.overdue);

    // Acceptance goes stale by kind: a visiting-nursing station's room
    // after 7 days. Set 8 days ago, it is on the coordinator's list; set
    // again today, it is not.
    let week_ago = Timestamp::now().plus_seconds(-8 * 86_400);
    store::set_acceptance(&db, entry, "accepting", "", week_ago)
        .await
        .unwrap();
    let f = directory
        .freshness(&coordinator, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        f.stale_acceptance.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![entry]
    );
    assert!(directory
        .freshness(&coordinator, week_ago.plus_seconds(86_400))
        .await
        .unwrap()
        .stale_acceptance
        .is_empty());
    directory
        .set_acceptance(
            &nurse,
            entry,
            Acceptance {
                status: "accepting",
                note: "",
                vacant_beds: None,
            },
            &ctx(),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(directory
        .freshness(&coordinator, Timestamp::now())
        .await
        .unwrap()
        .stale_acceptance
        .is_empty());

    // A confirmation sheet came back by fax with a correction: the
    // coordinator keys it in, it applies at once and confirms the entry;
    // the station's own member cannot record sheets.
    let mut corrected = store::local_fields(&db, entry).await.unwrap().unwrap();
    corrected.languages = "英語・ベトナム語".into();
    assert!(matches!(
        directory
            .record_returned_sheet(
                &nurse,
                entry,
                corrected.clone(),
                SheetReturn::Fax,
                &ctx(),
                Timestamp::now()
            )
            .await,
        Err(DirectoryError::Forbidden)
    ));
    let changed = directory
        .record_returned_sheet(
            &coordinator,
            entry,
            corrected,
            SheetReturn::Fax,
            &ctx(),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(changed, vec!["languages"]);
    let view = directory
        .entry(&coordinator, entry, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(view.local.languages, "英語・ベトナム語");
    assert_eq!(view.meta.confirmed_by_name.as_deref(), Some("coord"));

    // A day service in the next ward that the region's residents use: the
    // coordinator adds it marked as outside (refused without the mark), it
    // is listed by the region, the region's searches find it and its
    // curators keep it.
    let outside = |mark: bool| NewLocalEntry {
        kind: "care_service".into(),
        name: "となり区デイサービス".into(),
        municipality_code: "131024".into(),
        municipality_name: "中央区".into(),
        lat: Some(35.67),
        lon: Some(139.77),
        outside_region: mark,
        ..Default::default()
    };
    assert!(matches!(
        directory
            .create_local(&coordinator, outside(false), &ctx(), Timestamp::now())
            .await,
        Err(DirectoryError::Validation(_))
    ));
    let neighbour = directory
        .create_local(&coordinator, outside(true), &ctx(), Timestamp::now())
        .await
        .unwrap();
    let view = directory
        .entry(&coordinator, neighbour, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(view.place, Some(RegionPlace::OutsideListed));
    assert!(view.may_curate, "the listing region's coordinator keeps it");
    let region_of_coord = directory
        .region_resources(&coordinator)
        .await
        .unwrap()
        .unwrap();
    let found: Vec<_> = live
        .search(&Query {
            within: Some((
                region_of_coord.municipalities.clone(),
                region_of_coord.listed.clone(),
            )),
            limit: 50,
            ..Query::default()
        })
        .items
        .into_iter()
        .map(|h| h.entry.id)
        .collect();
    assert!(found.contains(&neighbour) && found.contains(&entry));
    // Taken off the region's resources: outside, and no longer the
    // region's to keep.
    directory
        .list_for_region(&coordinator, neighbour, false, &ctx(), Timestamp::now())
        .await
        .unwrap();
    let view = directory
        .entry(&coordinator, neighbour, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(view.place, Some(RegionPlace::Outside));
    assert!(!view.may_curate);
    // An entry of the region itself cannot be "listed".
    assert!(matches!(
        directory
            .list_for_region(&coordinator, entry, true, &ctx(), Timestamp::now())
            .await,
        Err(DirectoryError::Conflict(_))
    ));

    // Searches see the new state at once: the service put each edit in the
    // index before it answered (no refresh here).
    let hit = live.search(&Query {
        accepting: true,
        limit: 5,
        ..Query::default()
    });
    assert_eq!(hit.items.len(), 1);
    assert_eq!(hit.items[0].entry.features, "小児にも対応");
    assert_eq!(hit.items[0].entry.contact_windows.len(), 1);

    // Every change is in the audit trail, and the chain holds.
    let actions: Vec<String> = audit::search(
        &db,
        &audit::AuditQuery {
            limit: 1000,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.action)
    .collect();
    for a in [
        "directory.update",
        "directory.change_requested",
        "directory.review.approved",
        "directory.acceptance",
        "directory.reminders",
        "directory.confirm",
        "directory.sheet_returned",
        "directory.region_listing.remove",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
    assert!(matches!(
        audit::verify(&db).await.unwrap(),
        Verification::Intact { .. }
    ));
});
