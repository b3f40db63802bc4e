//! Charts drawn as SVG on the server: readable without JavaScript, each point carrying its
//! figure in a `<title>` (the browser's own tooltip) and in `data-tip` for the [`ChartTips`]
//! island. Pages put a table of the same figures beside each chart for screen readers.

use leptos::prelude::*;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
    pub values: Vec<f64>,
    /// Tooltip text of each point.
    pub tips: Vec<String>,
    /// The period before is drawn dashed and muted.
    pub muted: bool,
}

/// Round gridline values from 0 to at least `max`: 1, 2 or 5 times a power of ten apart,
/// at most five steps.
pub fn ticks(max: f64) -> Vec<f64> {
    if max <= 0.0 || !max.is_finite() {
        return vec![0.0, 1.0];
    }
    let rough = max / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= rough).unwrap_or(10.0 * power);
    let count = (max / step).ceil() as usize;
    (0..=count).map(|n| n as f64 * step).collect()
}

/// Which of `count` x labels to print so that about `wanted` show, always the first.
fn label_every(count: usize, wanted: usize) -> usize {
    count.div_ceil(wanted.max(1)).max(1)
}

/// A line chart of one or more series over the same x labels. `label` names the chart for
/// assistive technology; `format` writes a y value.
#[component]
pub fn LineChart(#[prop(into)] id: String, #[prop(into)] label: String, x_labels: Vec<String>, lines: Vec<Line>, format: fn(f64) -> String) -> impl IntoView {
    let max = lines.iter().flat_map(|l| l.values.iter().copied()).fold(0.0, f64::max);
    let grid = ticks(max);
    let top = *grid.last().unwrap_or(&1.0);
    let n = x_labels.len().max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = move |i: usize| if n == 1 { LEFT + plot_w / 2.0 } else { LEFT + plot_w * i as f64 / (n - 1) as f64 };
    let y = move |v: f64| TOP + plot_h * (1.0 - v / top);
    let every = label_every(n, 6);
    let chart = id.clone();
    view! {
        <div class="relative" data-chart=id>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="h-auto w-full" role="img" aria-label=label>
                {grid.iter().map(|t| view! {
                    <line x1=LEFT x2=WIDTH - RIGHT y1=y(*t) y2=y(*t) class="stroke-stone-200" stroke-width="1"/>
                    <text x=LEFT - 8.0 y=y(*t) + 4.0 text-anchor="end" class="fill-stone-500 text-[11px]">{format(*t)}</text>
                }).collect_view()}
                {x_labels.iter().enumerate().filter(|(i, _)| i % every == 0).map(|(i, l)| view! {
                    <text x=x(i) y=HEIGHT - 8.0 text-anchor="middle" class="fill-stone-500 text-[11px]">{l.clone()}</text>
                }).collect_view()}
                {lines.into_iter().map(|line| {
                    let points = line.values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect::<Vec<_>>().join(" ");
                    let (stroke, dash) = if line.muted { ("stroke-stone-400", "5 4") } else { ("stroke-emerald-700", "") };
                    let fill = if line.muted { "fill-stone-400" } else { "fill-emerald-700" };
                    view! {
                        <g>
                            <polyline points=points fill="none" class=stroke stroke-width="2" stroke-dasharray=dash/>
                            {line.values.iter().zip(line.tips).enumerate().map(|(i, (v, tip))| {
                                let title = tip.clone();
                                view! { <circle cx=x(i) cy=y(*v) r="4" class=fill data-tip=tip><title>{title}</title></circle> }
                            }).collect_view()}
                        </g>
                    }
                }).collect_view()}
            </svg>
            <ChartTips chart/>
        </div>
    }
}

/// A horizontal bar chart: one bar per row, longest first as given.
#[component]
pub fn BarChart(#[prop(into)] id: String, #[prop(into)] label: String, rows: Vec<(String, f64)>, format: fn(f64) -> String) -> impl IntoView {
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let bar = 22.0;
    let gap = 8.0;
    let height = (rows.len() as f64 * (bar + gap)).max(bar);
    let name_w = 200.0;
    let plot_w = WIDTH - name_w - 90.0;
    let chart = id.clone();
    view! {
        <div class="relative" data-chart=id>
            <svg viewBox=format!("0 0 {WIDTH} {height}") class="h-auto w-full" role="img" aria-label=label>
                {rows.into_iter().enumerate().map(|(i, (name, value))| {
                    let top = i as f64 * (bar + gap);
                    let w = if max > 0.0 { (plot_w * value / max).max(1.0) } else { 1.0 };
                    let tip = format!("{name}: {}", format(value));
                    let title = tip.clone();
                    let short: String = if name.chars().count() > 28 { name.chars().take(27).chain(['…']).collect() } else { name.clone() };
                    view! {
                        <g>
                            <text x=name_w - 8.0 y=top + bar * 0.7 text-anchor="end" class="fill-stone-700 text-[12px]">{short}</text>
                            <rect x=name_w y=top width=w height=bar rx="3" class="fill-emerald-700" data-tip=tip><title>{title}</title></rect>
                            <text x=name_w + w + 6.0 y=top + bar * 0.7 class="fill-stone-600 text-[12px]">{format(value)}</text>
                        </g>
                    }
                }).collect_view()}
            </svg>
            <ChartTips chart/>
        </div>
    }
}

/// With JavaScript, the figure of the point or bar under the pointer shows in a box beside it.
#[island]
fn ChartTips(chart: String) -> impl IntoView {
    let (tip, set_tip) = signal(None::<(String, f64, f64)>);
    #[cfg(feature = "hydrate")]
    Effect::new(move || tips::attach(&chart, set_tip));
    #[cfg(not(feature = "hydrate"))]
    let _ = (chart, set_tip);
    view! {
        {move || tip.get().map(|(text, left, top)| view! {
            <div class="pointer-events-none absolute z-10 -translate-x-1/2 -translate-y-full rounded bg-stone-900 px-2 py-1 text-xs whitespace-nowrap text-white shadow"
                style:left=format!("{left:.0}px") style:top=format!("{:.0}px", top - 8.0) aria-hidden="true">{text}</div>
        })}
    }
}

#[cfg(feature = "hydrate")]
mod tips {
    use leptos::{prelude::*, wasm_bindgen::{closure::Closure, JsCast}};
    use web_sys::{Element, MouseEvent};

    pub fn attach(chart: &str, set_tip: WriteSignal<Option<(String, f64, f64)>>) {
        let Ok(Some(frame)) = document().query_selector(&format!("[data-chart=\"{chart}\"]")) else { return };
        let container = frame.clone();
        let over = Closure::<dyn FnMut(MouseEvent)>::new(move |event: MouseEvent| {
            let Some(mark) = event.target().and_then(|t| t.dyn_into::<Element>().ok()).filter(|e| e.has_attribute("data-tip")) else {
                set_tip.set(None);
                return;
            };
            let (at, box_) = (mark.get_bounding_client_rect(), container.get_bounding_client_rect());
            let text = mark.get_attribute("data-tip").unwrap_or_default();
            set_tip.set(Some((text, at.left() + at.width() / 2.0 - box_.left(), at.top() - box_.top())));
        });
        let _ = frame.add_event_listener_with_callback("mouseover", over.as_ref().unchecked_ref());
        over.forget();
        let out = Closure::<dyn FnMut()>::new(move || set_tip.set(None));
        let _ = frame.add_event_listener_with_callback("mouseleave", out.as_ref().unchecked_ref());
        out.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::{label_every, ticks};

    #[test]
    fn gridlines_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(0.0), vec![0.0, 1.0]);
        assert_eq!(ticks(100.0), vec![0.0, 50.0, 100.0]);
        let t = ticks(1234.0);
        assert_eq!(t.first(), Some(&0.0));
        assert!(*t.last().unwrap() >= 1234.0 && t.len() <= 6, "{t:?}");
        assert_eq!(ticks(8.0), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(ticks(9.0), vec![0.0, 5.0, 10.0]);
    }

    #[test]
    fn about_six_x_labels_show() {
        assert_eq!(label_every(30, 6), 5);
        assert_eq!(label_every(3, 6), 1);
        assert_eq!(label_every(53, 6), 9);
    }
}
