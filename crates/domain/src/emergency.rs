//! Emergency information (緊急時情報, 救急医療情報キット / 安心カード):
//! the powered devices a person depends on, why a record needs verifying
//! again, and when it falls due. Records go stale not on a calendar alone
//! but at events (a discharge, a change to the shared summary, a new
//! medicine, a new care manager), so freshness is judged from both.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

labelled_enum!(
    /// A device in use at home that EMS must know of, and that depends on
    /// power in a disaster (医療機器).
    Device {
        Oxygen = ("oxygen", "在宅酸素", "Home oxygen"),
        Ventilator = ("ventilator", "人工呼吸器", "Ventilator"),
        Suction = ("suction", "吸引器", "Suction"),
        PeritonealDialysis = ("peritoneal_dialysis", "腹膜透析", "Peritoneal dialysis"),
        FeedingPump = ("feeding_pump", "経管栄養ポンプ", "Feeding pump"),
        InfusionPump = ("infusion_pump", "輸液ポンプ", "Infusion pump"),
        AirMattress = ("air_mattress", "エアマットレス", "Air mattress"),
    }
);

labelled_enum!(
    /// Why a record is due for verification (確認が必要な理由).
    DueReason {
        NeverVerified = ("never_verified", "未確認", "Never verified"),
        Calendar = ("calendar", "定期確認の期限", "Regular check due"),
        Discharge = ("discharge", "退院", "Discharged from hospital"),
        SummaryChanged = ("summary_changed", "共有サマリーの変更", "Shared summary changed"),
        MedicationPost = ("medication_post", "服薬の投稿", "Medication post"),
        NewCareManager = ("new_care_manager", "担当ケアマネジャーの交代", "New care manager"),
        EditedSinceVerified = ("edited", "確認後の編集", "Edited since verified"),
    }
);

labelled_enum!(
    /// 安否確認: where a resident on the disaster list stands.
    SafetyStatus {
        Unconfirmed = ("unconfirmed", "未確認", "Not yet reached"),
        Safe = ("safe", "無事", "Safe"),
        NeedsHelp = ("needs_help", "要支援", "Needs help"),
        Moved = ("moved", "避難・入院など移動済み", "Moved (evacuated, admitted)"),
    }
);

labelled_enum!(
    /// Disaster equipment a region keeps track of (災害時の備品).
    EquipmentKind {
        SatellitePhone = ("satellite_phone", "衛星電話", "Satellite phone"),
        ManualResuscitator = ("manual_resuscitator", "手動式人工呼吸器（バッグバルブマスク）", "Manual resuscitator"),
        FootPumpSuction = ("foot_pump_suction", "足踏み式吸引器", "Foot-pump suction"),
        Generator = ("generator", "発電機", "Generator"),
        PortableBattery = ("portable_battery", "ポータブル電源・蓄電池", "Portable battery"),
        OxygenCylinder = ("oxygen_cylinder", "酸素ボンベ", "Oxygen cylinder"),
        Other = ("other", "その他", "Other"),
    }
);

labelled_enum!(
    /// The place of death in the categories of 人口動態統計 (vital
    /// statistics), so that hand-entered figures line up with the national
    /// ones.
    DeathPlace {
        Home = ("home", "自宅", "Home"),
        NursingHome = ("nursing_home", "老人ホーム", "Nursing home"),
        CareFacility = ("care_facility", "介護医療院・介護老人保健施設", "Long-term care facility"),
        Hospital = ("hospital", "病院", "Hospital"),
        Clinic = ("clinic", "診療所", "Clinic"),
        Other = ("other", "その他", "Other"),
    }
);

impl DeathPlace {
    /// A death at home in the program's sense (在宅): home or a nursing
    /// home (老人ホーム), where home-visit medicine reaches.
    pub fn is_home(self) -> bool {
        matches!(self, DeathPlace::Home | DeathPlace::NursingHome)
    }
}

labelled_enum!(
    /// How a death was certified: a death certificate (死亡診断書) by the
    /// attending doctor or a substitute doctor (看取り), or a police
    /// examination (検案) of an unexpected death — which the indicators must
    /// not count as 在宅看取り.
    Certification {
        AttendingDoctor = ("attending_doctor", "主治医による死亡診断", "Attending doctor"),
        SubstituteDoctor = ("substitute_doctor", "代診医による死亡診断", "Substitute doctor"),
        Police = ("police", "警察による検案", "Police examination"),
    }
);

impl Certification {
    /// 看取り: certified by a doctor who knew the patient's care (not a
    /// police examination).
    pub fn is_certified_by_doctor(self) -> bool {
        !matches!(self, Certification::Police)
    }
}

labelled_enum!(
    /// Whether the recorded wish about the place of death was met.
    WishMet {
        Met = ("met", "希望どおり", "Met"),
        NotMet = ("not_met", "希望と異なる", "Not met"),
        NoWish = ("no_wish", "希望の記録なし", "No recorded wish"),
    }
);

/// The default interval between verifications (months), when the region
/// has not set one.
pub const DEFAULT_VERIFY_MONTHS: u8 = 6;

/// The day `months` after `from`; the month's last day when it is shorter
/// (8月31日 + 6 months is 2月28日 or 29日).
pub fn months_after(from: Date, months: u8) -> Date {
    let index = from.month() as i32 - 1 + months as i32;
    let year = from.year() + index.div_euclid(12);
    let month = Month::try_from((index.rem_euclid(12) + 1) as u8).unwrap_or(Month::January);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, from.day().min(last)).unwrap_or(from)
}

/// What made a record doubtful, and when (Unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeEvent {
    pub reason: DueReason,
    pub at: i64,
}

/// Whether a record can be trusted today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    /// The day the calendar check falls due (YYYY-MM-DD); none when never
    /// verified.
    pub due_on: Option<String>,
    /// Why it must be verified now; empty: it is current.
    pub reasons: Vec<DueReason>,
}

impl Freshness {
    /// Judged on `today` for a record last verified at `verified_at` (Unix
    /// ms, with its Japan date `verified_on`): due when never verified,
    /// when the calendar says so, or when an event came after the
    /// verification.
    pub fn judge(
        verified: Option<(i64, Date)>,
        months: u8,
        events: &[ChangeEvent],
        today: Date,
    ) -> Freshness {
        let Some((at, on)) = verified else {
            return Freshness {
                due_on: None,
                reasons: vec![DueReason::NeverVerified],
            };
        };
        let due = months_after(on, months);
        let mut reasons = Vec::new();
        if today >= due {
            reasons.push(DueReason::Calendar);
        }
        for e in events {
            if e.at > at && !reasons.contains(&e.reason) {
                reasons.push(e.reason);
            }
        }
        Freshness {
            due_on: Some(crate::transitions::format_date(due)),
            reasons,
        }
    }

    pub fn is_current(&self) -> bool {
        self.reasons.is_empty()
    }

    /// The reasons in Japanese, joined.
    pub fn reasons_ja(&self) -> String {
        self.reasons
            .iter()
            .map(|r| r.label_ja())
            .collect::<Vec<_>>()
            .join("、")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_after_keeps_the_day_or_the_months_last() {
        assert_eq!(
            months_after(date!(2026 - 06 - 15), 6),
            date!(2026 - 12 - 15)
        );
        assert_eq!(
            months_after(date!(2026 - 08 - 31), 6),
            date!(2027 - 02 - 28)
        );
        assert_eq!(
            months_after(date!(2027 - 08 - 31), 6),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            months_after(date!(2026 - 12 - 01), 12),
            date!(2027 - 12 - 01)
        );
    }

    #[test]
    fn a_record_is_due_by_calendar_or_by_a_later_event() {
        let verified = Some((1_000, date!(2026 - 06 - 15)));
        let current = Freshness::judge(verified, 6, &[], date!(2026 - 12 - 14));
        assert!(current.is_current());
        assert_eq!(current.due_on.as_deref(), Some("2026-12-15"));
        let due = Freshness::judge(verified, 6, &[], date!(2026 - 12 - 15));
        assert_eq!(due.reasons, [DueReason::Calendar]);
        // An event before the verification does not count; one after does.
        let events = [
            ChangeEvent {
                reason: DueReason::Discharge,
                at: 999,
            },
            ChangeEvent {
                reason: DueReason::MedicationPost,
                at: 2_000,
            },
        ];
        let doubtful = Freshness::judge(verified, 6, &events, date!(2026 - 07 - 01));
        assert_eq!(doubtful.reasons, [DueReason::MedicationPost]);
        assert_eq!(doubtful.reasons_ja(), "服薬の投稿");
        let never = Freshness::judge(None, 6, &events, date!(2026 - 07 - 01));
        assert_eq!(never.reasons, [DueReason::NeverVerified]);
    }
}
