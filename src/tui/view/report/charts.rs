//! A series as bar charts, one per line: a bar per day, the week's figure and its direction
//! against the week before in the chart's title.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block};

use super::super::common::{fit, width_of};
use super::super::sheet::Sheet;
use crate::report::document::{Series, SeriesLine, Unit};
use crate::report::format::share;
use crate::report::Trend;
use crate::tui::theme::Theme;

/// The charts of `series` in a grid of up to three a row.
pub(super) fn grid<'a>(
    sheet: &mut Sheet<'a>,
    series: &Series,
    theme: &Theme,
    width: u16,
    height: u16,
) {
    let per_row = (width / 38).clamp(1, 3);
    let chart_height = if height >= 40 { 8 } else { 6 };
    let chart_width = width / per_row;
    let size = BarSize::within(chart_width.saturating_sub(2));
    // one scale for all lines of a count, so their bars compare
    let max = match series.unit {
        Unit::Count => series
            .lines
            .iter()
            .flat_map(|line| line.values.iter().flatten())
            .copied()
            .max()
            .unwrap_or(0),
        Unit::ShareTenths => 100,
    };
    let bar_style = match series.unit {
        Unit::Count => theme.hint_key,
        Unit::ShareTenths => theme.info,
    };
    let room = usize::from(chart_width.saturating_sub(4));
    let full: Vec<String> = series
        .lines
        .iter()
        .map(|line| title(series, line, &line.label))
        .collect();
    // the policy's short names for all lines as soon as one full name does not fit
    let titles = if full.iter().all(|title| width_of(title) <= room) {
        full
    } else {
        series
            .lines
            .iter()
            .map(|line| fit(&title(series, line, &line.short), room))
            .collect()
    };
    let charts = series
        .lines
        .iter()
        .zip(titles)
        .map(|(line, title)| chart(series, line, title, max, bar_style, theme, size))
        .collect();
    sheet.charts(charts, per_row, chart_height);
}

/// ` проблема с ЭЖД 8 ↑ `
fn title(series: &Series, line: &SeriesLine, label: &str) -> String {
    let week = match (series.unit, line.week) {
        (_, None) => "—".to_string(),
        (Unit::Count, Some(count)) => count.to_string(),
        (Unit::ShareTenths, Some(tenths)) => share(u32::try_from(tenths).ok()),
    };
    let trend = line.trend.map_or("", Trend::symbol);
    format!(" {label} {week} {trend} ")
}

fn chart<'a>(
    series: &Series,
    line: &SeriesLine,
    title: String,
    max: u64,
    bar_style: Style,
    theme: &Theme,
    size: BarSize,
) -> BarChart<'a> {
    let bars: Vec<Bar<'a>> = series
        .days
        .iter()
        .zip(&line.values)
        .map(|(day, value)| {
            let (value, text) = match (series.unit, value) {
                (_, None) => (0, String::new()),
                (Unit::Count, Some(count)) => (*count, count.to_string()),
                (Unit::ShareTenths, Some(tenths)) => {
                    let percent = (tenths + 5) / 10;
                    (percent, percent.to_string())
                }
            };
            // the weekday alone fits under a bar: `Пн` of `Пн 09.11`
            let weekday = day
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            Bar::default()
                .value(value)
                .text_value(text)
                .label(Line::from(weekday))
        })
        .collect();
    BarChart::default()
        .block(
            Block::bordered()
                .border_style(theme.border)
                .title(Span::raw(title)),
        )
        .data(BarGroup::default().bars(&bars))
        .bar_width(size.width)
        .bar_gap(size.gap)
        .bar_style(bar_style)
        .value_style(theme.selected)
        .max(max)
}

/// Seven bars and their gaps in a chart `inner` columns wide: up to 6 columns a bar, gaps
/// dropped when even one-column bars would not fit with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BarSize {
    width: u16,
    gap: u16,
}

impl BarSize {
    fn within(inner: u16) -> BarSize {
        if inner >= 13 {
            BarSize {
                width: ((inner - 6) / 7).min(6),
                gap: 1,
            }
        } else {
            BarSize {
                width: (inner / 7).max(1),
                gap: 0,
            }
        }
    }
}
