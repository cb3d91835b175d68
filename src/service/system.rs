//! The admin System page (issue 14): every instance's minute history drawn as small
//! server-rendered SVG line charts over the last hour and the last 24 hours, a table of
//! instances, the alert thresholds and the alerts that hold now. The charts' words
//! (titles, units, the times under them) are written in the page's language.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::metrics::{ProviderSampleRow, SampleRow, MINUTE};
use crate::db::{self, DbConnection};
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::service::alerts::{self, Alert, Thresholds};

/// The drawing area of every chart (SVG user units).
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 150.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 596.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 128.0;
/// Series colours (CSS classes `s0`…`s5`), reused past six.
const COLOURS: usize = 6;

pub struct SystemView {
    pub instances: Vec<Instance>,
    pub hour: Vec<Chart>,
    pub day: Vec<Chart>,
    pub thresholds: Thresholds,
    pub alerts: Vec<Alert>,
}

/// One instance as its last hour shows it.
pub struct Instance {
    pub name: String,
    /// Minutes since its last row.
    pub last_seen_minutes: i64,
    pub requests: i64,
    pub errors: i64,
    pub p95_ms: i64,
    /// CPU used over the hour, as a percent of one core.
    pub cpu_percent: String,
    pub rss_mib: i64,
}

pub struct Chart {
    pub title: String,
    /// The top of the y axis, with its unit.
    pub max_label: String,
    pub from_label: String,
    pub to_label: String,
    pub series: Vec<Series>,
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

pub struct Series {
    pub name: String,
    /// `s0`…`s5`.
    pub class: String,
    /// Polyline point lists (`x,y x,y …`); a gap in the data starts a new one.
    pub lines: Vec<String>,
    /// The latest value, for the legend.
    pub last: String,
}

impl Chart {
    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.lines.is_empty())
    }
}

/// A range drawn: `points` steps of `step` seconds ending at `end`.
#[derive(Clone, Copy)]
struct Range {
    start: i64,
    step: i64,
    points: usize,
}

impl Range {
    /// The range whose last point holds `end` (a minute being written still shows).
    fn ending(end: i64, span: i64, step: i64) -> Self {
        let end = end - end.rem_euclid(step) + step;
        Self {
            start: end - span,
            step,
            points: (span / step) as usize,
        }
    }

    fn index(&self, at: i64) -> Option<usize> {
        let i = (at - self.start).div_euclid(self.step);
        (0..self.points as i64).contains(&i).then_some(i as usize)
    }

    fn label(&self, at: i64, lang: Lang) -> String {
        chrono::DateTime::from_timestamp(at, 0)
            .map(|t| lang.figure(&t.format("%H:%M").to_string()))
            .unwrap_or_default()
    }
}

/// Values per series per point, turned into polylines on a shared y scale; `title` is a
/// catalogue key, `unit` the unit as shown.
fn chart(lang: Lang, title: &str, unit: &str, range: Range, values: BTreeMap<String, Vec<Option<f64>>>) -> Chart {
    let max = values.values().flatten().flatten().copied().fold(0.0_f64, f64::max);
    let top = nice_ceiling(max);
    let x = |i: usize| LEFT + (RIGHT - LEFT) * (i as f64 + 0.5) / range.points as f64;
    let y = |v: f64| BOTTOM - (BOTTOM - TOP) * (v / top).min(1.0);
    let series = values
        .into_iter()
        .enumerate()
        .map(|(n, (name, points))| {
            let mut lines = Vec::new();
            let mut current: Vec<String> = Vec::new();
            for (i, value) in points.iter().enumerate() {
                match value {
                    Some(v) => current.push(format!("{:.1},{:.1}", x(i), y(*v))),
                    None if !current.is_empty() => lines.push(std::mem::take(&mut current).join(" ")),
                    None => {}
                }
            }
            if !current.is_empty() {
                // A lone point is drawn as a short dash so it shows.
                if current.len() == 1 {
                    current.push(current[0].clone());
                }
                lines.push(current.join(" "));
            }
            let last = points
                .iter()
                .rev()
                .flatten()
                .next()
                .map_or_else(|| "–".into(), |v| format!("{} {unit}", lang.figure(&short(*v))));
            Series {
                name,
                class: format!("s{}", n % COLOURS),
                lines,
                last,
            }
        })
        .collect();
    Chart {
        title: lang.t(title),
        max_label: format!("{} {unit}", lang.figure(&short(top))),
        from_label: range.label(range.start, lang),
        to_label: range.label(range.start + range.step * range.points as i64, lang),
        series,
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: RIGHT,
        top: TOP,
        bottom: BOTTOM,
    }
}

/// The next round number at or above `v` (1, 2, 5 × 10ⁿ), at least 1.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * magnitude)
}

fn short(v: f64) -> String {
    if v >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Groups `rows` by series name and point, then reduces each group with `value`.
fn by_point<'a, R: 'a>(
    range: Range,
    rows: impl IntoIterator<Item = &'a R>,
    at: impl Fn(&R) -> i64,
    series: impl Fn(&R) -> String,
    value: impl Fn(&[&R]) -> Option<f64>,
) -> BTreeMap<String, Vec<Option<f64>>> {
    let mut groups: BTreeMap<String, Vec<Vec<&R>>> = BTreeMap::new();
    for row in rows {
        if let Some(i) = range.index(at(row)) {
            groups
                .entry(series(row))
                .or_insert_with(|| vec![Vec::new(); range.points])[i]
                .push(row);
        }
    }
    groups
        .into_iter()
        .map(|(name, points)| {
            let values = points
                .iter()
                .map(|group| if group.is_empty() { None } else { value(group) })
                .collect();
            (name, values)
        })
        .collect()
}

fn sum(rows: &[&SampleRow], f: impl Fn(&SampleRow) -> i64) -> i64 {
    rows.iter().map(|r| f(r)).sum()
}

fn max(rows: &[&SampleRow], f: impl Fn(&SampleRow) -> i64) -> i64 {
    rows.iter().map(|r| f(r)).max().unwrap_or(0)
}

/// Instance names as charts show them: the part after the host when every instance
/// shares one host, else the whole name.
fn short_names(rows: &[SampleRow]) -> BTreeMap<String, String> {
    let names: BTreeSet<&str> = rows.iter().map(|r| r.instance.as_str()).collect();
    let hosts: BTreeSet<&str> = names.iter().map(|n| n.split('/').next().unwrap_or(n)).collect();
    names
        .into_iter()
        .map(|n| {
            let shown = if hosts.len() == 1 {
                n.rsplit('/').next().unwrap_or(n)
            } else {
                n
            };
            (n.to_string(), shown.to_string())
        })
        .collect()
}

fn charts(
    lang: Lang,
    range: Range,
    rows: &[SampleRow],
    providers: &[ProviderSampleRow],
    names: &BTreeMap<String, String>,
) -> Vec<Chart> {
    let minutes_per_point = (range.step / 60) as f64;
    let instance = |r: &SampleRow| names.get(&r.instance).cloned().unwrap_or_else(|| r.instance.clone());
    let at = |r: &SampleRow| r.at;
    // `view` puts the provider's name in `instance`.
    let provider_names = |r: &ProviderSampleRow| r.instance.clone();
    let per_minute = lang.t("ops-unit-per-min");
    let mut charts = vec![
        chart(
            lang,
            "ops-chart-requests",
            &per_minute,
            range,
            by_point(range, rows, at, instance, |g| {
                Some(sum(g, |r| r.requests) as f64 / minutes_per_point)
            }),
        ),
        chart(lang, "ops-chart-response", "ms", range, {
            let mut lines = BTreeMap::new();
            for (name, pick) in [("p50", 0), ("p95", 1), ("p99", 2)] {
                let values = by_point(
                    range,
                    rows,
                    at,
                    |_| name.to_string(),
                    |g| {
                        let requests = sum(g, |r| r.requests);
                        (requests > 0).then(|| match pick {
                            0 => (sum(g, |r| r.p50_ms * r.requests) / requests) as f64,
                            1 => max(g, |r| r.p95_ms) as f64,
                            _ => max(g, |r| r.p99_ms) as f64,
                        })
                    },
                );
                lines.extend(values);
            }
            lines
        }),
        chart(
            lang,
            "ops-chart-server-errors",
            "%",
            range,
            by_point(range, rows, at, instance, |g| {
                let requests = sum(g, |r| r.requests);
                Some(if requests > 0 {
                    sum(g, |r| r.errors) as f64 * 100.0 / requests as f64
                } else {
                    0.0
                })
            }),
        ),
        chart(
            lang,
            "ops-chart-cpu",
            "%",
            range,
            by_point(range, rows, at, instance, |g| {
                Some(sum(g, |r| r.cpu_ms) as f64 / (range.step as f64 * 10.0))
            }),
        ),
        chart(
            lang,
            "ops-chart-memory",
            &lang.t("ops-mib"),
            range,
            by_point(range, rows, at, instance, |g| {
                Some(max(g, |r| r.rss_bytes) as f64 / 1_048_576.0)
            }),
        ),
        chart(
            lang,
            "ops-forwarding-queue",
            &lang.t("ops-unit-orders"),
            range,
            by_point(range, rows, at, instance, |g| Some(max(g, |r| r.queue_depth) as f64)),
        ),
        chart(
            lang,
            "ops-chart-sync",
            &lang.t("ops-unit-s"),
            range,
            by_point(range, rows, at, instance, |g| {
                (sum(g, |r| r.sync_rounds) > 0).then(|| max(g, |r| r.sync_ms) as f64 / 1000.0)
            }),
        ),
    ];
    // Per provider, a value per call: the average latency, and the percent that failed.
    let per_call = |title: &str, unit: &str, numerator: fn(&ProviderSampleRow) -> f64| {
        chart(
            lang,
            title,
            unit,
            range,
            by_point(
                range,
                providers,
                |r| r.at,
                provider_names,
                |g| {
                    let calls: i64 = g.iter().map(|r| r.calls).sum();
                    (calls > 0).then(|| g.iter().map(|r| numerator(r)).sum::<f64>() / calls as f64)
                },
            ),
        )
    };
    charts.push(per_call("ops-chart-provider-latency", "ms", |r| {
        r.latency_ms_sum as f64
    }));
    charts.push(per_call("ops-chart-provider-errors", "%", |r| r.errors as f64 * 100.0));
    charts
}

/// Everything the page shows, as of `now` (Unix seconds), the charts written in `lang`.
pub fn view(conn: &mut DbConnection, now: i64, lang: Lang) -> AppResult<SystemView> {
    let day_rows = db::metrics::samples_since(conn, MINUTE, now - 86_400 - 600)?;
    let mut provider_rows = db::metrics::provider_samples_since(conn, MINUTE, now - 86_400 - 600)?;
    let providers: BTreeMap<i64, String> = db::providers::list(conn)?.into_iter().map(|p| (p.id, p.name)).collect();
    // Provider series are named by the provider's current name (carried in `instance`;
    // summed over instances).
    for row in provider_rows.iter_mut() {
        row.instance = providers
            .get(&row.provider_id)
            .cloned()
            .unwrap_or_else(|| lang.t_args("ops-chart-provider-n", &[("id", row.provider_id.to_string())]));
    }
    let names = short_names(&day_rows);
    let hour = Range::ending(now, 3600, 60);
    let day = Range::ending(now, 86_400, 600);
    let hour_rows: Vec<SampleRow> = day_rows.iter().filter(|r| r.at >= hour.start).cloned().collect();

    let mut instances: BTreeMap<&str, Vec<&SampleRow>> = BTreeMap::new();
    for row in &hour_rows {
        instances.entry(row.instance.as_str()).or_default().push(row);
    }
    let instances = instances
        .into_iter()
        .map(|(name, rows)| {
            let requests = sum(&rows, |r| r.requests);
            Instance {
                name: name.to_string(),
                last_seen_minutes: (now - max(&rows, |r| r.at) - 60).max(0) / 60,
                requests,
                errors: sum(&rows, |r| r.errors),
                p95_ms: if requests > 0 {
                    sum(&rows, |r| r.p95_ms * r.requests) / requests
                } else {
                    0
                },
                cpu_percent: format!("{:.1}", sum(&rows, |r| r.cpu_ms) as f64 / (rows.len() as f64 * 600.0)),
                rss_mib: rows.last().map_or(0, |r| r.rss_bytes / 1_048_576),
            }
        })
        .collect();

    let provider_series = |rows: &[ProviderSampleRow], range: Range| -> Vec<ProviderSampleRow> {
        rows.iter().filter(|r| r.at >= range.start).cloned().collect()
    };
    let hour_charts = charts(lang, hour, &hour_rows, &provider_series(&provider_rows, hour), &names);
    let day_charts = charts(lang, day, &day_rows, &provider_series(&provider_rows, day), &names);
    Ok(SystemView {
        instances,
        hour: hour_charts,
        day: day_charts,
        thresholds: alerts::thresholds(conn)?,
        alerts: alerts::evaluate(conn, now)?,
    })
}
