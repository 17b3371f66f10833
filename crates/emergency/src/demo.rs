//! The demo's emergency information: the care manager's first patient's
//! record, verified forty days ago by her care manager (her discharge five
//! days ago has made it due again), and a resident without a care team
//! whom the support centre's desk keeps: living alone on home oxygen,
//! last verified seven months ago (due on the calendar).
//!
//! Everything goes through the service, each step at the moment it would
//! have happened.

use renkei_domain::Timestamp;
use renkei_identity::{demo, Identity};
use renkei_store::{ServiceError, StoreError};

use crate::model::RecordInput;
use crate::{Emergency, EmergencyError};

fn failed(what: &str, e: impl std::fmt::Display) -> EmergencyError {
    ServiceError::Store(StoreError::Invalid(format!("demo {what}: {e}")))
}

const DAY: i64 = 24 * 3600;

/// Loads the emergency part of the demo (after care and transitions).
pub async fn load(
    service: &Emergency,
    identity: &Identity,
    now: Timestamp,
) -> Result<String, EmergencyError> {
    let principal = |name: &'static str| async move {
        demo::principal(identity, name)
            .await
            .map_err(|e| failed(name, e))
    };
    let ctx = &demo::context();
    let cm = principal("demo-caremanager").await?;
    let desk = principal("demo-coordinator").await?;
    let region = cm.region_id.ok_or_else(|| failed("region", "none"))?;
    let city = service
        .municipalities(region)
        .await?
        .first()
        .map(|(c, _)| c.clone())
        .ok_or_else(|| failed("municipality", "none"))?;

    // The care manager's first patient (the one discharged five days ago).
    let forty_days_ago = now.plus_seconds(-40 * DAY);
    let first = service
        .care()
        .visible_patients(&cm, ctx)
        .await?
        .into_iter()
        .min()
        .ok_or_else(|| failed("patient", "the care manager has none"))?;
    let mut input = service.prefill(&cm, ctx, first, forty_days_ago).await?;
    input.municipality_code = city.clone();
    input.area = "緑町地区".into();
    input.disaster_share = true;
    input.contacts = "長女 家族 和子 090-0000-1111\n次女 家族 直子 090-0000-2222".into();
    input.home_file = "冷蔵庫のドアポケット（緑の筒）".into();
    input.wishes =
        "できる限り自宅で過ごしたい。心肺蘇生は本人・家族と主治医で話し合い中（2026年秋）。".into();
    input.devices = vec!["air_mattress".into()];
    let record = service
        .create_record(&cm, ctx, &input, forty_days_ago)
        .await?;
    service
        .verify(&cm, ctx, record, forty_days_ago.plus_seconds(600))
        .await?;
    // Her first ACP conversation, at the discharge conference's time.
    service
        .save_acp(
            &cm,
            ctx,
            record,
            &crate::model::AcpInput {
                template_id: None,
                discussed_on: renkei_domain::transitions::format_date(forty_days_ago.jst_date()),
                participants: "本人、長女、主治医、ケアマネジャー".into(),
                answers: vec![
                    crate::model::AcpAnswerInput {
                        key: "s1".into(),
                        choice: "医師と相談して決めたい".into(),
                        text: String::new(),
                    },
                    crate::model::AcpAnswerInput {
                        key: "s2".into(),
                        choice: "自宅".into(),
                        text: "畑の見える部屋で過ごしたい".into(),
                    },
                ],
            },
            forty_days_ago.plus_seconds(900),
        )
        .await?;

    // A resident without a care team, kept by the desk.
    let seven_months_ago = now.plus_seconds(-213 * DAY);
    let alone = RecordInput {
        name: "山本 一人".into(),
        kana: "やまもと かずと".into(),
        birth_date: "1939-02-11".into(),
        address: "みどり野市 緑町3-4-5 みどり荘101".into(),
        municipality_code: city.clone(),
        area: "緑町地区".into(),
        phone: "0000-11-2233".into(),
        family_doctor: "みどり野内科クリニック 緑野 医師 0000-22-3344".into(),
        diseases: "慢性閉塞性肺疾患（COPD）\n高血圧".into(),
        medicines: "吸入薬（朝夕）\nアムロジピン錠5mg 1錠 朝".into(),
        allergies: "なし".into(),
        contacts: "甥 山本 浩 080-0000-3333（隣の市）".into(),
        insurance: "後期高齢者医療 被保険者証は財布の中".into(),
        devices: vec!["oxygen".into()],
        home_file: "冷蔵庫の上".into(),
        wishes: "入院はできれば避けたい。".into(),
        lives_alone: true,
        disaster_share: true,
        ..RecordInput::default()
    };
    let kept = service
        .create_record(&desk, ctx, &alone, seven_months_ago)
        .await?;
    service
        .verify(&desk, ctx, kept, seven_months_ago.plus_seconds(600))
        .await?;
    // The 民生委員 of his block checks on him.
    let watcher = principal("demo-watcher").await?;
    service
        .assign_watcher(&desk, ctx, kept, watcher.user_id, seven_months_ago)
        .await?;
    Ok("emergency: 2 records (one due after a discharge, one due on the calendar, watched by the 民生委員)".into())
}
