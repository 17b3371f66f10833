//! The printed guidebook (医療・介護資源ガイドブック): A4, grouped by area
//! and category, with a table of contents, contact windows (professional
//! edition) and a map page per area. The map is drawn from the entries'
//! coordinates as SVG, so the booklet needs no tile server and prints the
//! same everywhere. Written as HTML with print CSS; `renkei export` turns it
//! into PDF with the system's chromium when asked for a .pdf.

use std::collections::BTreeMap;

use askama::Template;
use sha2::{Digest, Sha256};

use super::{Edition, ExportEntry};

#[derive(Debug)]
pub struct BookletEntry {
    pub number: usize,
    pub name: String,
    pub kind: String,
    pub services: String,
    pub address: String,
    pub phone: String,
    pub fax: String,
    pub url: String,
    pub hours: String,
    pub functions: String,
    pub procedures: String,
    pub features: String,
    pub acceptance: &'static str,
    pub windows: Vec<String>,
}

pub struct Category {
    pub anchor: String,
    pub title: &'static str,
    pub entries: Vec<BookletEntry>,
}

#[derive(Debug)]
pub struct MapPin {
    pub number: usize,
    pub x: f64,
    pub y: f64,
}

pub struct Area {
    pub anchor: String,
    pub name: String,
    pub categories: Vec<Category>,
    pub pins: Vec<MapPin>,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "booklet.html")]
struct Booklet<'a> {
    title: &'a str,
    edition_label: &'static str,
    professional: bool,
    generated: String,
    areas: Vec<Area>,
    total: usize,
    /// Printing only the pages changed since an earlier edition.
    replacing: Option<ReplacementNote>,
}

/// What the cover of a set of replacement pages says.
pub struct ReplacementNote {
    pub since: String,
    /// Areas whose pages are to be taken out (no entry left).
    pub removed: Vec<String>,
    /// Areas of the booklet in all, printed or not.
    pub areas_in_all: usize,
}

/// A rendered booklet: the document, and a fingerprint of each area's
/// pages (area name → SHA-256 of everything they print), to be recorded as
/// the edition the next set of replacement pages is compared with.
pub struct Rendered {
    pub html: String,
    pub pages: BTreeMap<String, String>,
    /// How many areas the document holds (all, or those that changed).
    pub printed_areas: usize,
}

/// An earlier edition to print replacement pages for.
pub struct Since<'a> {
    /// How the cover names it ("第3版（2026-04-01）").
    pub label: String,
    pub pages: &'a BTreeMap<String, String>,
}

/// The fingerprint of one area's pages: its name, entries and map, not
/// its position in the booklet.
fn area_digest(a: &Area) -> String {
    let categories: Vec<(&str, &Vec<BookletEntry>)> =
        a.categories.iter().map(|c| (c.title, &c.entries)).collect();
    let text = format!("{:?}\u{1f}{:?}\u{1f}{:?}", a.name, categories, a.pins);
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Map drawing area in SVG user units (millimetres of the printed page).
const MAP_W: f64 = 180.0;
const MAP_H: f64 = 230.0;
const MARGIN: f64 = 8.0;

fn pins(points: &[(usize, f64, f64)]) -> Vec<MapPin> {
    if points.is_empty() {
        return Vec::new();
    }
    let (mut min_lat, mut max_lat, mut min_lon, mut max_lon) =
        (90.0f64, -90.0f64, 180.0f64, -180.0f64);
    for (_, lat, lon) in points {
        min_lat = min_lat.min(*lat);
        max_lat = max_lat.max(*lat);
        min_lon = min_lon.min(*lon);
        max_lon = max_lon.max(*lon);
    }
    // Equirectangular with the east-west scale of the middle latitude.
    let k = ((min_lat + max_lat) / 2.0).to_radians().cos();
    let span_x = ((max_lon - min_lon) * k).max(0.005);
    let span_y = (max_lat - min_lat).max(0.005);
    let scale = ((MAP_W - 2.0 * MARGIN) / span_x).min((MAP_H - 2.0 * MARGIN) / span_y);
    let (cx, cy) = ((min_lon + max_lon) / 2.0, (min_lat + max_lat) / 2.0);
    points
        .iter()
        .map(|(n, lat, lon)| MapPin {
            number: *n,
            x: MAP_W / 2.0 + (lon - cx) * k * scale,
            y: MAP_H / 2.0 - (lat - cy) * scale,
        })
        .collect()
}

/// Renders the booklet as one HTML document: whole, or (`since`) only the
/// areas whose pages differ from that edition's, with a cover that says
/// which pages to replace and which to take out.
pub fn render(
    entries: &[ExportEntry],
    edition: Edition,
    title: &str,
    procedures: &[(String, String)],
    generated_at: renkei_domain::Timestamp,
    since: Option<Since<'_>>,
) -> Result<Rendered, askama::Error> {
    let mut by_area: BTreeMap<String, Vec<&ExportEntry>> = BTreeMap::new();
    for e in entries {
        by_area.entry(e.area()).or_default().push(e);
    }
    let mut areas = Vec::new();
    for (ai, (name, list)) in by_area.into_iter().enumerate() {
        let mut by_category: BTreeMap<(u8, &'static str), Vec<&ExportEntry>> = BTreeMap::new();
        for e in list {
            by_category.entry(e.category()).or_default().push(e);
        }
        let mut number = 0;
        let mut points = Vec::new();
        let mut categories = Vec::new();
        for ((order, title), list) in by_category {
            let mut out = Vec::new();
            for x in list {
                number += 1;
                let e = &x.entry;
                if let (Some(lat), Some(lon)) = (e.lat, e.lon) {
                    points.push((number, lat, lon));
                }
                out.push(BookletEntry {
                    number,
                    name: e.name.clone(),
                    kind: renkei_domain::OrgKind::from_code(&e.kind)
                        .map(|k| k.label("ja").to_string())
                        .unwrap_or_default(),
                    services: x.services_text().replace(';', "・"),
                    address: e.address.clone(),
                    phone: x.field(edition, "phone", &e.phone).to_string(),
                    fax: x.field(edition, "fax", &e.fax).to_string(),
                    url: x.field(edition, "url", &e.url).to_string(),
                    hours: x.field(edition, "hours", &e.hours).to_string(),
                    functions: x.functions_text(edition),
                    procedures: x.procedures_text(edition, procedures),
                    features: x.field(edition, "features", &e.features).to_string(),
                    acceptance: x.acceptance_text(edition),
                    windows: x.windows_text(edition),
                });
            }
            categories.push(Category {
                anchor: format!("a{ai}-c{order}"),
                title,
                entries: out,
            });
        }
        areas.push(Area {
            anchor: format!("a{ai}"),
            name,
            categories,
            pins: pins(&points),
            count: number,
        });
    }
    let pages: BTreeMap<String, String> = areas
        .iter()
        .map(|a| (a.name.clone(), area_digest(a)))
        .collect();
    let areas_in_all = areas.len();
    let replacing = since.map(|s| {
        areas.retain(|a| s.pages.get(&a.name) != pages.get(&a.name));
        ReplacementNote {
            since: s.label,
            removed: s
                .pages
                .keys()
                .filter(|name| !pages.contains_key(*name))
                .cloned()
                .collect(),
            areas_in_all,
        }
    });
    let printed_areas = areas.len();
    let html = Booklet {
        title,
        edition_label: match edition {
            Edition::Public => "住民向け版",
            Edition::Professional => "専門職向け版（関係者限り）",
        },
        professional: edition == Edition::Professional,
        generated: generated_at.to_jst_display(),
        total: entries.len(),
        areas,
        replacing,
    }
    .render()?;
    Ok(Rendered {
        html,
        pages,
        printed_areas,
    })
}
