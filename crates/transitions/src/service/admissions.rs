//! Admissions: recording one (screening, routing, readmission, the team told), finding hospitals, the lists of stays, and the stay with its tiers.

use super::*;

impl Transitions {
    // -------------------------------------------------------- admissions

    /// Records an admission: the hospital (a directory entry, in or out of
    /// the region), when, whether outside the office's hours, and who
    /// learned of it. Screens the patient by the rule in force, marks a
    /// readmission, and tells the team on its timeline.
    pub async fn record_admission(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        input: &AdmissionInput,
        now: Timestamp,
    ) -> Result<StayId, TransitionsError> {
        let patient = self.require_team_writer(p, ctx, patient_id, now).await?;
        // What the screening looks at: the record, the summary, the team.
        let team = self.care.team(p, ctx, patient.space_id, now).await?;
        let summary = self.care.summary(p, ctx, patient_id, now).await.ok();
        let procedures = summary
            .as_ref()
            .and_then(|s| s.current.as_ref())
            .is_some_and(|s| !s.fields.procedures.trim().is_empty());
        let (id, told) = self
            .admit(
                p,
                ctx,
                &patient,
                &team.members,
                procedures,
                input,
                None,
                now,
            )
            .await?;
        // The team hears of it on the patient's timeline.
        let post = PostInput {
            category: "other".into(),
            body: told,
            urgent: false,
            idempotency_key: format!("transitions-stay-{id}"),
            ..PostInput::default()
        };
        if let Err(e) = self
            .care
            .post(p, ctx, patient.space_id, post, Vec::new(), now)
            .await
        {
            tracing::warn!(error = %e, stay = %id, "could not tell the team of an admission");
        }
        Ok(id)
    }

    /// Records the admission an ambulance crew reports (救急搬送): an EMS
    /// user who held the patient's card link (emergency checked the link
    /// and audits the report) names the hospital and the time. The crew
    /// is not on the team, so the team's facts come from care as for an
    /// outside reader, the stay is screened like any other (the summary's
    /// procedures are not read), and the team is told by an urgent notice
    /// on the timeline, written with the stay.
    pub async fn record_transport_admission(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        input: &AdmissionInput,
        reason: &str,
        now: Timestamp,
    ) -> Result<StayId, TransitionsError> {
        if p.role != renkei_domain::Role::Ems {
            return Err(TransitionsError::Forbidden);
        }
        let (patient, members) = self.care.patient_and_team_for_outside(patient_id).await?;
        let mut input = input.clone();
        input.reported_via = ReportedVia::Ems.code().into();
        let (id, _) = self
            .admit(p, ctx, &patient, &members, false, &input, Some(reason), now)
            .await?;
        Ok(id)
    }

    /// The admission itself, once the caller has decided who may record
    /// it: checks the input, screens, inserts the stay and its tasks, and
    /// audits; with `transport_reason` (an ambulance crew's report) the
    /// team's notice is written in the same transaction. Returns the stay
    /// and the text that tells the team.
    #[allow(clippy::too_many_arguments)]
    async fn admit(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: &renkei_care::model::Patient,
        members: &[renkei_care::model::Member],
        procedures: bool,
        input: &AdmissionInput,
        transport_reason: Option<&str>,
        now: Timestamp,
    ) -> Result<(StayId, String), TransitionsError> {
        let patient_id = patient.id;
        let mut errors = ValidationErrors::new();
        let admitted = parse_local_datetime(&input.admitted_at);
        let today = now.jst_date();
        match admitted {
            None => errors.add(
                "admitted_at",
                "datetime",
                "入院日時を入力してください（例: 2026-12-07 10:30）。",
                "Give the admission date and time.",
            ),
            Some(at)
                if at.date() > today + Duration::days(60)
                    || at.date() < today - Duration::days(366) =>
            {
                errors.add(
                    "admitted_at",
                    "range",
                    "入院日は過去1年から60日先までの日付にしてください。",
                    "The admission day must be within the past year or the next 60 days.",
                )
            }
            Some(_) => {}
        }
        // "ems" is the crew's transport report's own, set by that path only.
        let via = ReportedVia::from_code(&input.reported_via)
            .filter(|v| (*v == ReportedVia::Ems) == transport_reason.is_some());
        if via.is_none() {
            errors.add(
                "reported_via",
                "choice",
                "誰から入院を知ったかを選んでください。",
                "Choose who reported the admission.",
            );
        }
        let hospital = self
            .directory
            .entry_for_interop(EntryId(input.hospital_entry_id))
            .await
            .map_err(|e| TransitionsError::Conflict(e.to_string()))?;
        if hospital.is_none()
            || hospital
                .as_ref()
                .is_some_and(|h| !matches!(h.kind.as_str(), "hospital" | "clinic"))
        {
            errors.add(
                "hospital_entry_id",
                "hospital",
                "医療機関を地域資源から選んでください。",
                "Choose the hospital from the directory.",
            );
        }
        errors.into_result()?;
        let (Some(admitted), Some(via), Some(hospital)) = (admitted, via, hospital) else {
            return Err(TransitionsError::Forbidden);
        };
        let hospital_org = self
            .directory
            .receiving_organisation(hospital.id)
            .await
            .map_err(|e| TransitionsError::Conflict(e.to_string()))?;

        let active = |role: TeamRole| {
            members
                .iter()
                .any(|m| m.team_role == role && m.status == MemberStatus::Active)
        };
        let office_org = members
            .iter()
            .find(|m| m.team_role == TeamRole::CareManager && m.status == MemberStatus::Active)
            .and_then(|m| m.org_id);
        let record = &patient.record;
        let facts = ScreeningFacts {
            age: parse_date(&record.birth_date).and_then(|b| age_on(b, admitted.date())),
            care_level: record.care_level,
            household: record.household,
            dementia: record.independence_dementia,
            medical_procedures: procedures,
            has_care_manager: active(TeamRole::CareManager),
            has_home_doctor: active(TeamRole::AttendingDoctor),
            terminal: input.terminal,
        };
        let (municipality, area) = self
            .patient_place(
                &input.municipality_code,
                &input.area,
                patient.region_id,
                office_org,
            )
            .await?;
        let admitted_on = format_date(admitted.date());
        let rule = self
            .rule_in_force(patient.region_id, &municipality, &area, &admitted_on)
            .await?;
        let body = rule.as_ref().map(|r| r.body.clone()).unwrap_or_default();
        let met: Vec<String> = body.screen(&facts).iter().map(|c| c.label_ja()).collect();
        let route_list = RuleBody::route_cases(&facts, false);
        let cases: Vec<&str> = route_list.iter().map(|c| c.code()).collect();
        let admitted_at = Timestamp::from_jst(admitted).millis();
        if let Some(open) = store::stays_of_patient(&self.db, patient_id)
            .await?
            .into_iter()
            .find(|s| {
                let left = s.discharged_on.as_deref().and_then(parse_date);
                let overlaps_earlier =
                    s.admitted_at <= admitted_at && left.is_none_or(|d| d > admitted.date());
                let later = s.admitted_at > admitted_at;
                overlaps_earlier || later
            })
        {
            return Err(invalid(
                "admitted_at",
                "still_in_hospital",
                &format!(
                    "{}（{}入院）と期間が重なります。前回の退院日を先に記録するか、入院日を確認してください。",
                    open.hospital_name,
                    open.admitted_on()
                ),
                "Another stay overlaps this one (no discharge yet, or a later admission): check the dates.",
            ));
        }
        let readmission_of = match store::last_discharge(&self.db, patient_id, admitted_at).await? {
            Some(prev) => prev
                .discharged_on
                .as_deref()
                .and_then(parse_date)
                .filter(|d| {
                    let gap = (admitted.date() - *d).whole_days();
                    (0..=i64::from(body.readmission_within_days)).contains(&gap)
                })
                .map(|_| prev.id),
            None => None,
        };
        let calendar = match office_org {
            Some(o) => self.office_calendar(o).await?,
            None => BusinessCalendar::default(),
        };
        let outside_hours = input
            .outside_hours
            .unwrap_or_else(|| calendar.is_outside_hours_of_day(admitted.time()));
        let screening = json(&met)?;
        let route_cases = json(&cases)?;
        let local = format!(
            "{}T{:02}:{:02}",
            admitted_on,
            admitted.hour(),
            admitted.minute()
        );
        let mut tx = self.db.begin().await?;
        let id = store::insert_stay(
            &mut tx,
            &store::NewStay {
                region_id: patient.region_id,
                patient_id,
                patient_name: &record.name,
                patient_kana: &record.kana,
                patient_birth_date: &record.birth_date,
                municipality_code: &municipality,
                area: &area,
                hospital_entry_id: hospital.id,
                hospital_name: &hospital.name,
                hospital_org_id: hospital_org,
                ward: input.ward.trim(),
                admitted_local: &local,
                admitted_at,
                outside_hours,
                reported_via: via,
                reported_by: p.user_id,
                office_org_id: office_org,
                rule_version_id: rule.as_ref().map(|r| r.version_id),
                needs_coordination: !met.is_empty(),
                screening: &screening,
                route_cases: &route_cases,
                terminal: input.terminal,
                readmission_of,
            },
            now,
        )
        .await?;
        Self::add_route_tasks(
            &mut tx,
            patient.region_id,
            id,
            patient_id,
            &body,
            &route_list,
            now.jst_date(),
            now,
        )
        .await?;
        let mut body_text = match transport_reason {
            Some(reason) => format!(
                "【救急搬送】救急隊（{}）から: {} に搬送（{}）。理由: {}。",
                p.display_name,
                hospital.name,
                local.replace('T', " "),
                reason
            ),
            None => format!(
                "【入院】{} に入院（{} {}）。",
                hospital.name,
                local.replace('T', " "),
                if outside_hours {
                    "営業時間外"
                } else {
                    "営業時間内"
                }
            ),
        };
        if !met.is_empty() {
            body_text.push_str(&format!(" 退院調整が必要: {}。", met.join("、")));
        }
        if readmission_of.is_some() {
            body_text.push_str(" 退院後の再入院です。");
        }
        if transport_reason.is_some() {
            self.care
                .post_outside_notice(
                    &mut tx,
                    patient_id,
                    p.user_id,
                    renkei_domain::care::PostAuthorRole::Ems,
                    &body_text,
                    now,
                )
                .await?;
        }
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "stay.create", "stay", id, Some(patient_id)),
        )
        .await?;
        tx.commit().await?;
        if transport_reason.is_some() {
            self.care
                .notify_outside_notice(patient.space_id, patient_id, p.user_id);
        }
        Ok((id, body_text))
    }

    /// Where the patient lives, for the rule in force: the municipality
    /// as given (one of the region's), else the care-management office's,
    /// else the region's first; and the daily-life area (日常生活圏域) as
    /// given (one the region adopted a rule set for), else the office's
    /// when the region has a rule for it, else none.
    pub(super) async fn patient_place(
        &self,
        given_municipality: &str,
        given_area: &str,
        region: RegionId,
        office: Option<OrgId>,
    ) -> Result<(String, String), TransitionsError> {
        let known = store::municipalities(&self.db, region).await?;
        let areas = self.adopted_areas(region).await?;
        let office_entry = match office {
            Some(o) => self.office_entry(o).await?,
            None => None,
        };
        let given = given_municipality.trim();
        let municipality = if !given.is_empty() {
            if !known.iter().any(|(c, _)| c == given) {
                return Err(invalid(
                    "municipality_code",
                    "municipality",
                    "圏域の市区町村を選んでください。",
                    "Choose a municipality of the region.",
                ));
            }
            given.to_string()
        } else {
            office_entry
                .as_ref()
                .map(|e| e.municipality_code.clone())
                .filter(|c| known.iter().any(|(k, _)| k == c))
                .or_else(|| known.first().map(|(c, _)| c.clone()))
                .unwrap_or_default()
        };
        let given = given_area.trim();
        let area = if !given.is_empty() {
            if !areas.iter().any(|a| a == given) {
                return Err(invalid(
                    "area",
                    "area",
                    "ルールが定められた日常生活圏域から選んでください。",
                    "Choose a daily-life area the region has a rule for.",
                ));
            }
            given.to_string()
        } else {
            office_entry
                .map(|e| e.area)
                .filter(|a| areas.contains(a))
                .unwrap_or_default()
        };
        Ok((municipality, area))
    }

    /// The daily-life areas the region adopted a rule set for (the
    /// admission form's choices).
    pub async fn adopted_areas(&self, region: RegionId) -> Result<Vec<String>, TransitionsError> {
        let mut areas: Vec<String> = store::adoptions(&self.db, region)
            .await?
            .into_iter()
            .filter(|a| a.scope == RuleScope::Area && !a.scope_code.is_empty())
            .map(|a| a.scope_code)
            .collect();
        areas.sort();
        areas.dedup();
        Ok(areas)
    }

    /// The care-management office's directory entry, if it has one.
    async fn office_entry(
        &self,
        office: OrgId,
    ) -> Result<Option<renkei_directory::search::Entry>, TransitionsError> {
        let entries = self
            .directory
            .entries_of_organisations(&[office])
            .await
            .map_err(|e| TransitionsError::Conflict(e.to_string()))?;
        let Some(entry) = entries.get(&office) else {
            return Ok(None);
        };
        self.directory
            .entry_for_interop(*entry)
            .await
            .map_err(|e| TransitionsError::Conflict(e.to_string()))
    }

    /// A hospital or clinic of the directory (in or out of the region) by
    /// its entry, as an admission names it: (entry, name); `None` when the
    /// entry is no such place.
    pub async fn hospital(
        &self,
        entry: EntryId,
    ) -> Result<Option<(EntryId, String)>, TransitionsError> {
        let found = self
            .directory
            .entry_for_interop(entry)
            .await
            .map_err(|e| TransitionsError::Conflict(e.to_string()))?;
        Ok(found
            .filter(|h| matches!(h.kind.as_str(), "hospital" | "clinic"))
            .map(|h| (h.id, h.name)))
    }

    /// Hospitals and clinics with beds by name, from the directory (in and
    /// out of the region): what an admission names.
    pub fn find_hospitals(&self, text: &str, limit: usize) -> Vec<(EntryId, String, String)> {
        let text = text.trim();
        let q = renkei_directory::search::Query {
            text: (!text.is_empty()).then(|| text.to_string()),
            kinds: vec!["hospital".into(), "clinic".into()],
            limit,
            ..Default::default()
        };
        self.directory
            .live()
            .search(&q)
            .items
            .into_iter()
            .map(|h| (h.entry.id, h.entry.name, h.entry.address))
            .collect()
    }

    /// Only the stays of patients whose team the user writes for (an
    /// office colleague off the team does not see them).
    async fn on_my_teams(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        stays: Vec<Stay>,
        now: Timestamp,
    ) -> Result<Vec<Stay>, TransitionsError> {
        if stays.is_empty() {
            return Ok(stays);
        }
        let mine = self.my_team_patients(p, ctx, now).await?;
        Ok(stays
            .into_iter()
            .filter(|s| mine.contains(&s.patient_id))
            .collect())
    }

    /// The patients on whose teams the user writes as a professional.
    pub(super) async fn my_team_patients(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<PatientId>, TransitionsError> {
        Ok(self
            .care
            .accessible_patients(p, ctx, now)
            .await?
            .into_iter()
            .filter(|(_, access)| {
                access.may_write() && access.team_role() != Some(TeamRole::Family)
            })
            .map(|(patient, _)| patient.id)
            .collect())
    }

    /// The patients whose teams the user writes for (name, id): where an
    /// admission is recorded from. Care audits the listing.
    pub async fn my_patients(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<(PatientId, String)>, TransitionsError> {
        if !professional(p) {
            return Ok(Vec::new());
        }
        Ok(self
            .care
            .my_spaces(p, ctx)
            .await?
            .into_iter()
            .filter(|c| c.status == MemberStatus::Active && c.team_role != TeamRole::Family)
            .filter_map(|c| c.patient_id.map(|id| (id, c.name)))
            .collect())
    }

    /// The open stays of the user's care-management offices.
    pub async fn office_stays(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<StayLine>, TransitionsError> {
        if !professional(p) {
            return Err(TransitionsError::Forbidden);
        }
        let stays = self
            .on_my_teams(
                p,
                ctx,
                store::open_stays_of_offices(&self.db, &p.org_ids, 200).await?,
                now,
            )
            .await?;
        let entries: Vec<AuditEntry> = stays
            .iter()
            .map(|s| audit_entry(p, ctx, "stays.office", "stay", s.id, Some(s.patient_id)))
            .collect();
        let lines = self.lines(stays).await?;
        if !entries.is_empty() {
            self.audit(entries).await?;
        }
        Ok(lines)
    }

    /// A patient's stays, for the team.
    pub async fn stays_of_patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<(renkei_care::model::Patient, Vec<StayLine>), TransitionsError> {
        let patient = self.require_team_writer(p, ctx, patient_id, now).await?;
        let stays = store::stays_of_patient(&self.db, patient_id).await?;
        let lines = self.lines(stays).await?;
        self.audit(vec![audit_entry(
            p,
            ctx,
            "stays.list",
            "patient",
            patient_id,
            Some(patient_id),
        )])
        .await?;
        Ok((patient, lines))
    }

    pub(super) async fn lines(&self, stays: Vec<Stay>) -> Result<Vec<StayLine>, TransitionsError> {
        let ids: Vec<StayId> = stays.iter().map(|s| s.id).collect();
        let forms = store::forms_of_stays(&self.db, &ids).await?;
        let holidays = self.holidays();
        let mut out = Vec::with_capacity(stays.len());
        for stay in stays {
            let form = forms
                .iter()
                .find(|f| f.stay_id == stay.id && f.kind == FormKind::Admission);
            let tier = match form {
                Some(f) => self.tier_of(&stay, f, &holidays).await?,
                None => None,
            };
            out.push(StayLine {
                admission_status: form.map(|f| f.status),
                admission_tier: tier,
                stay,
            });
        }
        Ok(out)
    }

    pub(super) async fn calendar_of(
        &self,
        stay: &Stay,
    ) -> Result<BusinessCalendar, TransitionsError> {
        Ok(match stay.office_org_id {
            Some(o) => self.office_calendar(o).await?,
            None => BusinessCalendar::default(),
        })
    }

    pub(super) async fn tier_of(
        &self,
        stay: &Stay,
        form: &HandoffForm,
        holidays: &Holidays,
    ) -> Result<Option<renkei_domain::transitions::AdmissionFeeTier>, TransitionsError> {
        let (Some(informed), Some(admitted)) = (
            form.informed_on.as_deref().and_then(parse_date),
            parse_local_datetime(&stay.admitted_local),
        ) else {
            return Ok(None);
        };
        let calendar = self.calendar_of(stay).await?;
        Ok(Some(admission_fee_tier(
            AdmissionTiming {
                admitted_at: admitted,
                outside_hours: stay.outside_hours,
                informed_on: informed,
            },
            &calendar,
            holidays,
        )))
    }

    /// The stays handed to the user's hospitals (the liaison's list).
    pub async fn hospital_inbox(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<StayLine>, TransitionsError> {
        if !professional(p) {
            return Err(TransitionsError::Forbidden);
        }
        let stays = store::stays_of_hospitals(&self.db, &p.org_ids, 200).await?;
        let entries: Vec<AuditEntry> = stays
            .iter()
            .map(|s| audit_entry(p, ctx, "stays.inbox", "stay", s.id, Some(s.patient_id)))
            .collect();
        let lines = self.lines(stays).await?;
        if !entries.is_empty() {
            self.audit(entries).await?;
        }
        Ok(lines)
    }

    /// What needs the user now: for a care-management office, admissions
    /// whose information has not been given and discharges coming within a
    /// week; for a hospital, admission forms not yet acknowledged. Audited
    /// like a listing.
    pub async fn work_list(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<StayLine>, TransitionsError> {
        if !professional(p) {
            return Ok(Vec::new());
        }
        let today = format_date(now.jst_date());
        let week = format_date(now.jst_date() + Duration::days(7));
        let mut lines = Vec::new();
        for line in self
            .lines(
                self.on_my_teams(
                    p,
                    ctx,
                    store::open_stays_of_offices(&self.db, &p.org_ids, 100).await?,
                    now,
                )
                .await?,
            )
            .await?
        {
            let unsent = matches!(line.admission_status, None | Some(FormStatus::Draft));
            let leaving = line
                .stay
                .planned_discharge_on
                .as_deref()
                .is_some_and(|d| d >= today.as_str() && d <= week.as_str());
            if unsent || leaving {
                lines.push(line);
            }
        }
        for line in self
            .lines(store::stays_of_hospitals(&self.db, &p.org_ids, 100).await?)
            .await?
        {
            if matches!(
                line.admission_status,
                Some(FormStatus::Sent | FormStatus::Opened)
            ) {
                lines.push(line);
            }
        }
        let entries: Vec<AuditEntry> = lines
            .iter()
            .map(|l| {
                audit_entry(
                    p,
                    ctx,
                    "stays.work_list",
                    "stay",
                    l.stay.id,
                    Some(l.stay.patient_id),
                )
            })
            .collect();
        if !entries.is_empty() {
            self.audit(entries).await?;
        }
        Ok(lines)
    }

    /// One stay with its forms, contacts, fee tiers and rule.
    pub async fn stay(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        now: Timestamp,
    ) -> Result<StayView, TransitionsError> {
        let stay = self.stay_row(id).await?;
        let viewer = self.viewer(p, ctx, &stay, now).await?;
        let view = self.view_of(stay, viewer, now.jst_date()).await?;
        self.audit(vec![audit_entry(
            p,
            ctx,
            "stay.read",
            "stay",
            id,
            Some(view.stay.patient_id),
        )])
        .await?;
        Ok(view)
    }

    pub(super) async fn view_of(
        &self,
        stay: Stay,
        viewer: Viewer,
        today: time::Date,
    ) -> Result<StayView, TransitionsError> {
        let holidays = self.holidays();
        let mut admission_form = store::form(&self.db, stay.id, FormKind::Admission).await?;
        let mut discharge_form = store::form(&self.db, stay.id, FormKind::Discharge).await?;
        let mut contacts = store::contacts(&self.db, stay.id).await?;
        // The hospital sees what was sent to it, not the team's drafts, its
        // discharge record or its contact log.
        if viewer == Viewer::Hospital {
            admission_form = admission_form.filter(|f| f.status != FormStatus::Draft);
            discharge_form = None;
            contacts.clear();
        }
        // The team follows the work its stay made (the hub and the support
        // centre see theirs in their own inboxes).
        let tasks = if viewer == Viewer::Team {
            store::tasks_of_stay(&self.db, stay.id).await?
        } else {
            Vec::new()
        };
        let liaison_window = self
            .directory
            .liaison_window(stay.hospital_entry_id)
            .await
            .map_err(|e| TransitionsError::Conflict(e.to_string()))?;
        let conferences = store::conferences(&self.db, stay.id).await?;
        let admission_tier = match &admission_form {
            Some(f) => self.tier_of(&stay, f, &holidays).await?,
            None => None,
        };
        let calendar = self.calendar_of(&stay).await?;
        let admitted = parse_local_datetime(&stay.admitted_local);
        let deadlines = admitted
            .map(|a| admission_fee_deadlines(a, stay.outside_hours, &calendar, &holidays))
            .map(|(a, b)| (format_date(a), format_date(b)))
            .unwrap_or_default();
        let counted = match admitted {
            Some(a) => {
                let logged: Vec<DischargeContact> = contacts
                    .iter()
                    .filter_map(|c| {
                        parse_date(&c.contacted_on).map(|on| DischargeContact {
                            on,
                            conference: c.conference,
                        })
                    })
                    .collect();
                counted_discharge_contacts(
                    &logged,
                    a.date(),
                    stay.discharged_on.as_deref().and_then(parse_date),
                )
            }
            None => (0, 0),
        };
        let rule = self.rule_of_stay(&stay).await?;
        let notice_days = rule
            .as_ref()
            .map(|r| r.body.discharge_notice_days_before)
            .unwrap_or_else(|| RuleBody::default().discharge_notice_days_before);
        let discharge_notice_on_time = discharge_notice_on_time(&stay, notice_days);
        let body = rule.as_ref().map(|r| r.body.clone()).unwrap_or_default();
        let discharged = stay.discharged_on.as_deref().and_then(parse_date);
        let follow_up_until =
            discharged.map(|d| format_date(d + Duration::days(i64::from(body.follow_up_days))));
        let summary_overdue = summary_overdue(&stay, body.summary_due_days, today);
        let fee_rules = admitted.and_then(|a| FeeRules::in_force(a.date()));
        Ok(StayView {
            viewer,
            admission_form,
            discharge_form,
            contacts,
            conferences,
            summary_overdue,
            follow_up_until,
            admission_tier,
            admission_deadlines: deadlines,
            counted_contacts: counted,
            discharge_tier: discharge_fee_tier(counted.0, counted.1),
            fee_rules,
            rule,
            discharge_notice_on_time,
            tasks,
            liaison_window,
            stay,
        })
    }
}
