//! Vital-sign charts drawn on the server as SVG: they work without
//! JavaScript on old tablets, print, and need no chart library in the page.

use std::fmt::Write;

use renkei_domain::care::VitalSign;
use renkei_domain::Timestamp;

/// One line of a chart.
pub struct Series<'a> {
    pub label: &'a str,
    pub colour: &'a str,
    /// (time in ms, value), oldest first.
    pub points: &'a [(i64, f64)],
}

use renkei_domain::text::xml_escape as escape;

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// An SVG chart of one vital sign (blood pressure draws two series). The
/// plausible range is shaded so unusual values stand out; the title and
/// every point carry text for screen readers.
pub fn render(sign: &VitalSign, title: &str, series: &[Series<'_>]) -> String {
    let all: Vec<(i64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .collect();
    let mut svg = String::new();
    let title = escape(title);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{title}\" class=\"vital-chart\">\
         <title>{title}</title>"
    );
    if all.is_empty() {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\">—</text></svg>",
            W / 2.0,
            H / 2.0
        );
        return svg;
    }
    let (mut t0, mut t1) = (i64::MAX, i64::MIN);
    let (mut v0, mut v1) = (f64::MAX, f64::MIN);
    for (t, v) in &all {
        t0 = t0.min(*t);
        t1 = t1.max(*t);
        v0 = v0.min(*v);
        v1 = v1.max(*v);
    }
    // Show the usual band around the values, with a margin.
    let pad = ((v1 - v0) * 0.1).max(1.0);
    let lo = (v0 - pad).max(sign.accept.0);
    let hi = (v1 + pad).min(sign.accept.1);
    let (lo, hi) = if hi - lo < 1e-9 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    };
    let span_t = ((t1 - t0) as f64).max(1.0);
    let x = |t: i64| LEFT + (W - LEFT - RIGHT) * ((t - t0) as f64 / span_t);
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo));
    // Plausible band.
    let band_top = y(sign.plausible.1.min(hi)).clamp(TOP, H - BOTTOM);
    let band_bottom = y(sign.plausible.0.max(lo)).clamp(TOP, H - BOTTOM);
    let _ = write!(
        svg,
        "<rect x=\"{LEFT}\" y=\"{band_top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#eef5ee\"/>",
        W - LEFT - RIGHT,
        (band_bottom - band_top).max(0.0)
    );
    // Axes and labels: min, middle, max.
    for v in [lo, (lo + hi) / 2.0, hi] {
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ccc\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 4.0,
            y(v) + 4.0,
            format_value(v, sign.decimals),
            y = y(v)
        );
    }
    for (t, anchor) in [(t0, "start"), (t1, "end")] {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"{anchor}\">{}</text>",
            x(t),
            H - 12.0,
            escape(&Timestamp(t).to_jst_display())
        );
    }
    for s in series {
        if s.points.is_empty() {
            continue;
        }
        let path: Vec<String> = s
            .points
            .iter()
            .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
            escape(s.colour),
            path.join(" ")
        );
        for (t, v) in s.points {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{}\"><title>{} {} {}{}</title></circle>",
                x(*t),
                y(*v),
                escape(s.colour),
                escape(&Timestamp(*t).to_jst_display()),
                escape(s.label),
                format_value(*v, sign.decimals),
                escape(sign.unit)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

pub fn format_value(v: f64, decimals: u8) -> String {
    format!("{v:.*}", decimals as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_domain::care::vital_sign;

    #[test]
    fn draws_points_and_escapes_titles() {
        let sign = vital_sign("temperature").unwrap();
        let pts = [(0i64, 36.5), (3_600_000, 38.9)];
        let svg = render(
            sign,
            "体温 <script>",
            &[Series {
                label: "体温",
                colour: "#c00",
                points: &pts,
            }],
        );
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("38.9"));
        assert!(!svg.contains("<script>"));
    }

    #[test]
    fn empty_chart_is_valid() {
        let sign = vital_sign("pulse").unwrap();
        let svg = render(sign, "脈拍", &[]);
        assert!(svg.ends_with("</svg>"));
    }
}
