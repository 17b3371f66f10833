//! The care pages: my patients and groups with unread counts, registering a
//! patient, the timeline with its one-handed posting form, vital-sign
//! charts, the shared summary, the team, consent, break-glass, and
//! notification settings.

mod break_glass;
mod consent;
mod groups;
mod lists;
mod notifications;
mod patients;
mod post;
mod summary;
mod team;
mod timeline;
mod vitals;

pub use break_glass::*;
pub use consent::*;
pub use groups::*;
pub use lists::*;
pub use notifications::*;
pub use patients::*;
pub use post::*;
pub use summary::*;
pub use team::*;
pub use timeline::*;
pub use vitals::*;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use renkei_care::model::{
    BreakGlassRequest, CategoryFilter, ConsentInput, Contact, PatientInput, PostDetail,
    Preferences, SpaceCard, SummaryFields, TimelineQuery,
};
use renkei_care::CareError;
use renkei_domain::care::{
    BreakGlassReason, CareApplication, CareLevel, DementiaIndependence, Household, MemberStatus,
    PhysicalIndependence, PostCategory, Sex, SpaceKind, TeamRole, VITAL_SIGNS,
};
use renkei_domain::people::Permission;
use renkei_domain::{
    AttachmentId, ConsentId, OrgId, PatientId, PostId, Profession, SpaceId, Timestamp, UserId,
    ValidationErrors,
};
use renkei_identity::{Principal, RequestContext};
use serde::Deserialize;

use crate::posts::{new_key, post_card, post_input, PostCard, UploadForm};
use crate::CareState;
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::page::{form_status, ok, refuse_or, render};
use renkei_web_kit::FormData;
use renkei_web_kit::Layout;
use renkei_web_kit::WebError;

fn age(birth: &str) -> String {
    let today = Timestamp::now().to_jst_display();
    let (Some(b), Some(t)) = (birth.get(0..10), today.get(0..10)) else {
        return String::new();
    };
    let by: i32 = b[0..4].parse().unwrap_or(0);
    let ty: i32 = t[0..4].parse().unwrap_or(0);
    let mut years = ty - by;
    if t[5..10] < b[5..10] {
        years -= 1;
    }
    if by == 0 {
        String::new()
    } else {
        years.to_string()
    }
}

/// The line under a patient's name: age, sex, care level.
pub struct PatientHeader {
    pub id: PatientId,
    pub name: String,
    pub kana: String,
    pub age: String,
    pub sex: String,
    pub care_level: String,
}

fn header_of(lang: &str, p: &renkei_care::model::Patient) -> PatientHeader {
    PatientHeader {
        id: p.id,
        name: p.record.name.clone(),
        kana: p.record.kana.clone(),
        age: age(&p.record.birth_date),
        sex: p.record.sex.label(lang).to_string(),
        care_level: p.record.care_level.label(lang).to_string(),
    }
}

/// What the page helpers need of a request: the state, the user, the page
/// context, the audit context, and the moment the request is answered at.
struct Req<'a> {
    state: &'a CareState,
    p: &'a Principal,
    ctx: &'a PageCtx,
    rc: &'a RequestContext,
    now: Timestamp,
}

impl<'a> Req<'a> {
    fn new(
        state: &'a CareState,
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
