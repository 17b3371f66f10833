use super::*;

fn at(s: &str) -> PrimitiveDateTime {
    parse_local_datetime(s).expect(s)
}

fn day(s: &str) -> Date {
    parse_date(s).expect(s)
}

/// (admitted at, outside hours as recorded, informed on, tier): the
/// default office week (Mon–Fri 08:30–17:30, closed on holidays and over
/// the year end) and the bundled holidays.
const ADMISSIONS: &[(&str, bool, &str, AdmissionFeeTier)] = {
    use AdmissionFeeTier::*;
    &[
        // Monday in business hours: the same day, the two days after, late.
        ("2026-12-07 10:00", false, "2026-12-07", One),
        ("2026-12-07 10:00", false, "2026-12-04", One), // before admission
        ("2026-12-07 10:00", false, "2026-12-08", Two),
        ("2026-12-07 10:00", false, "2026-12-09", Two),
        ("2026-12-07 10:00", false, "2026-12-10", Late),
        // Monday after closing: the next day is still (Ⅰ); the third day
        // (Wednesday) is a business day, so (Ⅱ) ends on it.
        ("2026-12-07 17:30", false, "2026-12-08", One),
        ("2026-12-07 18:00", false, "2026-12-09", Two),
        ("2026-12-07 18:00", false, "2026-12-10", Late),
        // Before opening counts as outside hours too.
        ("2026-12-08 07:00", false, "2026-12-09", One),
        // Recorded as outside the office's hours (the office's own week).
        ("2026-12-07 12:00", true, "2026-12-08", One),
        // Friday night: Saturday is (Ⅰ); the third day is Sunday, so
        // Monday is still (Ⅱ); Tuesday is late.
        ("2026-12-11 19:00", false, "2026-12-12", One),
        ("2026-12-11 19:00", false, "2026-12-13", Two),
        ("2026-12-11 19:00", false, "2026-12-14", Two),
        ("2026-12-11 19:00", false, "2026-12-15", Late),
        // Saturday (not a business day) in the morning: Sunday is (Ⅰ); the
        // third day is Monday, a business day.
        ("2026-12-12 10:00", false, "2026-12-13", One),
        ("2026-12-12 10:00", false, "2026-12-14", Two),
        ("2026-12-12 10:00", false, "2026-12-15", Late),
        // The eve of a long weekend (2026-09-19 Sat to 09-23 Wed, three
        // public holidays): the third day is Sunday the 20th, so the 21st
        // still counts for (Ⅱ), the 22nd does not.
        ("2026-09-18 20:00", false, "2026-09-19", One),
        ("2026-09-18 20:00", false, "2026-09-20", Two),
        ("2026-09-18 20:00", false, "2026-09-21", Two),
        ("2026-09-18 20:00", false, "2026-09-22", Late),
        // On a public holiday (勤労感謝の日, a Monday) in daytime.
        ("2026-11-23 10:00", false, "2026-11-24", One),
        ("2026-11-23 10:00", false, "2026-11-26", Late),
        // A Saturday in daytime before the long weekend: the next day is
        // (Ⅰ), but the (Ⅱ) extension is for admissions after business
        // hours only, so the holiday on the third day does not lengthen it.
        ("2026-09-19 10:00", false, "2026-09-20", One),
        ("2026-09-19 10:00", false, "2026-09-21", Two),
        ("2026-09-19 10:00", false, "2026-09-22", Late),
        // Across the year end: Monday 12-28 after closing; the third day,
        // 12-30, is a year-end closed day, so 12-31 is still (Ⅱ).
        ("2026-12-28 18:30", false, "2026-12-29", One),
        ("2026-12-28 18:30", false, "2026-12-31", Two),
        ("2026-12-28 18:30", false, "2027-01-01", Late),
        // On a closed day in daytime, into the new year.
        ("2026-12-30 11:00", false, "2026-12-31", One),
        ("2026-12-30 11:00", false, "2027-01-01", Two),
        ("2026-12-30 11:00", false, "2027-01-02", Late),
        // After hours on 12-31: 元日 is (Ⅰ), 01-02 (Ⅱ), and the third day
        // (01-02) is closed, so 01-03 is still (Ⅱ).
        ("2026-12-31 22:00", false, "2027-01-01", One),
        ("2026-12-31 22:00", false, "2027-01-03", Two),
        ("2026-12-31 22:00", false, "2027-01-04", Late),
        // Across a month end, in business hours.
        ("2026-11-30 09:00", false, "2026-12-01", Two),
        ("2026-11-30 09:00", false, "2026-12-02", Two),
        ("2026-11-30 09:00", false, "2026-12-03", Late),
        // Across a month end after hours (Tuesday 12-01 is a business day).
        ("2026-11-30 21:00", false, "2026-12-01", One),
        ("2026-11-30 21:00", false, "2026-12-03", Late),
    ]
};

#[test]
fn admission_tiers_follow_the_2024_rules() {
    let office = BusinessCalendar::default();
    let holidays = Holidays::bundled();
    for (admitted, outside, informed, want) in ADMISSIONS {
        let timing = AdmissionTiming {
            admitted_at: at(admitted),
            outside_hours: *outside,
            informed_on: day(informed),
        };
        assert_eq!(
            admission_fee_tier(timing, &office, &holidays),
            *want,
            "admitted {admitted} (outside: {outside}), informed {informed}"
        );
    }
}

#[test]
fn the_deadlines_agree_with_the_tiers() {
    let office = BusinessCalendar::default();
    let holidays = Holidays::bundled();
    for (admitted, outside, _, _) in ADMISSIONS {
        let admitted_at = at(admitted);
        let (one, two) = admission_fee_deadlines(admitted_at, *outside, &office, &holidays);
        let tier = |d: Date| {
            admission_fee_tier(
                AdmissionTiming {
                    admitted_at,
                    outside_hours: *outside,
                    informed_on: d,
                },
                &office,
                &holidays,
            )
        };
        assert_eq!(tier(one), AdmissionFeeTier::One, "{admitted}");
        assert_ne!(
            tier(one + Duration::days(1)),
            AdmissionFeeTier::One,
            "{admitted}"
        );
        assert_eq!(tier(two), AdmissionFeeTier::Two, "{admitted}");
        assert_eq!(
            tier(two + Duration::days(1)),
            AdmissionFeeTier::Late,
            "{admitted}"
        );
    }
}

#[test]
fn an_office_that_works_saturdays_is_judged_by_its_own_week() {
    let office = BusinessCalendar {
        open_days: [true, true, true, true, true, true, false],
        ..BusinessCalendar::default()
    };
    let holidays = Holidays::bundled();
    // Saturday 10:00 is in business hours for this office: Sunday is (Ⅱ).
    let timing = AdmissionTiming {
        admitted_at: at("2026-12-12 10:00"),
        outside_hours: false,
        informed_on: day("2026-12-13"),
    };
    assert_eq!(
        admission_fee_tier(timing, &office, &holidays),
        AdmissionFeeTier::Two
    );
    // Its own closure day counts as a day it does not work.
    let mut closed = office.clone();
    closed.closures.insert("2026-12-12".into());
    assert_eq!(
        admission_fee_tier(timing, &closed, &holidays),
        AdmissionFeeTier::One
    );
}

#[test]
fn imported_holidays_change_the_business_days() {
    let office = BusinessCalendar::default();
    let (extra, errors) = Holidays::parse("日付,名称\n2026/12/8,臨時の休日\n");
    assert!(errors.is_empty());
    let holidays = Holidays::bundled().overridden_by(&extra);
    assert!(!office.is_business_day(day("2026-12-08"), &holidays));
    assert!(office.is_business_day(day("2026-12-08"), &Holidays::bundled()));
}

#[test]
fn discharge_tiers_count_contacts_and_conferences() {
    use DischargeFeeTier::*;
    let table = [
        (0, 0, None),
        (1, 0, Some(OneA)),
        (1, 1, Some(OneB)),
        (2, 0, Some(TwoA)),
        (2, 1, Some(TwoB)),
        (2, 2, Some(TwoB)),
        (3, 0, Some(TwoA)),
        (3, 1, Some(Three)),
        (5, 2, Some(Three)),
    ];
    for (contacts, conferences, want) in table {
        assert_eq!(
            discharge_fee_tier(contacts, conferences),
            want,
            "{contacts} contacts, {conferences} conferences"
        );
    }
}

#[test]
fn discharge_contacts_count_once_a_day_until_seven_days_after() {
    let c = |on: &str, conference| DischargeContact {
        on: day(on),
        conference,
    };
    let admitted = day("2026-12-01");
    let contacts = [
        c("2026-11-30", false), // before the stay: not this stay's
        c("2026-12-03", false),
        c("2026-12-03", true), // the same day: one contact, a conference
        c("2026-12-10", false),
        c("2026-12-24", false), // seven days after discharge: counts
        c("2026-12-25", false), // eight: does not
    ];
    let discharged = Some(day("2026-12-17"));
    assert_eq!(
        counted_discharge_contacts(&contacts, admitted, discharged),
        (3, 1)
    );
    assert_eq!(discharge_fee_tier(3, 1), Some(DischargeFeeTier::Three));
    // Still in hospital: every contact since admission counts so far.
    assert_eq!(
        counted_discharge_contacts(&contacts, admitted, None),
        (4, 1)
    );
}

#[test]
fn the_bundled_fee_rules_read_whole_and_are_dated() {
    let all: Vec<FeeRules> = serde_json::from_str(BUNDLED_FEES).expect("fees.json");
    assert_eq!(all.len(), FeeRules::bundled().len());
    let now = FeeRules::in_force(day("2026-12-07")).expect("in force");
    assert_eq!(now.admission_units(AdmissionFeeTier::One), 250);
    assert_eq!(now.admission_units(AdmissionFeeTier::Two), 200);
    assert_eq!(now.discharge_units(DischargeFeeTier::OneA), 450);
    assert_eq!(now.discharge_units(DischargeFeeTier::OneB), 600);
    assert_eq!(now.discharge_units(DischargeFeeTier::TwoA), 600);
    assert_eq!(now.discharge_units(DischargeFeeTier::TwoB), 750);
    assert_eq!(now.discharge_units(DischargeFeeTier::Three), 900);
    assert!(!now.source.is_empty());
    assert!(FeeRules::in_force(day("2020-01-01")).is_none());
}

#[test]
fn calendars_are_checked() {
    assert!(BusinessCalendar::default().validate().is_ok());
    let bad_hours = BusinessCalendar {
        opens: "18:00".into(),
        ..BusinessCalendar::default()
    };
    assert!(bad_hours.validate().is_err());
    let no_days = BusinessCalendar {
        open_days: [false; 7],
        ..BusinessCalendar::default()
    };
    assert!(no_days.validate().is_err());
    assert_eq!(BusinessCalendar::default().days_ja(), "月火水木金");
}

fn facts() -> ScreeningFacts {
    ScreeningFacts {
        age: Some(82),
        care_level: CareLevel::Care1,
        household: Some(Household::WithFamily),
        dementia: Some(DementiaIndependence::I),
        medical_procedures: false,
        has_care_manager: true,
        has_home_doctor: true,
        terminal: false,
    }
}

#[test]
fn screening_names_each_criterion_met() {
    let rules = RuleBody::default();
    assert!(rules.screen(&facts()).is_empty());
    let alone = ScreeningFacts {
        household: Some(Household::Alone),
        ..facts()
    };
    assert_eq!(
        rules.screen(&alone),
        vec![&Criterion::LivesAlone { daytime: false }]
    );
    let daytime = ScreeningFacts {
        household: Some(Household::AloneDaytime),
        ..facts()
    };
    assert!(rules.screen(&daytime).is_empty(), "daytime not asked for");
    let heavy = ScreeningFacts {
        care_level: CareLevel::Care4,
        dementia: Some(DementiaIndependence::IIIa),
        has_care_manager: false,
        ..facts()
    };
    let met: Vec<String> = rules.screen(&heavy).iter().map(|c| c.label_ja()).collect();
    assert_eq!(
        met,
        ["要介護3以上", "認知症自立度Ⅱb以上", "ケアマネジャー不在"]
    );
    let by_age = RuleBody {
        screening: vec![Criterion::AgeAtLeast { years: 85 }],
        ..RuleBody::default()
    };
    assert!(by_age.screen(&facts()).is_empty());
    assert_eq!(
        by_age
            .screen(&ScreeningFacts {
                age: Some(85),
                ..facts()
            })
            .len(),
        1
    );
}

#[test]
fn routing_cases_follow_the_reports() {
    let none = RuleBody::route_cases(&facts(), false);
    assert!(none.is_empty());
    let no_doctor = ScreeningFacts {
        has_home_doctor: false,
        medical_procedures: true,
        ..facts()
    };
    assert_eq!(
        RuleBody::route_cases(&no_doctor, false),
        [RouteCase::NoHomeDoctor]
    );
    let no_cm = ScreeningFacts {
        has_care_manager: false,
        ..facts()
    };
    assert_eq!(
        RuleBody::route_cases(&no_cm, false),
        [RouteCase::NoCareManager]
    );
    assert_eq!(
        RuleBody::route_cases(&no_cm, true),
        [RouteCase::CareManagerUnknown]
    );
    let terminal = ScreeningFacts {
        terminal: true,
        ..facts()
    };
    assert_eq!(
        RuleBody::route_cases(&terminal, false),
        [RouteCase::HighMedicalNeed]
    );
}

#[test]
fn rule_bodies_are_checked_and_round_trip() {
    let body = RuleBody {
        routes: vec![
            Route {
                case: RouteCase::CareManagerUnknown,
                to: "市介護保険課".into(),
                respond_within_days: 2,
                steps: vec!["被保険者番号で照会する".into()],
            },
            Route {
                case: RouteCase::CareManagerUnknown,
                to: String::new(),
                respond_within_days: 0,
                steps: vec![],
            },
        ],
        readmission_within_days: 0,
        ..RuleBody::default()
    };
    let problems = body.validate().expect_err("three problems");
    assert_eq!(problems.len(), 3, "{problems:?}");
    let good = RuleBody::default();
    let json = serde_json::to_string(&good).expect("json");
    assert!(json.contains(r#""kind":"lives_alone""#), "{json}");
    let back: RuleBody = serde_json::from_str(&json).expect("back");
    assert_eq!(back, good);
}

#[test]
fn ages_are_whole_years() {
    assert_eq!(age_on(day("1940-12-08"), day("2026-12-07")), Some(85));
    assert_eq!(age_on(day("1940-12-07"), day("2026-12-07")), Some(86));
    assert_eq!(age_on(day("2030-01-01"), day("2026-12-07")), None);
}
