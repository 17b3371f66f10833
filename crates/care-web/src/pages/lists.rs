//! My patients, invitations and break-glass accesses, with unread counts.

use super::*;

#[derive(Template)]
#[template(path = "care/patients.html")]
struct PatientsPage {
    l: Layout,
    patients: Vec<SpaceCard>,
    invitations: Vec<SpaceCard>,
    may_register: bool,
    may_break_glass: bool,
    break_glass: Vec<(PatientId, String, String)>,
    total_unread: i64,
}

pub async fn patients(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    crate::posts::require_care_role(&p)?;
    let l = Layout::new(&ctx, ctx.lang.tr("担当患者", "Patients"));
    let spaces = state.care.my_spaces(&p, &rc).await?;
    let (invitations, rest): (Vec<_>, Vec<_>) = spaces
        .into_iter()
        .partition(|s| s.status == MemberStatus::Invited);
    let patients: Vec<SpaceCard> = rest
        .into_iter()
        .filter(|s| s.kind == SpaceKind::Patient)
        .collect();
    let total_unread = patients.iter().map(|s| s.unread).sum();
    let break_glass = state
        .care
        .active_break_glass(&p, Timestamp::now())
        .await?
        .into_iter()
        .map(|b| {
            (
                b.patient_id,
                b.patient_name,
                Timestamp(b.expires_at).to_jst_display(),
            )
        })
        .collect();
    ok(&PatientsPage {
        l,
        patients,
        invitations,
        may_register: p.role.may(Permission::RegisterPatients),
        may_break_glass: p.role.may(Permission::BreakGlass),
        break_glass,
        total_unread,
    })
}
