//! Line charts for the experiments (plotters): a grid of panels, each with
//! a few labelled series, written as PNG and SVG.
//!
//! Text needs a TrueType font: the one named by the environment variable
//! `LPGD_FONT`, else the first of a few common system fonts (DejaVu Sans,
//! Liberation Sans, …). Without one, the charts are drawn without text
//! (axes, titles and legends are left out) and [`draw`] says so; the CSV
//! files next to them hold the numbers.

use super::ExperimentError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

/// One curve.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend entry.
    pub label: String,
    /// Line colour.
    pub color: RGBColor,
    /// `(x, y)` points; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
}

/// One chart of a grid.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    /// Caption.
    pub title: String,
    /// Horizontal axis description.
    pub x_label: String,
    /// Vertical axis description.
    pub y_label: String,
    /// The curves.
    pub series: Vec<Series>,
}

/// Colours for series, in order.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(0, 0, 0),
];

const FONT: &str = "sans-serif";

/// Registers a TrueType font with plotters once; false if none was found.
fn font_available() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let candidates = std::env::var("LPGD_FONT").into_iter().chain(
            [
                "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                "/usr/share/fonts/TTF/DejaVuSans.ttf",
                "/usr/share/fonts/dejavu/DejaVuSans.ttf",
                "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
                "/usr/share/fonts/liberation/LiberationSans-Regular.ttf",
                "/Library/Fonts/Arial.ttf",
                "/System/Library/Fonts/Supplemental/Arial.ttf",
                "C:\\Windows\\Fonts\\arial.ttf",
            ]
            .map(String::from),
        );
        for path in candidates {
            if let Ok(bytes) = std::fs::read(&path) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

/// Draws `panels` on a `rows × cols` grid into `png` and `svg`
/// (`width × height` pixels). Returns false if no font was available and
/// the charts carry no text.
pub fn draw(
    panels: &[Panel],
    (rows, cols): (usize, usize),
    (width, height): (u32, u32),
    png: &Path,
    svg: &Path,
) -> Result<bool, ExperimentError> {
    let text = font_available();
    let plot_err = |path: &Path, e: String| ExperimentError::Plot {
        path: path.to_path_buf(),
        reason: e,
    };
    {
        let root = BitMapBackend::new(png, (width, height)).into_drawing_area();
        render(&root, panels, (rows, cols), text).map_err(|e| plot_err(png, e))?;
        root.present().map_err(|e| plot_err(png, e.to_string()))?;
    }
    {
        let root = SVGBackend::new(svg, (width, height)).into_drawing_area();
        render(&root, panels, (rows, cols), text).map_err(|e| plot_err(svg, e))?;
        root.present().map_err(|e| plot_err(svg, e.to_string()))?;
    }
    Ok(text)
}

/// The range of the finite values of `v`, padded by 5% (a unit interval
/// around a constant).
fn padded_range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = v
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    (lo - pad, hi + pad)
}

fn render<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panels: &[Panel],
    grid: (usize, usize),
    text: bool,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    for (area, panel) in root.split_evenly(grid).iter().zip(panels) {
        let points = || panel.series.iter().flat_map(|s| s.points.iter());
        let (x0, x1) = padded_range(points().map(|p| p.0));
        let (y0, y1) = padded_range(points().map(|p| p.1));
        let mut builder = ChartBuilder::on(area);
        builder.margin(12);
        if text {
            builder
                .caption(&panel.title, (FONT, 18))
                .x_label_area_size(36)
                .y_label_area_size(56);
        }
        let mut chart = builder
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| e.to_string())?;
        if text {
            chart
                .configure_mesh()
                .x_desc(panel.x_label.as_str())
                .y_desc(panel.y_label.as_str())
                .label_style((FONT, 13))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(|e| e.to_string())?;
        } else {
            area.draw(&Rectangle::new(
                [
                    (0, 0),
                    (
                        area.dim_in_pixel().0 as i32 - 1,
                        area.dim_in_pixel().1 as i32 - 1,
                    ),
                ],
                BLACK.stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
        }
        for s in &panel.series {
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .collect();
            let color = s.color;
            let drawn = chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            if text {
                drawn.label(s.label.as_str()).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2))
                });
            }
        }
        if text && !panel.series.is_empty() {
            chart
                .configure_series_labels()
                .label_font((FONT, 12))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
