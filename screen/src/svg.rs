//! The timeline plot as plain SVG, rendered on the server: no charting library, nothing to
//! fetch, styled by the page's CSS through classes (`series series-edge`, `marker
//! marker-diagnosis`, ...), so it is testable here and readable in any browser.

use std::fmt::Write;

use crate::timeline::{MarkerKind, Series, Timeline};

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 380.0;
/// Left, right, top, bottom margins: room for the axes' labels and the markers' labels.
const MARGIN: (f64, f64, f64, f64) = (64.0, 16.0, 28.0, 40.0);

/// `<svg>` of the two series and the markers over the timeline's window.
pub fn render(timeline: &Timeline, series: &[Series]) -> String {
    let (from, to) = timeline.span_ms();
    let top = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0_f64, f64::max);
    let y_max = nice_ceiling(top.max(0.01) * 1.1);
    let scale = Scale { from, to: to.max(from + 1), y_max };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="edge and users' P95 latency over the drill">"#
    );
    axes(&mut svg, &scale);
    for s in series {
        let points: Vec<String> =
            s.points.iter().map(|(at, v)| format!("{:.1},{:.1}", scale.x(*at), scale.y(*v))).collect();
        let _ = write!(
            svg,
            r#"<polyline class="series series-{}" fill="none" points="{}"><title>{}</title></polyline>"#,
            s.class,
            points.join(" "),
            escape(s.name)
        );
    }
    for m in timeline.markers() {
        let x = scale.x(m.at_ms);
        let _ = write!(
            svg,
            r#"<g class="marker marker-{kind}" data-at-ms="{at}"><title>{title}</title><line x1="{x:.1}" x2="{x:.1}" y1="{y1}" y2="{y2}"/></g>"#,
            kind = m.kind.as_str(),
            at = m.at_ms,
            title = escape(&format!("{} {}", clock(m.at_ms), m.label)),
            y1 = MARGIN.2,
            y2 = HEIGHT - MARGIN.3,
        );
    }
    legend(&mut svg, series);
    marker_legend(&mut svg, timeline);
    svg.push_str("</svg>");
    svg
}

struct Scale {
    from: i64,
    to: i64,
    y_max: f64,
}

impl Scale {
    fn x(&self, at_ms: i64) -> f64 {
        let share = (at_ms - self.from) as f64 / (self.to - self.from) as f64;
        MARGIN.0 + share.clamp(0.0, 1.0) * (WIDTH - MARGIN.0 - MARGIN.1)
    }

    fn y(&self, seconds: f64) -> f64 {
        let share = (seconds / self.y_max).clamp(0.0, 1.0);
        HEIGHT - MARGIN.3 - share * (HEIGHT - MARGIN.2 - MARGIN.3)
    }
}

fn axes(svg: &mut String, s: &Scale) {
    let (left, bottom) = (MARGIN.0, HEIGHT - MARGIN.3);
    let _ = write!(svg, r#"<g class="axis"><line x1="{left}" y1="{bottom}" x2="{}" y2="{bottom}"/>"#, WIDTH - MARGIN.1);
    let _ = write!(svg, r#"<line x1="{left}" y1="{}" x2="{left}" y2="{bottom}"/>"#, MARGIN.2);
    // y_max is 1, 2 or 5 times a power of ten: steps of a quarter, a quarter, a fifth.
    let mantissa = s.y_max / 10f64.powf(s.y_max.log10().floor());
    let steps = if (mantissa - 5.0).abs() < 1e-9 { 5 } else { 4 };
    for i in 0..=steps {
        let v = s.y_max * f64::from(i) / f64::from(steps);
        let y = s.y(v);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - MARGIN.1,
            left - 6.0,
            y + 4.0,
            millis(v)
        );
    }
    let step = tick_step(s.to - s.from);
    let mut at = (s.from / step) * step;
    while at <= s.to {
        if at >= s.from {
            let x = s.x(at);
            let _ = write!(
                svg,
                r#"<text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                bottom + 18.0,
                clock(at)
            );
        }
        at += step;
    }
    svg.push_str("</g>");
}

fn legend(svg: &mut String, series: &[Series]) {
    let _ = write!(svg, r#"<g class="legend">"#);
    for (i, s) in series.iter().enumerate() {
        // Top right, on the markers' legend row, clear of the lines.
        let x = WIDTH - MARGIN.1 - 130.0 * (series.len() - i) as f64;
        let y = MARGIN.2 - 12.0;
        let _ = write!(
            svg,
            r#"<line class="series series-{}" x1="{x}" x2="{}" y1="{y}" y2="{y}"/><text x="{}" y="{}">{}</text>"#,
            s.class,
            x + 24.0,
            x + 30.0,
            y + 4.0,
            escape(s.name)
        );
    }
    svg.push_str("</g>");
}

/// One entry per kind of marker on the plot, across the top (a label on every line would
/// overlap where events come close together; each line's `<title>` tells it exactly).
fn marker_legend(svg: &mut String, timeline: &Timeline) {
    use crate::timeline::MarkerKind::*;
    let present = |k: &MarkerKind| timeline.markers().iter().any(|m| m.kind == *k);
    let kinds: Vec<MarkerKind> = [Injected, Signal, Hint, Diagnosis, Reverted].into_iter().filter(present).collect();
    let _ = write!(svg, r#"<g class="legend">"#);
    for (i, kind) in kinds.iter().enumerate() {
        let x = MARGIN.0 + 110.0 * i as f64;
        let y = MARGIN.2 - 12.0;
        let _ = write!(
            svg,
            r#"<g class="marker-{k}"><line x1="{x}" x2="{}" y1="{y}" y2="{y}"/></g><text x="{}" y="{}">{k}</text>"#,
            x + 20.0,
            x + 26.0,
            y + 4.0,
            k = kind.as_str()
        );
    }
    svg.push_str("</g>");
}

/// A round number at or above `v` (1, 2 or 5 times a power of ten).
fn nice_ceiling(v: f64) -> f64 {
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|c| *c >= v).unwrap_or(v)
}

/// A tick every 15 s, 30 s, 1, 2, 5 or 10 min: six to twelve over the window.
fn tick_step(span_ms: i64) -> i64 {
    [15_000, 30_000, 60_000, 120_000, 300_000, 600_000].into_iter().find(|s| span_ms / s <= 12).unwrap_or(600_000)
}

fn millis(seconds: f64) -> String {
    if seconds >= 1.0 { format!("{seconds:.1} s") } else { format!("{:.0} ms", seconds * 1000.0) }
}

/// `+2:05`, `-0:30`: as the debrief's table counts.
fn clock(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "+" };
    let secs = ms.unsigned_abs() / 1000;
    format!("{sign}{}:{:02}", secs / 60, secs % 60)
}

/// Text for SVG/XML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::Marker;
    use firedrill_drill::Timestamp;

    fn timeline(markers: Vec<Marker>) -> Timeline {
        let injected = Timestamp(1_000_000);
        Timeline { drill_id: "d".into(), injected, from: Timestamp(970_000), to: Timestamp(1_200_000), markers }
    }

    fn marker(at_ms: i64, kind: MarkerKind, label: &str) -> Marker {
        Marker { at_ms, kind, label: label.into() }
    }

    #[test]
    fn every_marker_is_one_classed_group_at_its_time() {
        let t = timeline(vec![
            marker(0, MarkerKind::Injected, "faults injected"),
            marker(12_000, MarkerKind::Signal, "signal a"),
            marker(20_000, MarkerKind::Signal, "signal b"),
            marker(40_000, MarkerKind::Hint, "hint: ada"),
            marker(50_000, MarkerKind::Diagnosis, "ada: api / latency (wrong)"),
            marker(140_000, MarkerKind::Reverted, "reverted"),
        ]);
        let series =
            [Series { name: "edge P95", class: "edge", points: vec![(-30_000, 0.02), (0, 0.5), (170_000, 0.03)] }];
        let svg = render(&t, &series);
        for (kind, n) in [("injected", 1), ("signal", 2), ("hint", 1), ("diagnosis", 1), ("reverted", 1)] {
            assert_eq!(svg.matches(&format!("class=\"marker marker-{kind}\"")).count(), n, "{kind}: {svg}");
        }
        // The window is 230 s over 920 px from x=64: the injection 30 s in, the revert at 170 s.
        assert!(svg.contains(r#"data-at-ms="0"><title>+0:00 faults injected</title><line x1="184.0""#), "{svg}");
        assert_eq!(svg.matches(r#"<g class="marker-signal">"#).count(), 1, "one legend entry per kind: {svg}");
        assert!(svg.contains(r#"data-at-ms="140000"><title>+2:20 reverted</title><line x1="744.0""#), "{svg}");
        assert!(svg.contains(r#"<polyline class="series series-edge" fill="none" points="64.0,"#), "{svg}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn labels_are_escaped_and_ticks_are_round() {
        let t = timeline(vec![marker(5_000, MarkerKind::Diagnosis, "<b>&\"x\"")]);
        let svg = render(&t, &[]);
        assert!(svg.contains("&lt;b&gt;&amp;&quot;x&quot;") && !svg.contains("<b>"), "{svg}");
        assert_eq!(nice_ceiling(0.33), 0.5);
        assert_eq!(nice_ceiling(1.2), 2.0);
        assert_eq!(tick_step(230_000), 30_000);
        assert!(svg.contains(">-0:30</text>") && svg.contains(">+3:00</text>"), "{svg}");
        assert_eq!(millis(0.25), "250 ms");
        let tall = [Series { name: "edge P95", class: "edge", points: vec![(0, 4.2)] }];
        let svg = render(&t, &tall);
        let ticks: Vec<&str> = svg.split("text-anchor=\"end\">").skip(1).map(|s| &s[..s.find('<').unwrap()]).collect();
        assert_eq!(ticks, ["0 ms", "1.0 s", "2.0 s", "3.0 s", "4.0 s", "5.0 s"]);
    }
}
