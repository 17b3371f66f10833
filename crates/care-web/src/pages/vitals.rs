//! The vital signs of a patient as charts and a table.

use super::*;

#[derive(Template)]
#[template(path = "care/vitals.html")]
struct VitalsPage {
    l: Layout,
    patient: PatientHeader,
    days: i64,
    charts: Vec<(String, String)>,
    rows: Vec<(PostId, String, String, Vec<crate::posts::VitalShown>)>,
}

#[derive(Deserialize)]
pub struct DaysParam {
    #[serde(default)]
    days: Option<String>,
}

pub async fn vitals(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    Query(d): Query<DaysParam>,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let days = match d.days.as_deref().map(str::trim) {
        None | Some("") => 14,
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| WebError::BadRequest("days must be a number".into()))?
            .clamp(1, 365),
    };
    let (patient, posts) = state
        .care
        .vitals(&p, &rc, id, days, Timestamp::now())
        .await?;
    let mut charts = Vec::new();
    let series_of = |code: &str| -> Vec<(i64, f64)> {
        posts
            .iter()
            .filter_map(|p| p.vitals().get(code).map(|v| (p.created_at, v)))
            .collect()
    };
    for sign in VITAL_SIGNS {
        if sign.code == "bp_diastolic" {
            continue;
        }
        let main = series_of(sign.code);
        if main.is_empty() {
            continue;
        }
        let (title, svg) = if sign.code == "bp_systolic" {
            let dia = series_of("bp_diastolic");
            let title = ctx.lang.tr("血圧（mmHg）", "Blood pressure (mmHg)");
            let svg = renkei_care::chart::render(
                sign,
                title,
                &[
                    renkei_care::chart::Series {
                        label: ctx.lang.tr("上", "Systolic"),
                        colour: "#b3261e",
                        points: &main,
                    },
                    renkei_care::chart::Series {
                        label: ctx.lang.tr("下", "Diastolic"),
                        colour: "#1a56a8",
                        points: &dia,
                    },
                ],
            );
            (title.to_string(), svg)
        } else {
            let title = format!("{}（{}）", sign.label(lang), sign.unit);
            let svg = renkei_care::chart::render(
                sign,
                &title,
                &[renkei_care::chart::Series {
                    label: sign.label(lang),
                    colour: "#1a56a8",
                    points: &main,
                }],
            );
            (title, svg)
        };
        charts.push((title, svg));
    }
    let rows = posts
        .iter()
        .rev()
        .map(|x| {
            (
                x.id,
                Timestamp(x.created_at).to_jst_display(),
                x.author_name.clone(),
                crate::posts::vitals_shown(ctx.lang, &x.vitals()),
            )
        })
        .collect();
    ok(&VitalsPage {
        l: Layout::new(&ctx, ctx.lang.tr("バイタルの推移", "Vital signs")),
        patient: header_of(lang, &patient),
        days,
        charts,
        rows,
    })
}
