//! Plots of sweep statistics: logical error rate per kept shot against a metadata key (p),
//! log-log, one curve per group (distance), shaded with sinter's likelihood-ratio interval
//! (factor 1000), a dashed power-law fit A x^k per curve, and a discard-rate panel below.
//! Text is drawn with the DejaVu Sans font embedded in the binary, so no system fonts are needed.

use super::fit::fit_binomial;
use super::stats::TaskStats;
use anyhow::{anyhow, bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::{Map, Value};
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

/// Metadata keys that describe a stratum or the sampling plan, not the curve a row belongs to.
const NOT_CURVE_KEYS: [&str; 3] = ["k", "p_values", "fault_classes"];

/// One curve before labelling: its identity (metadata without the x key, decoder, whether it
/// was rebuilt from strata) and its points.
struct RawCurve {
    meta: Map<String, Value>,
    decoder: String,
    subset: bool,
    points: Vec<Point>,
}

fn identity(meta: &Value, x_key: &str) -> Map<String, Value> {
    let mut m = meta.as_object().cloned().unwrap_or_default();
    m.remove(x_key);
    for k in NOT_CURVE_KEYS {
        m.remove(k);
    }
    m
}

fn add_point(
    raw: &mut Vec<RawCurve>,
    meta: Map<String, Value>,
    decoder: &str,
    subset: bool,
    point: Point,
) {
    match raw
        .iter_mut()
        .find(|c| c.meta == meta && c.decoder == decoder && c.subset == subset)
    {
        Some(c) => c.points.push(point),
        None => raw.push(RawCurve {
            meta,
            decoder: decoder.to_string(),
            subset,
            points: vec![point],
        }),
    }
}

/// `key=value` as a legend shows it (`d=3`, `ch_model=twirl`, `d=?` when absent).
fn key_value(meta: &Map<String, Value>, key: &str) -> String {
    match meta.get(key) {
        Some(Value::String(s)) => format!("{key}={s}"),
        Some(v) => format!("{key}={v}"),
        None => format!("{key}=?"),
    }
}

/// Curves keyed by label, points sorted by x. Rows belong to the same curve only when all their
/// metadata but x (and stratum bookkeeping) agree, so distinct models never merge into one
/// zig-zag line; the label names the group keys, then every other key that varies between
/// curves, then the decoder.
fn curves(
    rows: &[TaskStats],
    x_key: &str,
    group_keys: &[String],
) -> Result<BTreeMap<String, Vec<Point>>> {
    for key in group_keys {
        if !rows.iter().any(|r| r.json_metadata.get(key).is_some()) {
            let mut known: Vec<&String> = rows
                .iter()
                .filter_map(|r| r.json_metadata.as_object())
                .flat_map(|m| m.keys())
                .filter(|k| !NOT_CURVE_KEYS.contains(&k.as_str()))
                .collect();
            known.sort();
            known.dedup();
            let known: Vec<&str> = known.iter().map(|k| k.as_str()).collect();
            bail!(
                "--group: no statistics row has '{key}' in its json_metadata (keys: {})",
                known.join(", ")
            );
        }
    }
    let mut raw: Vec<RawCurve> = Vec::new();
    for r in rows {
        let Some(x) = r.json_metadata.get(x_key).and_then(Value::as_f64) else {
            continue;
        };
        let fit = fit_binomial(r.errors, r.kept(), 1000.0);
        let point = Point {
            x,
            rate: fit.best,
            low: fit.low,
            high: fit.high,
            discard: r.discards as f64 / r.shots.max(1) as f64,
        };
        add_point(
            &mut raw,
            identity(&r.json_metadata, x_key),
            &r.decoder,
            false,
            point,
        );
    }
    // Curves rebuilt from stratified (subset) rows, at their p values.
    if x_key == "p" {
        for c in super::subset::subset_curves(rows).map_err(|e| anyhow!(e))? {
            for pt in &c.points {
                let point = Point {
                    x: pt.p,
                    rate: pt.logical.value,
                    low: pt.logical.low,
                    high: pt.logical.high,
                    discard: 1.0 - pt.acceptance.value,
                };
                add_point(
                    &mut raw,
                    identity(&c.metadata, x_key),
                    &c.decoder,
                    true,
                    point,
                );
            }
        }
    }
    if raw.is_empty() {
        bail!("no statistics row has a numeric '{x_key}' in its json_metadata to plot against");
    }
    // Keys (other than the group keys) whose values differ between curves.
    let mut varying: Vec<String> = raw
        .iter()
        .flat_map(|c| c.meta.keys().cloned())
        .filter(|k| !group_keys.contains(k))
        .filter(|k| raw.iter().any(|c| c.meta.get(k) != raw[0].meta.get(k)))
        .collect();
    varying.sort();
    varying.dedup();
    let mut out: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    for c in raw {
        let parts: Vec<String> = group_keys
            .iter()
            .chain(&varying)
            .map(|k| key_value(&c.meta, k))
            .collect();
        let how = if c.subset {
            format!("{}, subset", c.decoder)
        } else {
            c.decoder.clone()
        };
        out.entry(format!("{} ({how})", parts.join(" ")))
            .or_default()
            .extend(c.points);
    }
    for points in out.values_mut() {
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    Ok(out)
}

/// What makes a decoder discard a shot, for the discard panel's title.
fn discard_cause(decoder: &str) -> String {
    let (inner, flags) = match decoder.strip_suffix("+flag-postselection") {
        Some(inner) => (inner, "a flag fired, or "),
        None => (decoder, ""),
    };
    let cause = match inner {
        "postselect" => "any detector fired".to_string(),
        "lookup" => "syndrome outside the lookup table".to_string(),
        "hadamard-prep" => "a detector of the |H> protocol fired".to_string(),
        other => format!("{other} gave up"),
    };
    format!("{flags}{cause}")
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
    group_keys: &[String],
    path: &std::path::Path,
) -> Result<Vec<PowerLaw>> {
    register_font();
    let data = curves(rows, x_key, group_keys)?;
    let mut causes: Vec<String> = rows.iter().map(|r| discard_cause(&r.decoder)).collect();
    causes.sort();
    causes.dedup();
    let discard_title = format!("Discarded shots ({})", causes.join("; "));
    let fits: Vec<PowerLaw> = data
        .iter()
        .filter_map(|(g, pts)| power_law(g, pts))
        .collect();
    let size = (900, 1000);
    let draw_err = |e: &dyn std::fmt::Debug| anyhow!("cannot draw {}: {e:?}", path.display());
    // Drawn beside the target and renamed, so no half-written file is ever visible; the
    // temporary file is removed on an error, a panic or an interrupt.
    let name = path
        .file_name()
        .map_or("plot".into(), |n| n.to_string_lossy().to_string());
    let extension = path.extension().and_then(|e| e.to_str());
    let tmp = path.with_file_name(format!(".{name}.partial.{}", extension.unwrap_or("")));
    let partial = crate::interrupt::Partial::new(&tmp);
    match extension {
        Some("svg") => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw(&root, &data, &fits, x_key, &discard_title).map_err(|e| draw_err(&e))?;
                root.present().map_err(|e| draw_err(&e))?;
            }
            std::fs::write(&tmp, svg)
                .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
        }
        Some("png") => {
            let root = BitMapBackend::new(&tmp, size).into_drawing_area();
            draw(&root, &data, &fits, x_key, &discard_title).map_err(|e| draw_err(&e))?;
            root.present().map_err(|e| draw_err(&e))?;
        }
        _ => bail!("plot file {} must end in .svg or .png", path.display()),
    }
    std::fs::rename(&tmp, path).map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    partial.done();
    Ok(fits)
}

/// Curve colours: matplotlib's tab10, distinct on white (Palette99 has pale yellows).
fn curve_color(i: usize) -> RGBAColor {
    const TAB10: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = TAB10[i % TAB10.len()];
    RGBColor(r, g, b).to_rgba()
}

/// Axis labels in short scientific notation: 1e-3, 2.5e-4.
fn sci(v: &f64) -> String {
    let text = format!("{v:.1e}");
    text.replace(".0e", "e")
}

/// A number with `digits` significant digits, plainly between 0.01 and 10000 (7.7, 0.012, 130)
/// and in short scientific notation outside (1.4e6, 2.5e-4): the fits' prefactors.
pub fn significant(v: f64, digits: usize) -> String {
    let a = v.abs();
    if a == 0.0 || !a.is_finite() {
        return format!("{v}");
    }
    if (0.01..10_000.0).contains(&a) {
        let decimals = (digits as i32 - 1 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        let text = format!("{v:.*e}", digits.saturating_sub(1));
        text.replace(".0e", "e")
    }
}

/// Tick positions of a log axis over [lo, hi]: (labelled, light). Decades when the range holds
/// three or more; otherwise 1, 2, 5 x 10^k, or every m x 10^k, so that a range within a decade
/// still gets at least two labels.
fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let at = |mantissas: &[f64]| -> Vec<f64> {
        (k0..=k1)
            .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
            .map(|v| format!("{v:.6e}").parse::<f64>().unwrap_or(v))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let all = at(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    let bold = [vec![1.0], vec![1.0, 2.0, 5.0]]
        .iter()
        .map(|m| at(m))
        .find(|b| b.len() >= 3)
        .unwrap_or_else(|| all.clone());
    let light = all.into_iter().filter(|v| !bold.contains(v)).collect();
    (bold, light)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &BTreeMap<String, Vec<Point>>,
    fits: &[PowerLaw],
    x_key: &str,
    discard_title: &str,
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
    let x_axis = || {
        let (bold, light) = log_ticks(xlo, xhi);
        (xlo..xhi)
            .log_scale()
            .with_key_points(bold)
            .with_light_points(light)
    };
    let (y_bold, y_light) = log_ticks(ymin, ymax);
    let mut chart = ChartBuilder::on(&upper)
        .caption(
            "Logical error rate per kept shot (bands: likelihood ratio 1000, as sinter)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(95)
        .build_cartesian_2d(
            x_axis(),
            (ymin..ymax)
                .log_scale()
                .with_key_points(y_bold)
                .with_light_points(y_light),
        )?;
    chart
        .configure_mesh()
        .x_desc(x_key)
        .y_desc("errors / kept shots")
        .x_label_formatter(&sci)
        .y_label_formatter(&sci)
        .label_style(("sans-serif", 15))
        .draw()?;
    for (i, (label, points)) in data.iter().enumerate() {
        let color = curve_color(i);
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
            Some(f) => format!("{label}: {} {x_key}^{:.2}", significant(f.a, 2), f.k),
            None if line.is_empty() => format!("{label}: no errors (band: upper bound)"),
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
        .caption(discard_title, ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(95)
        .build_cartesian_2d(x_axis(), 0.0..1.0)?;
    discards
        .configure_mesh()
        .x_desc(x_key)
        .y_desc("discarded / shots")
        .x_label_formatter(&sci)
        .label_style(("sans-serif", 15))
        .draw()?;
    for (i, points) in data.values().enumerate() {
        let color = curve_color(i);
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
    fn ticks_and_prefactors_read_well() {
        // Within a decade: 2e-4 .. 1e-3 at 1, 2, 5 would give two labels; every m x 10^k is used.
        let (bold, _) = log_ticks(1.5e-4, 9e-4);
        assert_eq!(bold, vec![2e-4, 3e-4, 4e-4, 5e-4, 6e-4, 7e-4, 8e-4, 9e-4]);
        let (bold, light) = log_ticks(7.7e-5, 1.3e-3);
        assert_eq!(bold, vec![1e-4, 2e-4, 5e-4, 1e-3]);
        assert!(light.contains(&3e-4));
        assert_eq!(log_ticks(1e-9, 1e-2).0.len(), 8);
        assert_eq!(significant(7.7123, 2), "7.7");
        assert_eq!(significant(72.0, 2), "72");
        assert_eq!(significant(0.0123, 2), "0.012");
        assert_eq!(significant(1.4e6, 2), "1.4e6");
        assert_eq!(significant(2.5e-4, 3), "2.50e-4");
        assert_eq!(
            discard_cause("lookup+flag-postselection"),
            "a flag fired, or syndrome outside the lookup table"
        );
    }

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
