//! The demo's care team: five people from four organisations (doctor,
//! visiting nurse, care manager, pharmacist, and the daughter) follow one
//! patient at home for a week — vital signs, a change of medicine, an urgent
//! fever at night acknowledged by the doctor — plus a second patient of the
//! same care manager and the visiting-nurse liaison group.
//!
//! Everything is written through the care service (so it is consented,
//! audited and shaped like real use) at `now`; only the posts' times are
//! moved back into the week before it afterwards.

use renkei_domain::care::Vitals;
use renkei_domain::{OrgId, PostId, Timestamp};
use renkei_identity::{demo, Identity, Principal};
use renkei_store::{Db, ServiceError, StoreError};

use crate::model::{ConsentInput, Contact, PatientInput, PostInput, SummaryFields};
use crate::store::set_post_time;
use crate::{Care, CareError};

fn who<'a>(users: &'a [Principal], name: &str) -> Result<&'a Principal, CareError> {
    users.iter().find(|u| u.username == name).ok_or_else(|| {
        ServiceError::Store(StoreError::Invalid(format!("demo user {name} missing")))
    })
}

/// (days ago, hour, minute, author, category, text, vitals, urgent)
type Entry = (
    i64,
    i64,
    i64,
    &'static str,
    &'static str,
    &'static str,
    Vitals,
    bool,
);

fn v(t: f64, sys: f64, dia: f64, pulse: f64, spo2: f64) -> Vitals {
    Vitals {
        temperature: Some(t),
        bp_systolic: Some(sys),
        bp_diastolic: Some(dia),
        pulse: Some(pulse),
        spo2: Some(spo2),
        ..Default::default()
    }
}

/// Loads care's part of the demo, as the demo region's people. It writes
/// through a care service of its own that keeps its e-mail in memory, so
/// loading the demo never mails anyone, whatever SMTP is configured.
pub async fn load(
    service: &Care,
    identity: &Identity,
    now: Timestamp,
) -> Result<String, CareError> {
    let care = &Care::new(
        service.db().clone(),
        std::sync::Arc::new(renkei_mail::CapturingMailer::default()),
        service.config().clone(),
    );
    let mut users = Vec::new();
    for name in [
        "demo-doctor",
        "demo-nurse",
        "demo-caremanager",
        "demo-pharmacist",
        "demo-family",
    ] {
        users.push(demo::principal(identity, name).await.map_err(|e| {
            ServiceError::Store(StoreError::Invalid(format!("demo user {name}: {e}")))
        })?);
    }
    let users = &users[..];
    let ctx = &demo::context();
    let db = care.db();
    let doctor = who(users, "demo-doctor")?;
    let nurse = who(users, "demo-nurse")?;
    let cm = who(users, "demo-caremanager")?;
    let pharmacist = who(users, "demo-pharmacist")?;
    let family = who(users, "demo-family")?;

    let patient = care
        .register_patient(
            cm,
            ctx,
            None,
            "care_manager",
            &PatientInput {
                name: "緑川 ハナ".into(),
                kana: "みどりかわ はな".into(),
                birth_date: "1936-04-12".into(),
                sex: "female".into(),
                address: "みどり野市本町3-8-1".into(),
                phone: "0999-12-3456".into(),
                insured_number: "9920100123".into(),
                care_level: "care3".into(),
                care_level_from: "2026-04-01".into(),
                care_level_to: "2027-03-31".into(),
                care_application: "certified".into(),
                independence_physical: "B1".into(),
                independence_dementia: "Ⅱa".into(),
                household: "alone_daytime".into(),
                contacts: vec![Contact {
                    name: "家族 和子".into(),
                    relation: "長女".into(),
                    phone: "090-0000-1234".into(),
                    key_person: true,
                    emergency: true,
                }],
            },
            now,
        )
        .await?;
    let space = care.patient_space(patient).await?;
    let orgs: Vec<OrgId> = [doctor, nurse, pharmacist]
        .iter()
        .filter_map(|p| p.org_ids.first().copied())
        .collect();
    care.record_consent(
        cm,
        ctx,
        patient,
        &ConsentInput {
            covers_orgs: orgs,
            covers_professions: Vec::new(),
            covers_family: true,
            obtained_on: now
                .plus_seconds(-9 * 86_400)
                .to_jst_display()
                .chars()
                .take(10)
                .collect(),
            obtained_by: "支援 誠（介護支援専門員）".into(),
            signer: "本人（緑川 ハナ）、長女（家族 和子）".into(),
        },
        None,
        now,
    )
    .await?;
    for (p, role) in [
        (doctor, "attending_doctor"),
        (nurse, "visiting_nurse"),
        (pharmacist, "pharmacist"),
        (family, "family"),
    ] {
        care.invite(cm, ctx, space, &p.username, role, now).await?;
        care.accept(p, ctx, space, now).await?;
    }
    care.save_summary(
        doctor,
        ctx,
        patient,
        0,
        &SummaryFields {
            diagnoses: "慢性心不全（NYHA II）、2型糖尿病、変形性膝関節症".into(),
            medicines:
                "フロセミド錠20mg 1錠 朝\nメトホルミン錠250mg 2錠 朝夕\nアムロジピン錠5mg 1錠 朝"
                    .into(),
            allergies: "ペニシリン系（発疹）".into(),
            adl: "屋内は伝い歩き、入浴は一部介助、排泄は日中自立・夜間ポータブルトイレ".into(),
            procedures: "なし（在宅酸素の検討中）".into(),
            notes: "日中独居。長女が夕方に訪問。本人は自宅での療養を希望。".into(),
        },
        now,
    )
    .await?;

    let week: Vec<Entry> = vec![
        (6, 10, 5, "demo-nurse", "vitals", "定期訪問。下肢のむくみ軽度、食事は7割。", v(36.6, 138.0, 78.0, 76.0, 96.0), false),
        (6, 18, 40, "demo-family", "family", "夕方に様子を見に行きました。テレビを見て落ち着いていました。", Vitals::default(), false),
        (5, 14, 0, "demo-caremanager", "request", "来週のデイサービス利用日を火曜から木曜に変更しました。@demo-nurse さん、訪問日の調整をお願いします。", Vitals::default(), false),
        (4, 10, 20, "demo-nurse", "vitals", "体重が3日で1.5kg増。むくみ増強。@demo-doctor 先生に報告します。", Vitals { weight: Some(48.5), ..v(36.8, 146.0, 82.0, 84.0, 95.0) }, false),
        (4, 16, 10, "demo-doctor", "medication", "フロセミドを20mg→40mgに増量します（本日夕から）。体重を毎日記録してください。", Vitals::default(), false),
        (4, 17, 30, "demo-pharmacist", "medication", "フロセミド40mgをお届けし、服薬カレンダーを差し替えました。残薬なし。", Vitals::default(), false),
        (3, 10, 0, "demo-nurse", "vitals", "尿量増加、むくみ軽減傾向。", Vitals { weight: Some(47.6), ..v(36.5, 132.0, 76.0, 78.0, 96.0) }, false),
        (2, 10, 15, "demo-nurse", "skin", "仙骨部に発赤（d1）。体位変換とクッションを家族に説明。", Vitals::default(), false),
        (1, 23, 40, "demo-nurse", "vitals", "夜間に家族から発熱の連絡で緊急訪問。38.9℃、SpO₂ 93%、咳あり。@demo-doctor 先生、指示をお願いします。", v(38.9, 150.0, 88.0, 104.0, 93.0), true),
        (0, 9, 30, "demo-nurse", "vitals", "解熱傾向。食事は半分。", v(37.4, 134.0, 78.0, 86.0, 95.0), false),
    ];
    let mut ids = Vec::new();
    for (n, (days, h, m, author, category, text, vitals, urgent)) in week.iter().enumerate() {
        let p = who(users, author)?;
        let out = care
            .post(
                p,
                ctx,
                space,
                PostInput {
                    category: category.to_string(),
                    body: text.to_string(),
                    vitals: *vitals,
                    urgent: *urgent,
                    ack_role: if *urgent {
                        "attending_doctor".into()
                    } else {
                        String::new()
                    },
                    idempotency_key: format!("demo-week-{n:04}"),
                    confirm_unusual: true,
                    ..Default::default()
                },
                Vec::new(),
                now,
            )
            .await?;
        ids.push((out.post_id, *days, *h, *m, *urgent));
    }
    // The doctor replies to the night fever and acknowledges it.
    let (fever, ..) =
        ids.iter().copied().find(|x| x.4).ok_or_else(|| {
            ServiceError::Store(StoreError::Invalid("no urgent demo post".into()))
        })?;
    let reply = care
        .post(
            doctor,
            ctx,
            space,
            PostInput {
                category: "medication".into(),
                body: "確認しました。アセトアミノフェン500mgを頓用で。明朝往診します。SpO₂ 90%未満なら連絡を。".into(),
                reply_to: Some(fever),
                idempotency_key: "demo-week-reply".into(),
                ..Default::default()
            },
            Vec::new(),
         now)
        .await?;
    care.acknowledge(doctor, ctx, fever, now).await?;
    backdate(db, &ids, fever, reply.post_id, now).await?;

    // A second patient of the care manager, not yet consented: only her
    // office sees him.
    care.register_patient(
        cm,
        ctx,
        None,
        "care_manager",
        &PatientInput {
            name: "青葉 正男".into(),
            kana: "あおば まさお".into(),
            birth_date: "1941-11-30".into(),
            sex: "male".into(),
            address: "あおば町中央1-2".into(),
            care_level: "care1".into(),
            care_application: "renewing".into(),
            ..Default::default()
        },
        now,
    )
    .await?;

    // The visiting-nurse liaison group.
    let group = care
        .create_group(
            nurse,
            ctx,
            "みどり野 訪問看護連絡会",
            "市内の訪問看護ステーションの情報交換（患者情報は書かない）",
            now,
        )
        .await?;
    care.post(
        nurse,
        ctx,
        group,
        PostInput {
            category: "other".into(),
            body: "12月の連絡会は15日（月）18時から、連携支援センターで行います。".into(),
            idempotency_key: "demo-group-0001".into(),
            ..Default::default()
        },
        Vec::new(),
        now,
    )
    .await?;
    Ok("demo care: two patients, one team's week, one group".into())
}

/// Moves the week's posts (and their receipts and acknowledgement) to the
/// times they describe.
async fn backdate(
    db: &Db,
    ids: &[(PostId, i64, i64, i64, bool)],
    fever: PostId,
    reply: PostId,
    now: Timestamp,
) -> Result<(), CareError> {
    let today =
        Timestamp::from_jst_date(&now.to_jst_display().chars().take(10).collect::<String>())
            .unwrap_or(now);
    let at = |days: i64, h: i64, m: i64| {
        today
            .plus_seconds(-days * 86_400 + h * 3600 + m * 60)
            .millis()
    };
    let now = now.millis();
    let mut tx = db.begin().await?;
    for (id, days, h, m, _) in ids {
        let t = at(*days, *h, *m).min(now - 60_000);
        if *id == fever {
            let ack = (t + 17 * 60_000).min(now);
            set_post_time(&mut tx, *id, t, Some(ack)).await?;
            set_post_time(&mut tx, reply, ack - 60_000, None).await?;
        } else {
            set_post_time(&mut tx, *id, t, None).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
