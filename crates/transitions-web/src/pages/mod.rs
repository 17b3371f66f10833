//! Transitions' pages: stays (lists, recording an admission, the stay
//! page with its discharge), the handoff forms and their print layout,
//! the regional rules and rulebook, and the compliance report.

mod calendar;
mod forms;
mod inquiries;
mod report;
mod rules;
mod stays;
mod tasks;

pub use calendar::*;
pub use forms::*;
pub use inquiries::*;
pub use report::*;
pub use rules::*;
pub use stays::*;
pub use tasks::*;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use renkei_domain::transitions::{ContactChannel, FormKind, ReportedVia};
use renkei_domain::{PatientId, StayId, Timestamp, ValidationErrors};
use renkei_identity::{Principal, RequestContext};
use renkei_transitions::model::{StayLine, Viewer};
use serde::Deserialize;

use crate::TransitionsState;
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::page::{ok, refuse_or, render};
use renkei_web_kit::FormData;
use renkei_web_kit::Layout;
use renkei_web_kit::WebError;

/// What the page helpers need of a request.
struct Req<'a> {
    state: &'a TransitionsState,
    p: &'a Principal,
    ctx: &'a PageCtx,
    rc: &'a RequestContext,
    now: Timestamp,
}

impl<'a> Req<'a> {
    fn new(
        state: &'a TransitionsState,
        p: &'a Principal,
        ctx: &'a PageCtx,
        rc: &'a RequestContext,
    ) -> Self {
        Req {
            state,
            p,
            ctx,
            rc,
            now: Timestamp::now(),
        }
    }
}

/// A form kind from the path ("admission", "discharge"), else 404.
fn kind_of(code: &str) -> Result<FormKind, WebError> {
    FormKind::from_code(code).ok_or(WebError::NotFound)
}

/// An instant as Japan time, or "".
fn when(ms: Option<i64>) -> String {
    ms.map(|t| Timestamp(t).to_jst_display())
        .unwrap_or_default()
}

/// One stay as a list row.
pub struct StayRow {
    pub id: StayId,
    pub patient: String,
    pub hospital: String,
    pub admitted: String,
    pub flagged: bool,
    pub status: String,
    pub tier: String,
    pub discharge: String,
}

fn row_of(lang: Lang, line: &StayLine) -> StayRow {
    let s = &line.stay;
    StayRow {
        id: s.id,
        patient: s.patient_name.clone(),
        hospital: s.hospital_name.clone(),
        admitted: s.admitted_local.replace('T', " "),
        flagged: s.needs_coordination,
        status: line
            .admission_status
            .map(|st| st.label(lang.code()).to_string())
            .unwrap_or_else(|| lang.tr("未作成", "Not written").to_string()),
        tier: line
            .admission_tier
            .map(|t| t.label(lang.code()).to_string())
            .unwrap_or_default(),
        discharge: s
            .discharged_on
            .clone()
            .map(|d| format!("{}{d}", lang.tr("退院 ", "discharged ")))
            .or_else(|| {
                s.planned_discharge_on
                    .clone()
                    .map(|d| format!("{}{d}", lang.tr("退院予定 ", "planned ")))
            })
            .unwrap_or_default(),
    }
}
