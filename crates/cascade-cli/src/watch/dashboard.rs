//! The terminal dashboard of `cascade watch` (ratatui): one row of indicators per symbol, the
//! selected symbol's price and liquidations over 15 minutes, the latest alerts and warnings.
//! Keys: ↑/↓ select a symbol, q / Esc / Ctrl-C quit.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use anyhow::Context;
use cascade_io::stream::Polled;
use cascade_watch::{Alert, AlertKind, Indicators, Output, RiskLevel, Side};
use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{FOLLOW_POLL, Session};

/// Points of history kept per symbol for the charts: 15 minutes of seconds.
const HISTORY: usize = 900;
/// Time between redraws while reading.
const REDRAW: Duration = Duration::from_millis(200);

/// What the dashboard shows besides the watcher's latest indicators.
#[derive(Default)]
struct View {
    alerts: VecDeque<Alert>,
    warnings: VecDeque<String>,
    /// Per symbol: (price, liquidated per minute) each second.
    history: BTreeMap<String, VecDeque<(f64, f64)>>,
    selected: usize,
    ended: bool,
    stream_ms: Option<u64>,
}

impl View {
    fn take(&mut self, outputs: &mut Vec<Output>) {
        for o in outputs.drain(..) {
            match o {
                Output::Indicators(i) => {
                    self.stream_ms = Some(self.stream_ms.map_or(i.time_ms, |t| t.max(i.time_ms)));
                    let h = self.history.entry(i.symbol.clone()).or_default();
                    let liq = (i.liq_long_per_min + i.liq_short_per_min).to_f64().unwrap_or(0.0);
                    h.push_back((i.price.and_then(|p| p.to_f64()).unwrap_or(f64::NAN), liq));
                    if h.len() > HISTORY {
                        h.pop_front();
                    }
                }
                Output::Alert(a) => {
                    self.alerts.push_front(a);
                    self.alerts.truncate(50);
                }
                Output::Warning(w) => self.warn(format!("{} {}: {}", utc(w.time_ms), w.symbol, w.message)),
            }
        }
    }

    fn warn(&mut self, text: String) {
        self.warnings.push_front(text);
        self.warnings.truncate(50);
    }
}

/// Runs the dashboard until the user quits.
pub fn run(s: &mut Session) -> anyhow::Result<()> {
    let mut terminal = ratatui::try_init().context("starting the terminal dashboard")?;
    let result = event_loop(s, &mut terminal);
    ratatui::try_restore().context("restoring the terminal")?;
    result?;
    eprintln!("{}: {}", s.source, super::Session::summary_text(s.reader.stats(), s.watcher.counts()));
    Ok(())
}

fn event_loop(s: &mut Session, terminal: &mut ratatui::DefaultTerminal) -> anyhow::Result<()> {
    let mut view = View::default();
    let mut last_draw: Option<Instant> = None;
    loop {
        let mut idle = view.ended;
        if !view.ended {
            let started = Instant::now();
            let mut n = 0u32;
            loop {
                match s.reader.poll().with_context(|| format!("{}: reading", s.source))? {
                    Polled::Event(e) => {
                        s.watcher.push(e, &mut s.out);
                        view.take(&mut s.out);
                    }
                    Polled::Skipped { line, error } => {
                        view.warn(format!("{}:{line}: {error} (skipped)", s.source));
                    }
                    Polled::End if s.follow => {
                        idle = true;
                        break;
                    }
                    Polled::End => {
                        s.watcher.finish(&mut s.out);
                        view.take(&mut s.out);
                        view.ended = true;
                        break;
                    }
                }
                n += 1;
                if n % 4096 == 0 && started.elapsed() >= REDRAW {
                    break;
                }
            }
        }
        if view.ended || last_draw.is_none_or(|t| t.elapsed() >= REDRAW) {
            terminal.draw(|f| draw(f, s, &view)).context("drawing the dashboard")?;
            last_draw = Some(Instant::now());
        }
        let wait = if idle { FOLLOW_POLL } else { Duration::ZERO };
        if event::poll(wait).context("reading the keyboard")? {
            if let Event::Key(k) = event::read().context("reading the keyboard")? {
                if k.kind != KeyEventKind::Release {
                    match k.code {
                        KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
                        KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => return Ok(()),
                        KeyCode::Down => view.selected = view.selected.saturating_add(1),
                        KeyCode::Up => view.selected = view.selected.saturating_sub(1),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` UTC of Unix milliseconds (cascade-io's RFC 3339 text, shortened).
fn utc(ms: u64) -> String {
    let t = cascade_io::utc_text(i64::try_from(ms).unwrap_or(i64::MAX));
    t.get(..19).map_or(t.clone(), |s| s.replacen('T', " ", 1))
}

/// A notional in a few characters: `1.25M`, `830k`, `12`.
fn usd(d: Decimal) -> String {
    let x = d.to_f64().unwrap_or(0.0);
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.2}B", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if a >= 1e3 {
        format!("{:.0}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:+.2}%"))
}

fn level_style(l: RiskLevel) -> Style {
    match l {
        RiskLevel::Calm => Style::new().fg(Color::Green),
        RiskLevel::Elevated => Style::new().fg(Color::Yellow),
        RiskLevel::High => Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD),
        RiskLevel::Critical => Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

fn change_style(x: Option<f64>) -> Style {
    match x {
        Some(v) if v < 0.0 => Style::new().fg(Color::LightRed),
        Some(v) if v > 0.0 => Style::new().fg(Color::LightGreen),
        _ => Style::new(),
    }
}

fn cluster_text(i: &Indicators) -> String {
    i.nearest_cluster.as_ref().map_or("—".into(), |c| {
        let who = if c.cluster.side == Side::Sell { "longs" } else { "shorts" };
        format!(
            "{} {who} {}–{} at {:.2}%",
            usd(c.cluster.notional),
            c.cluster.low,
            c.cluster.high,
            c.distance_pct
        )
    })
}

fn draw(f: &mut Frame, s: &Session, v: &View) {
    let latest: Vec<&Indicators> = s.watcher.latest().collect();
    let selected = v.selected.min(latest.len().saturating_sub(1));
    let [head, table, charts, bottom, foot] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(latest.len().clamp(1, 12) as u16 + 3),
        Constraint::Min(8),
        Constraint::Length(9),
        Constraint::Length(1),
    ])
    .areas(f.area());

    let (r, c) = (s.reader.stats(), s.watcher.counts());
    let state = if v.ended {
        "end of input"
    } else if s.follow {
        "following"
    } else {
        "reading"
    };
    let header = vec![
        Line::from(vec![
            Span::styled("cascade watch ", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                "{}  ·  {state}  ·  stream time {} UTC",
                s.source,
                v.stream_ms.map_or("—".into(), utc)
            )),
        ]),
        Line::from(format!(
            "{} events ({} liquidations, {} trades, {} marks)  ·  skipped: {} malformed, {} unsupported  ·  {} dup, {} late, {} out of order  ·  gaps: {} mark, {} trades",
            c.events,
            c.force_orders,
            c.agg_trades,
            c.mark_prices,
            r.malformed,
            r.unsupported,
            c.duplicates,
            c.late,
            c.out_of_order,
            c.mark_gaps,
            c.missing_trades
        )),
    ];
    f.render_widget(Paragraph::new(header).block(Block::new().borders(Borders::BOTTOM)), head);

    let heads = [
        "symbol",
        "price",
        "level",
        "liq long/min",
        "liq short/min",
        "accel/min²",
        "long % 5m",
        "Δ1m",
        "Δ5m",
        "Δ15m",
        "vol 5m",
        "nearest cluster",
    ];
    let rows = latest.iter().enumerate().map(|(k, i)| {
        let row = Row::new(vec![
            Cell::from(i.symbol.clone()),
            Cell::from(i.price.map_or("—".into(), |p| p.to_string())),
            Cell::from(Span::styled(format!(" {} ", i.level), level_style(i.level))),
            Cell::from(usd(i.liq_long_per_min)),
            Cell::from(usd(i.liq_short_per_min)),
            Cell::from(usd(i.liq_accel_per_min2)),
            Cell::from(i.long_share_5m.map_or("—".into(), |x| format!("{:.0}%", x * 100.0))),
            Cell::from(Span::styled(pct(i.change_1m_pct), change_style(i.change_1m_pct))),
            Cell::from(Span::styled(pct(i.change_5m_pct), change_style(i.change_5m_pct))),
            Cell::from(Span::styled(pct(i.change_15m_pct), change_style(i.change_15m_pct))),
            Cell::from(i.realized_vol_5m_pct.map_or("—".into(), |x| format!("{x:.0}%"))),
            Cell::from(cluster_text(i)),
        ]);
        if k == selected { row.style(Style::new().add_modifier(Modifier::REVERSED)) } else { row }
    });
    let widths = [
        Constraint::Length(16),
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Length(12),
        Constraint::Length(13),
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Min(20),
    ];
    let t = Table::new(rows, widths)
        .header(Row::new(heads).style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)))
        .block(Block::bordered().title(" indicators (last 60 s unless noted; ↑/↓ select) "));
    f.render_widget(t, table);

    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(charts);
    let sel = latest.get(selected).map(|i| i.symbol.as_str()).unwrap_or_default();
    let hist: Vec<(f64, f64)> = v.history.get(sel).map(|h| h.iter().copied().collect()).unwrap_or_default();
    // The history (up to 15 minutes of seconds) squeezed into the chart's width: each column
    // the last price and the largest liquidation rate of its seconds.
    let width = usize::from(left.width.saturating_sub(2)).max(1);
    let per = hist.len().div_ceil(width).max(1);
    let columns: Vec<(f64, f64)> = hist
        .chunks(per)
        .map(|c| {
            let price = c.iter().rev().map(|p| p.0).find(|p| p.is_finite()).unwrap_or(f64::NAN);
            (price, c.iter().map(|p| p.1).fold(0.0, f64::max))
        })
        .collect();
    let prices: Vec<f64> = columns.iter().map(|c| c.0).filter(|p| p.is_finite()).collect();
    let (lo, hi) = prices.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(*p), b.max(*p)));
    let price_pts: Vec<u64> =
        prices.iter().map(|p| ((p - lo) / (hi - lo).max(1e-9) * 100.0) as u64 + 1).collect();
    let span =
        if hist.len() >= 120 { format!("{} min", hist.len() / 60) } else { format!("{} s", hist.len()) };
    let title = if prices.is_empty() {
        format!(" {sel} price ")
    } else {
        format!(" {sel} price, last {span}: {lo:.1} – {hi:.1} ")
    };
    f.render_widget(
        Sparkline::default()
            .block(Block::bordered().title(title))
            .data(&price_pts)
            .style(Style::new().fg(Color::Cyan)),
        left,
    );
    let liq_pts: Vec<u64> = columns.iter().map(|c| c.1 as u64).collect();
    let peak = liq_pts.iter().max().copied().unwrap_or(0);
    f.render_widget(
        Sparkline::default()
            .block(Block::bordered().title(format!(
                " {sel} liquidated per minute, last {span} (peak {}) ",
                usd(Decimal::from(peak))
            )))
            .data(&liq_pts)
            .style(Style::new().fg(Color::LightRed)),
        right,
    );

    let [al, wa] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(bottom);
    let alert_lines: Vec<Line> = v
        .alerts
        .iter()
        .take(usize::from(al.height.saturating_sub(2)))
        .map(|a| {
            let what = match a.kind {
                AlertKind::Raised => "RAISED",
                AlertKind::Cleared => "cleared",
            };
            Line::from(vec![
                Span::raw(format!("{} {} ", utc(a.time_ms), a.symbol)),
                Span::styled(format!(" {what} {} ", a.level), level_style(a.level)),
                Span::raw(format!(
                    " {} {}",
                    a.price.map_or(String::new(), |p| format!("@ {p}")),
                    a.reasons.join("; ")
                )),
            ])
        })
        .collect();
    f.render_widget(
        Paragraph::new(alert_lines).block(Block::bordered().title(format!(" alerts ({}) ", c.alerts))),
        al,
    );
    let warn_lines: Vec<Line> = v
        .warnings
        .iter()
        .take(usize::from(wa.height.saturating_sub(2)))
        .map(|w| Line::from(w.as_str()))
        .collect();
    f.render_widget(Paragraph::new(warn_lines).block(Block::bordered().title(" data warnings ")), wa);
    f.render_widget(
        Paragraph::new(" q quit  ·  ↑/↓ symbol  ·  levels: calm < elevated < high < critical (see README)"),
        foot,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use cascade_io::stream::StreamReader;
    use cascade_watch::{WatchConfig, Watcher};
    use ratatui::backend::TestBackend;

    /// A stream with 2 M of longs liquidated at second 1 drawn on a 160 × 40 test terminal:
    /// the symbol's row shows the critical level and the alert panel the alert.
    #[test]
    fn the_dashboard_shows_the_level_and_the_alert() {
        let t0 = 1_760_126_400_000u64;
        let mark =
            |s: u64| format!(r#"{{"e":"markPriceUpdate","E":{},"s":"BTCUSDT","p":"100000"}}"#, t0 + s * 1000);
        let liq = format!(
            r#"{{"e":"forceOrder","E":{t},"o":{{"s":"BTCUSDT","S":"SELL","q":"20","p":"99000","ap":"100000","z":"20","T":{t}}}}}"#,
            t = t0 + 1500
        );
        let text = [mark(0), mark(1), liq, mark(2), "oops".to_string()].join("\n") + "\n";
        let input: Box<dyn std::io::BufRead> = Box::new(std::io::Cursor::new(text.into_bytes()));
        let mut s = Session {
            source: "test.jsonl".into(),
            reader: StreamReader::new(input),
            watcher: Watcher::new(WatchConfig::default()).unwrap(),
            out: Vec::new(),
            follow: false,
            shown: 0,
            max_warnings: 0,
        };
        let mut view = View::default();
        loop {
            match s.reader.poll().unwrap() {
                Polled::Event(e) => {
                    s.watcher.push(e, &mut s.out);
                    view.take(&mut s.out);
                }
                Polled::Skipped { line, error } => {
                    view.warn(format!("{}:{line}: {error} (skipped)", s.source))
                }
                Polled::End => break,
            }
        }
        s.watcher.finish(&mut s.out);
        view.take(&mut s.out);
        view.ended = true;
        let mut term = ratatui::Terminal::new(TestBackend::new(160, 40)).unwrap();
        term.draw(|f| draw(f, &s, &view)).unwrap();
        let screen: String = term
            .backend()
            .buffer()
            .content()
            .chunks(160)
            .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
            .collect();
        assert!(screen.contains("stream time 2025-10-10 20:00:02 UTC"), "{screen}");
        assert!(screen.contains("BTCUSDT") && screen.contains(" critical "), "{screen}");
        assert!(screen.contains("2.00M"), "{screen}");
        assert!(screen.contains("RAISED critical"), "{screen}");
        assert!(screen.contains("test.jsonl:5: column 1"), "{screen}");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_760_126_400_000), "2025-10-10 20:00:00");
        // 29 Feb 2024 23:59:59.999.
        assert_eq!(utc(1_709_251_199_999), "2024-02-29 23:59:59");
    }
}
