//! Charts drawn by the server as SVG: a pie whose slices (and legend entries) link somewhere,
//! and bars of a few series over the buckets of a period.

use std::fmt::Write;

pub struct Slice {
    pub label: String,
    pub count: u64,
    pub color: &'static str,
    pub href: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A pie chart with a legend; `title` names it for screen readers.
pub fn pie(title: &str, slices: &[Slice]) -> String {
    let total: u64 = slices.iter().map(|s| s.count).sum();
    let (cx, cy, r) = (100.0_f64, 100.0_f64, 90.0_f64);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="pie" viewBox="0 0 200 200" width="200" height="200" role="img" aria-label="{}">"#,
        esc(title)
    );
    if total == 0 {
        let _ = write!(svg, r##"<circle cx="{cx}" cy="{cy}" r="{r}" fill="#e5e7eb"/>"##);
    }
    let mut angle = -std::f64::consts::FRAC_PI_2;
    for s in slices.iter().filter(|s| s.count > 0) {
        let share = s.count as f64 / total as f64;
        let label = format!("{}: {}", s.label, s.count);
        let _ = write!(svg, r#"<a href="{}" class="slice"><title>{}</title>"#, esc(&s.href), esc(&label));
        if share >= 0.9999 {
            let _ = write!(svg, r#"<circle cx="{cx}" cy="{cy}" r="{r}" fill="{}"/>"#, s.color);
        } else {
            let end = angle + share * std::f64::consts::TAU;
            let (x1, y1) = (cx + r * angle.cos(), cy + r * angle.sin());
            let (x2, y2) = (cx + r * end.cos(), cy + r * end.sin());
            let large = if share > 0.5 { 1 } else { 0 };
            let _ = write!(
                svg,
                r##"<path d="M{cx},{cy} L{x1:.2},{y1:.2} A{r},{r} 0 {large} 1 {x2:.2},{y2:.2} Z" fill="{}" stroke="#fff" stroke-width="1"/>"##,
                s.color
            );
            angle = end;
        }
        svg.push_str("</a>");
    }
    svg.push_str("</svg><ul class=\"legend\">");
    for s in slices {
        let pct = if total == 0 { 0.0 } else { 100.0 * s.count as f64 / total as f64 };
        let _ = write!(
            svg,
            r#"<li><span class="swatch" style="background:{}"></span><a href="{}">{}</a> <bdi>{} ({:.0}%)</bdi></li>"#,
            s.color,
            esc(&s.href),
            esc(&s.label),
            s.count,
            pct
        );
    }
    svg.push_str("</ul>");
    svg
}

/// One series of a bar chart: its name, colour and a value per bucket.
pub struct Series {
    pub label: String,
    pub color: &'static str,
    pub values: Vec<u64>,
}

/// Grouped bars: for each bucket (labelled below, every few when there are many) one bar per
/// series; a legend under it. Scales to its box (`viewBox`), so it fits a phone too.
pub fn bars(title: &str, buckets: &[String], series: &[Series]) -> String {
    let (h, left, bottom) = (240.0_f64, 40.0_f64, 36.0_f64);
    let n = buckets.len().max(1) as f64;
    // Wide enough for its buckets, not so wide that a phone shrinks the type away.
    let w = (left + n * 48.0).clamp(400.0, 960.0);
    let max = series.iter().flat_map(|s| s.values.iter().copied()).max().unwrap_or(0).max(1);
    let slot = (w - left) / n;
    let bar = (slot * 0.8 / series.len().max(1) as f64).clamp(1.0, 28.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="bars" viewBox="0 0 {w} {h}" role="img" aria-label="{}" preserveAspectRatio="xMidYMin meet">"#,
        esc(title)
    );
    let plot = h - bottom;
    // Whole numbers on the axis: 0, the top, and the middle when it is one.
    let ticks: Vec<u64> = if max >= 2 && max % 2 == 0 { vec![0, max / 2, max] } else { vec![0, max] };
    for v in ticks {
        let frac = v as f64 / max as f64;
        let y = plot - frac * (plot - 10.0);
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{y:.1}" x2="{w}" y2="{y:.1}" stroke="#d8dde6"/><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#5b6475">{v}</text>"##,
            left - 4.0,
            y + 4.0
        );
    }
    let every = (buckets.len() / 8).max(1);
    for (i, b) in buckets.iter().enumerate() {
        let x0 = left + i as f64 * slot + (slot - bar * series.len() as f64) / 2.0;
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0);
            let bh = (plot - 10.0) * v as f64 / max as f64;
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="{}"><title>{} · {}: {v}</title></rect>"#,
                x0 + k as f64 * bar,
                plot - bh,
                bar,
                s.color,
                esc(b),
                esc(&s.label)
            );
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#5b6475" direction="ltr">{}</text>"##,
                left + i as f64 * slot + slot / 2.0,
                plot + 16.0,
                esc(b)
            );
        }
    }
    svg.push_str("</svg><ul class=\"legend\">");
    for s in series {
        let total: u64 = s.values.iter().sum();
        let _ = write!(
            svg,
            r#"<li><span class="swatch" style="background:{}"></span>{} <bdi>{total}</bdi></li>"#,
            s.color,
            esc(&s.label)
        );
    }
    svg.push_str("</ul>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_draw_one_rect_per_value_and_escape() {
        let s = |label: &str, values: Vec<u64>| Series { label: label.into(), color: "#000", values };
        let out = bars("t", &["a<b".into(), "c".into()], &[s("x&y", vec![1, 2]), s("z", vec![0, 4])]);
        assert_eq!(out.matches("<rect").count(), 4);
        assert!(out.contains("a&lt;b") && out.contains("x&amp;y") && out.contains("<bdi>4</bdi>"));
    }

    #[test]
    fn slices_link_and_escape() {
        let s = |label: &str, count, href: &str| Slice { label: label.into(), count, color: "#000", href: href.into() };
        let out = pie("t", &[s("a<b", 3, "/x?a=1&b=2"), s("c", 1, "/y"), s("none", 0, "/z")]);
        assert!(out.contains("a&lt;b") && out.contains("/x?a=1&amp;b=2"));
        assert_eq!(out.matches("<path").count(), 2, "two drawn slices: {out}");
        assert!(out.contains("(75%)") && out.contains("(0%)"));
        let full = pie("t", &[s("only", 5, "/o")]);
        assert!(full.contains("<circle") && !full.contains("<path"));
    }
}
