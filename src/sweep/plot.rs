//! Plots of sweep statistics: logical error rate per kept shot against a metadata key (p),
//! log-log, one curve per group (distance), shaded with sinter's likelihood-ratio interval
//! (factor 1000), a dashed power-law fit A x^k per curve, and a discard-rate panel below.
//! Text is drawn with the DejaVu Sans font embedded in the binary, so no system fonts are needed.

use super::fit::fit_binomial;
use super::stats::TaskStats;
use anyhow::{anyhow, bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Once;

/// DejaVu Sans (Bitstream Vera licence, see assets/fonts/DejaVuSans.LICENSE).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

pub(crate) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| ())
            .expect("the embedded font parses");
    });
}

/// A least-squares fit of log y = log A + k log x.
#[derive(Clone, Debug, PartialEq)]
pub struct PowerLaw {
    pub group: String,
    pub a: f64,
    pub k: f64,
    /// Points used (those with at least one error).
    pub points: usize,
}

/// One point of a curve.
#[derive(Clone, Debug)]
struct Point {
    x: f64,
    rate: f64,
    low: f64,
    high: f64,
    discard: f64,
}

/// Curves keyed by group label, points sorted by x.
fn curves(
    rows: &[TaskStats],
    x_key: &str,
    group_key: &str,
) -> Result<BTreeMap<String, Vec<Point>>> {
    let mut out: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    for r in rows {
        let Some(x) = r.json_metadata.get(x_key).and_then(Value::as_f64) else {
            continue;
        };
        let group = match r.json_metadata.get(group_key) {
            Some(Value::String(s)) => format!("{group_key}={s}"),
            Some(v) => format!("{group_key}={v}"),
            None => format!("{group_key}=?"),
        };
        let label = format!("{group} ({})", r.decoder);
        let fit = fit_binomial(r.errors, r.kept(), 1000.0);
        out.entry(label).or_default().push(Point {
            x,
            rate: fit.best,
            low: fit.low,
            high: fit.high,
            discard: r.discards as f64 / r.shots.max(1) as f64,
        });
    }
    // Curves rebuilt from stratified (subset) rows, at their p values.
    if x_key == "p" {
        for c in super::subset::subset_curves(rows).map_err(|e| anyhow!(e))? {
            let group = match c.metadata.get(group_key) {
                Some(Value::String(s)) => format!("{group_key}={s}"),
                Some(v) => format!("{group_key}={v}"),
                None => format!("{group_key}=?"),
            };
            let label = format!("{group} ({}, subset)", c.decoder);
            out.entry(label)
                .or_default()
                .extend(c.points.iter().map(|pt| Point {
                    x: pt.p,
                    rate: pt.logical.value,
                    low: pt.logical.low,
                    high: pt.logical.high,
                    discard: 1.0 - pt.acceptance.value,
                }));
        }
    }
    if out.is_empty() {
        bail!("no statistics row has a numeric '{x_key}' in its json_metadata to plot against");
    }
    for points in out.values_mut() {
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    Ok(out)
}

/// Fits log(rate) = log A + k log x over the points with a positive rate.
fn power_law(group: &str, points: &[Point]) -> Option<PowerLaw> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.rate > 0.0 && p.x > 0.0)
        .map(|p| (p.x.ln(), p.rate.ln()))
        .collect();
    if logs.len() < 2 {
        return None;
    }
    let n = logs.len() as f64;
    let (mx, my) = logs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let sxx: f64 = logs.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let k = logs.iter().map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / sxx;
    Some(PowerLaw {
        group: group.to_string(),
        a: (my - k * mx).exp(),
        k,
        points: logs.len(),
    })
}

/// Draws the plot to `path` (`.svg` or `.png`, chosen by extension) and returns the fits.
pub fn plot_stats(
    rows: &[TaskStats],
    x_key: &str,
    group_key: &str,
    path: &std::path::Path,
) -> Result<Vec<PowerLaw>> {
    register_font();
    let data = curves(rows, x_key, group_key)?;
    let fits: Vec<PowerLaw> = data
        .iter()
        .filter_map(|(g, pts)| power_law(g, pts))
        .collect();
    let size = (900, 1000);
    let draw_err = |e: &dyn std::fmt::Debug| anyhow!("cannot draw {}: {e:?}", path.display());
    match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw(&root, &data, &fits, x_key).map_err(|e| draw_err(&e))?;
                root.present().map_err(|e| draw_err(&e))?;
            }
            std::fs::write(path, svg)
                .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
        }
        Some("png") => {
            // Rendered beside the target and renamed, so no half-drawn file is ever visible.
            let name = path
                .file_name()
                .map_or("plot".into(), |n| n.to_string_lossy().to_string());
            let tmp = path.with_file_name(format!(".{name}.partial.png"));
            {
                let root = BitMapBackend::new(&tmp, size).into_drawing_area();
                draw(&root, &data, &fits, x_key).map_err(|e| draw_err(&e))?;
                root.present().map_err(|e| draw_err(&e))?;
            }
            std::fs::rename(&tmp, path)
                .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
        }
        _ => bail!("plot file {} must end in .svg or .png", path.display()),
    }
    Ok(fits)
}

/// Axis labels in short scientific notation: 1e-3, 2.5e-4.
fn sci(v: &f64) -> String {
    let text = format!("{v:.1e}");
    text.replace(".0e", "e")
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &BTreeMap<String, Vec<Point>>,
    fits: &[PowerLaw],
    x_key: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (upper, lower) = root.split_vertically(680);
    let all = data.values().flatten();
    let (xmin, xmax) = all
        .clone()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.x), b.max(p.x)));
    let positive = all
        .clone()
        .flat_map(|p| [p.low, p.rate, p.high])
        .filter(|v| *v > 0.0);
    let (ymin, ymax) = positive.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let (ymin, ymax) = if ymin > ymax {
        (1e-6, 1.0)
    } else {
        (ymin / 2.0, (ymax * 2.0).min(1.0))
    };
    let (xlo, xhi) = (xmin / 1.3, xmax * 1.3);
    let mut chart = ChartBuilder::on(&upper)
        .caption(
            "Logical error rate per kept shot (bands: likelihood ratio 1000, as sinter)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(95)
        .build_cartesian_2d((xlo..xhi).log_scale(), (ymin..ymax).log_scale())?;
    chart
        .configure_mesh()
        .x_desc(x_key)
        .y_desc("errors / kept shots")
        .x_labels(8)
        .y_labels(10)
        .x_label_formatter(&sci)
        .y_label_formatter(&sci)
        .label_style(("sans-serif", 15))
        .draw()?;
    for (i, (label, points)) in data.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        // The interval band: low edge forwards, high edge backwards (zero low edges clamped).
        let mut band: Vec<(f64, f64)> = points.iter().map(|p| (p.x, p.low.max(ymin))).collect();
        band.extend(points.iter().rev().map(|p| (p.x, p.high.max(ymin))));
        chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.15))))?;
        let line: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.rate > 0.0)
            .map(|p| (p.x, p.rate))
            .collect();
        let fit = fits.iter().find(|f| &f.group == label);
        let legend = match fit {
            Some(f) => format!("{label}: {} {x_key}^{:.2}", sci(&f.a), f.k),
            None => label.clone(),
        };
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
            .label(legend)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(line.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
        if let Some(f) = fit {
            let steps = 40;
            let fit_line = (0..=steps).map(|s| {
                let x = xlo * (xhi / xlo).powf(s as f64 / steps as f64);
                (x, (f.a * x.powf(f.k)).clamp(ymin, ymax))
            });
            chart.draw_series(DashedLineSeries::new(fit_line, 6, 4, color.stroke_width(1)))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    let mut discards = ChartBuilder::on(&lower)
        .caption("Discard rate (postselection)", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(95)
        .build_cartesian_2d((xlo..xhi).log_scale(), 0.0..1.0)?;
    discards
        .configure_mesh()
        .x_desc(x_key)
        .y_desc("discarded / shots")
        .x_labels(8)
        .x_label_formatter(&sci)
        .label_style(("sans-serif", 15))
        .draw()?;
    for (i, points) in data.values().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        discards.draw_series(LineSeries::new(
            points.iter().map(|p| (p.x, p.discard)),
            color.stroke_width(2),
        ))?;
        discards.draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.x, p.discard), 3, color.filled())),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_law_recovers_exponent() {
        let points: Vec<Point> = [1e-4f64, 2e-4, 5e-4, 1e-3]
            .iter()
            .map(|&x| Point {
                x,
                rate: 30.0 * x * x,
                low: 0.0,
                high: 1.0,
                discard: 0.0,
            })
            .collect();
        let f = power_law("d=3", &points).unwrap();
        assert!(
            (f.k - 2.0).abs() < 1e-9 && (f.a - 30.0).abs() < 1e-6,
            "{f:?}"
        );
    }
}
