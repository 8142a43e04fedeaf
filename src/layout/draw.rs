//! SVG drawings of a layout: faces filled in their colour, couplings as lines, data qubits as
//! black discs, syndrome (root) ancillas as white squares, flag ancillas as small white
//! diamonds; optionally each data-coupling labelled with the time step of its gate.

use super::{Layout, Role};
use crate::code::{plane, Color};
use crate::schedule::{round_ops, Schedule};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Pixels per lattice spacing.
const SCALE: f64 = 80.0;
const MARGIN: f64 = 30.0;

fn fill(c: Color) -> &'static str {
    match c {
        Color::Red => "#f4a6a6",
        Color::Green => "#a9dfa3",
        Color::Blue => "#a6c3f4",
    }
}

/// Labels for coupling edges: (qubit a, qubit b, text), e.g. the time step of a gate.
pub type EdgeLabels = Vec<(usize, usize, String)>;

/// A set of qubit pairs drawn over the couplings in one style (e.g. a GHZ tree, CH pairs).
pub struct Overlay {
    pub pairs: Vec<(usize, usize)>,
    /// SVG colour.
    pub color: &'static str,
    pub width: f64,
    /// SVG `stroke-dasharray` ("" for solid).
    pub dash: &'static str,
    /// Legend text.
    pub label: String,
}

/// Draws `layout` as an SVG document.
pub fn svg(layout: &Layout, labels: &EdgeLabels) -> String {
    svg_with(layout, labels, &[])
}

/// [`svg`] with overlays drawn over the couplings and a legend in the top left corner.
pub fn svg_with(layout: &Layout, labels: &EdgeLabels, overlays: &[Overlay]) -> String {
    let pts = &layout.positions;
    let max_x = pts.iter().map(|p| p[0]).fold(0.0, f64::max);
    let max_y = pts.iter().map(|p| p[1]).fold(0.0, f64::max);
    // Room above the drawing for the overlays' legend.
    let legend = 16.0 * overlays.len() as f64;
    let (w, h) = (
        max_x * SCALE + 2.0 * MARGIN,
        max_y * SCALE + 2.0 * MARGIN + legend,
    );
    // SVG's y axis points down; flip so the triangle stands on its base.
    let at = |p: [f64; 2]| (MARGIN + p[0] * SCALE, h - MARGIN - p[1] * SCALE);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for f in &layout.faces {
        let face = &layout.code.faces[f.face];
        let mut corners: Vec<[f64; 2]> = f.data.iter().map(|&q| pts[q]).collect();
        if f.data.len() < 6 {
            corners.push(plane(face.center));
        }
        let poly: Vec<String> = corners
            .iter()
            .map(|&p| {
                let (x, y) = at(p);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = writeln!(
            s,
            r##"<polygon points="{}" fill="{}" stroke="#555" stroke-width="1"/>"##,
            poly.join(" "),
            fill(face.color)
        );
    }
    for e in layout.graph.edge_indices() {
        let (a, b) = layout.graph.edge_endpoints(e).expect("edge");
        let ((x1, y1), (x2, y2)) = (at(pts[a.index()]), at(pts[b.index()]));
        let _ = writeln!(
            s,
            r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#222" stroke-width="1.5"/>"##
        );
    }
    for (k, o) in overlays.iter().enumerate() {
        for &(a, b) in &o.pairs {
            let ((x1, y1), (x2, y2)) = (at(pts[a]), at(pts[b]));
            let _ = writeln!(
                s,
                r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" stroke-width="{}" stroke-dasharray="{}"/>"##,
                o.color, o.width, o.dash
            );
        }
        let y = 16.0 + 16.0 * k as f64;
        let _ = writeln!(
            s,
            r##"<line x1="8" y1="{:.1}" x2="36" y2="{:.1}" stroke="{}" stroke-width="{}" stroke-dasharray="{}"/><text x="42" y="{:.1}" font-size="12" font-family="sans-serif">{}</text>"##,
            y - 4.0,
            y - 4.0,
            o.color,
            o.width,
            o.dash,
            y,
            o.label
        );
    }
    for (q, role) in layout.roles.iter().enumerate() {
        let (x, y) = at(pts[q]);
        let _ = match role {
            Role::Data => writeln!(
                s,
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="7" fill="#111"/>"##
            ),
            Role::Syndrome => writeln!(
                s,
                r##"<rect x="{:.1}" y="{:.1}" width="10" height="10" fill="white" stroke="#111" stroke-width="2"/>"##,
                x - 5.0,
                y - 5.0
            ),
            Role::Flag => writeln!(
                s,
                r##"<polygon points="{:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1}" fill="white" stroke="#111" stroke-width="1.5"/>"##,
                x - 5.0,
                y - 5.0,
                x + 5.0,
                y + 5.0
            ),
        };
    }
    for (a, b, text) in labels {
        let ((x1, y1), (x2, y2)) = (at(pts[*a]), at(pts[*b]));
        let (x, y) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
        let _ = writeln!(
            s,
            r##"<text x="{x:.1}" y="{:.1}" font-size="10" font-family="sans-serif" text-anchor="middle" fill="#c00">{text}</text>"##,
            y + 3.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// "x/z" time-step labels (1-based, within a round) for every ancilla-data coupling.
pub fn schedule_labels(layout: &Layout) -> EdgeLabels {
    let schedule = Schedule::asap(round_ops(layout), layout.num_qubits());
    let mut steps: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (t, layer) in schedule.layers.iter().enumerate() {
        for o in layer.iter().filter(|o| o.gate == "CX") {
            let (a, b) = (o.qubits[0].min(o.qubits[1]), o.qubits[0].max(o.qubits[1]));
            if layout.roles[a] == Role::Data {
                steps.entry((a, b)).or_default().push(t + 1);
            }
        }
    }
    steps
        .into_iter()
        .map(|((a, b), ts)| {
            let text: Vec<String> = ts.iter().map(usize::to_string).collect();
            (a, b, text.join("/"))
        })
        .collect()
}
