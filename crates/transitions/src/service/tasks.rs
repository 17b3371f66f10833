//! The work a handoff creates (連携タスク), so that routing is something
//! somebody does rather than a line in the rulebook:
//! - at admission, each routing case the patient meets becomes a task in
//!   the inbox that acts on it: no home doctor → the support centre finds
//!   one; no care manager → the support centre helps the family apply for
//!   care insurance or choose an office (the directory's care-management
//!   offices of the patient's municipality, accepting ones first); terminal
//!   or high medical need → the team invites the roles it lacks;
//! - when the discharge day is told and the rule names a hub, the hub's
//!   staff get the discharge (or, a hub not on Renkei, the team tells it);
//! - at discharge, the team's follow-up for the rule's period.
//!
//! Tasks are written in the same transaction as the event that makes them,
//! one of each kind per stay, and closed once with what was done.

use renkei_domain::transitions::{RouteCase, TaskInbox, TaskKind, TaskStatus};
use renkei_domain::HandoffTaskId;
use renkei_store::Tx;

use super::*;
use crate::model::{HandoffTask, TaskDoneInput, TaskView};

/// Days to act on a routing case when the rule sets none.
const DEFAULT_TASK_DAYS: u32 = 3;

/// The roles a wider team for terminal or high medical need has.
const WIDER_TEAM: &[TeamRole] = &[
    TeamRole::AttendingDoctor,
    TeamRole::VisitingNurse,
    TeamRole::Pharmacist,
    TeamRole::Rehab,
];

/// The hub's steps (the rule gives the hub by name only).
const HUB_STEPS: &[&str] = &[
    "退院予定日と退院後の支援体制を拠点に伝える",
    "拠点が在宅側の受け手（主治医・ケアマネジャー・訪問看護）を確かめる",
];

/// The follow-up's steps.
const FOLLOW_UP_STEPS: &[&str] = &[
    "退院後の初回訪問で本人の状態と生活を確かめる",
    "服薬・医療処置・サービスの開始を確かめる",
    "再入院の兆しがあれば主治医・訪問看護と共有する",
];

/// Who the rule's route names and its steps, or the inbox's name.
fn route_words(body: &RuleBody, case: RouteCase, kind: TaskKind) -> (String, Vec<String>, u32) {
    match body.route(case) {
        Some(r) => (r.to.clone(), r.steps.clone(), r.respond_within_days),
        None => (kind.inbox().label_ja().to_string(), Vec::new(), 0),
    }
}

impl Transitions {
    /// Writes the tasks of a new stay's routing cases, in the admission's
    /// own transaction.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn add_route_tasks(
        tx: &mut Tx,
        region: RegionId,
        stay: StayId,
        patient: PatientId,
        body: &RuleBody,
        cases: &[RouteCase],
        today: time::Date,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        for case in cases {
            let Some(kind) = TaskKind::of_route(*case) else {
                continue;
            };
            let (recipient, steps, days) = route_words(body, *case, kind);
            let days = if days == 0 { DEFAULT_TASK_DAYS } else { days };
            store::insert_task(
                tx,
                &store::NewTask {
                    region_id: region,
                    stay_id: stay,
                    patient_id: patient,
                    kind,
                    inbox: kind.inbox(),
                    org_id: None,
                    recipient: &recipient,
                    steps: &json(&steps)?,
                    due_on: &format_date(today + Duration::days(i64::from(days))),
                },
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// The hub's task when the discharge day is told: to the hub's staff
    /// when it receives handoffs in Renkei, else to the team, who tell it.
    pub(super) async fn add_hub_task(
        &self,
        tx: &mut Tx,
        stay: &Stay,
        body: &RuleBody,
        planned: time::Date,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let mut recipient = body.hub.clone();
        let mut org = None;
        if let Some(entry) = body.hub_entry_id {
            org = self
                .directory
                .receiving_organisation(entry)
                .await
                .map_err(|e| TransitionsError::Conflict(e.to_string()))?;
            if recipient.is_empty() {
                if let Some(e) = self
                    .directory
                    .entry_for_interop(entry)
                    .await
                    .map_err(|e| TransitionsError::Conflict(e.to_string()))?
                {
                    recipient = e.name;
                }
            }
        }
        if recipient.is_empty() && org.is_none() {
            return Ok(());
        }
        let notice = planned - Duration::days(i64::from(body.discharge_notice_days_before));
        let due = notice.max(now.jst_date());
        let steps: Vec<&str> = HUB_STEPS.to_vec();
        store::insert_task(
            tx,
            &store::NewTask {
                region_id: stay.region_id,
                stay_id: stay.id,
                patient_id: stay.patient_id,
                kind: TaskKind::HubDischarge,
                inbox: if org.is_some() {
                    TaskInbox::Hub
                } else {
                    TaskInbox::Team
                },
                org_id: org,
                recipient: &recipient,
                steps: &json(&steps)?,
                due_on: &format_date(due),
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// The team's follow-up after discharge, due at the end of the rule's
    /// period.
    pub(super) async fn add_follow_up_task(
        tx: &mut Tx,
        stay: &Stay,
        body: &RuleBody,
        discharged: time::Date,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let steps: Vec<&str> = FOLLOW_UP_STEPS.to_vec();
        store::insert_task(
            tx,
            &store::NewTask {
                region_id: stay.region_id,
                stay_id: stay.id,
                patient_id: stay.patient_id,
                kind: TaskKind::FollowUp,
                inbox: TaskInbox::Team,
                org_id: None,
                recipient: TaskInbox::Team.label_ja(),
                steps: &json(&steps)?,
                due_on: &format_date(discharged + Duration::days(i64::from(body.follow_up_days))),
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// Whether the user works the task's inbox: the region's support
    /// centre (its coordinators), the hub's staff, or the patient's team.
    async fn works_inbox(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        task: &HandoffTask,
        now: Timestamp,
    ) -> Result<bool, TransitionsError> {
        Ok(match task.inbox {
            TaskInbox::SupportCentre => {
                p.role == Role::Coordinator && p.region_scope() == Some(task.region_id)
            }
            TaskInbox::Hub => {
                professional(p) && task.org_id.is_some_and(|o| p.org_ids.contains(&o))
            }
            TaskInbox::Team => self.on_team(p, ctx, task.patient_id, now).await?,
        })
    }

    /// Whether the user writes for the patient's team as a professional.
    async fn on_team(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: PatientId,
        now: Timestamp,
    ) -> Result<bool, TransitionsError> {
        if !professional(p) {
            return Ok(false);
        }
        match self.care.patient(p, ctx, patient, now).await {
            Ok((_, access)) => {
                Ok(access.may_write() && access.team_role() != Some(TeamRole::Family))
            }
            Err(ServiceError::NotFound) | Err(ServiceError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The tasks in the user's inboxes, open first and the earliest due
    /// first. Each read is audited, as they name patients.
    pub async fn tasks(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<HandoffTask>, TransitionsError> {
        if !professional(p) {
            return Err(TransitionsError::Forbidden);
        }
        let list = self.inbox_tasks(p, ctx, now).await?;
        if !list.is_empty() {
            let entries = list
                .iter()
                .map(|t| audit_entry(p, ctx, "task.read", "task", t.id, Some(t.patient_id)))
                .collect();
            self.audit(entries).await?;
        }
        Ok(list)
    }

    /// How many tasks in the user's inboxes are open (for the home page:
    /// a number, no patient leaves the service, so nothing to audit).
    pub async fn open_task_count(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(usize, usize), TransitionsError> {
        if !professional(p) {
            return Ok((0, 0));
        }
        let today = format_date(now.jst_date());
        let list = self.inbox_tasks(p, ctx, now).await?;
        let open = list.iter().filter(|t| t.status == TaskStatus::Open);
        let overdue = open.clone().filter(|t| t.overdue(&today)).count();
        Ok((open.count(), overdue))
    }

    async fn inbox_tasks(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<HandoffTask>, TransitionsError> {
        let mut list = Vec::new();
        if p.role == Role::Coordinator {
            if let Some(region) = p.region_scope() {
                list.extend(
                    store::tasks_in_inbox(&self.db, region, TaskInbox::SupportCentre).await?,
                );
            }
        }
        for org in &p.org_ids {
            list.extend(store::tasks_of_org(&self.db, *org).await?);
        }
        let mine = self.my_team_patients(p, ctx, now).await?;
        list.extend(store::team_tasks_of_patients(&self.db, &mine).await?);
        list.sort_by(|a, b| {
            (
                a.status != TaskStatus::Open,
                &a.due_on,
                std::cmp::Reverse(a.id.0),
            )
                .cmp(&(
                    b.status != TaskStatus::Open,
                    &b.due_on,
                    std::cmp::Reverse(b.id.0),
                ))
        });
        let mut seen = std::collections::HashSet::new();
        list.retain(|t| seen.insert(t.id));
        Ok(list)
    }

    /// The task and whether the user works its inbox; the patient's team
    /// also reads the tasks other inboxes have for its patient. Anyone
    /// else: "not found", audited.
    async fn task_row(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: HandoffTaskId,
        now: Timestamp,
    ) -> Result<(HandoffTask, bool), TransitionsError> {
        let task = store::task(&self.db, id)
            .await?
            .ok_or(TransitionsError::NotFound)?;
        let works = self.works_inbox(p, ctx, &task, now).await?;
        // A team task's inbox check was the team check already.
        let reads = works
            || (task.inbox != TaskInbox::Team
                && self.on_team(p, ctx, task.patient_id, now).await?);
        if !reads {
            let mut e = audit_entry(p, ctx, "task.read", "task", id, Some(task.patient_id));
            e.outcome = Some(Outcome::Denied);
            self.audit(vec![e]).await?;
            return Err(TransitionsError::NotFound);
        }
        Ok((task, works))
    }

    /// One task with what helps to act on it: for a person without a care
    /// manager, the care-management offices of their municipality with
    /// their acceptance (受入状況), accepting first; for widening the team,
    /// the roles it lacks. Audited.
    pub async fn task(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: HandoffTaskId,
        now: Timestamp,
    ) -> Result<TaskView, TransitionsError> {
        let (task, works) = self.task_row(p, ctx, id, now).await?;
        self.audit(vec![audit_entry(
            p,
            ctx,
            "task.read",
            "task",
            id,
            Some(task.patient_id),
        )])
        .await?;
        let offices = self.candidates(&task);
        let missing_roles = if task.kind == TaskKind::WidenTeam && works {
            self.missing_roles(p, ctx, task.patient_id, now).await?
        } else {
            Vec::new()
        };
        let chosen_name = match task.chosen_entry_id {
            Some(e) => self
                .directory
                .entry_for_interop(e)
                .await
                .map_err(|e| TransitionsError::Conflict(e.to_string()))?
                .map(|e| e.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        Ok(TaskView {
            may_close: works && task.status == TaskStatus::Open,
            task,
            offices,
            missing_roles,
            chosen_name,
        })
    }

    /// The directory entries a task chooses from, in the patient's
    /// municipality with their acceptance (受入状況), accepting first: the
    /// care-management offices (居宅介護支援事業所) for a person without a
    /// care manager, the home-care clinics (在宅療養支援診療所) for one
    /// without a home doctor; none for other tasks.
    fn candidates(&self, task: &HandoffTask) -> Vec<(EntryId, String, String, String)> {
        let kind = match task.kind {
            TaskKind::NoCareManager => "care_management",
            TaskKind::NoHomeDoctor => "home_care_clinic",
            _ => return Vec::new(),
        };
        let municipality = task.municipality_code.as_str();
        let q = renkei_directory::search::Query {
            kind: Some(kind.into()),
            municipality: (!municipality.is_empty()).then(|| municipality.to_string()),
            limit: 200,
            ..Default::default()
        };
        let mut offices: Vec<_> = self
            .directory
            .live()
            .search(&q)
            .items
            .into_iter()
            .map(|h| (h.entry.id, h.entry.name, h.entry.phone, h.entry.acceptance))
            .collect();
        let rank = |a: &str| match a {
            "accepting" => 0,
            "waiting_list" => 1,
            "unknown" | "" => 2,
            _ => 3,
        };
        offices.sort_by_key(|o| rank(&o.3));
        offices.truncate(30);
        offices
    }

    /// The wider team's roles the patient's team has nobody active in.
    async fn missing_roles(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: PatientId,
        now: Timestamp,
    ) -> Result<Vec<String>, TransitionsError> {
        let (row, _) = self.care.patient(p, ctx, patient, now).await?;
        let team = self.care.team(p, ctx, row.space_id, now).await?;
        Ok(WIDER_TEAM
            .iter()
            .filter(|role| {
                !team
                    .members
                    .iter()
                    .any(|m| m.team_role == **role && m.status == MemberStatus::Active)
            })
            .map(|r| r.label_ja().to_string())
            .collect())
    }

    /// Closes a task with what was done (and the office chosen, for a
    /// person without a care manager). Once; audited.
    pub async fn close_task(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: HandoffTaskId,
        input: &TaskDoneInput,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let (task, works) = self.task_row(p, ctx, id, now).await?;
        if !works {
            return Err(TransitionsError::Forbidden);
        }
        let outcome = input.outcome.trim();
        if outcome.is_empty() {
            return Err(invalid(
                "outcome",
                "required",
                "対応した内容を入力してください。",
                "Say what was done.",
            ));
        }
        if outcome.chars().count() > 2000 {
            return Err(invalid(
                "outcome",
                "length",
                "対応内容は2000文字以内にしてください。",
                "Keep it within 2,000 characters.",
            ));
        }
        let chosen = input.chosen_entry_id.map(EntryId);
        if let Some(e) = chosen {
            if !self.candidates(&task).iter().any(|o| o.0 == e) {
                return Err(invalid(
                    "chosen_entry_id",
                    "office",
                    "一覧の依頼先（事業所・診療所）から選んでください。",
                    "Choose one of the listed offices or clinics.",
                ));
            }
        }
        if task.status == TaskStatus::Done {
            return Err(TransitionsError::Conflict(
                "このタスクは対応済みです。".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        if !store::close_task(&mut tx, id, outcome, chosen, p.user_id, now).await? {
            return Err(TransitionsError::Conflict(
                "このタスクは対応済みです。".into(),
            ));
        }
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "task.close", "task", id, Some(task.patient_id)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
