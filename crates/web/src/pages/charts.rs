//! Charts drawn by the server as SVG: a pie whose slices (and legend entries) link somewhere.

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

#[cfg(test)]
mod tests {
    use super::*;

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
