//! The progress bar of a campaign watch on stderr: how many targets are
//! over, the count in each state, and when the next invitation goes out,
//! redrawn each second (the countdown moves) and at each change; drawn only
//! when stderr is a terminal.
use std::{
    io::{IsTerminal, Write},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use tokio::task::JoinHandle;

use crate::client::{output::terminal_width_of, shape};
use crate::proto::v1 as pb;

/// What the bar shows: the campaign id until its first message, then it.
enum Shown {
    Waiting(String),
    Campaign(Box<pb::Campaign>),
}

pub struct Bar {
    shown: Option<Arc<Mutex<Shown>>>,
    task: Option<JoinHandle<()>>,
}

impl Bar {
    /// A bar for campaign `id`; drawn only when stderr is a terminal.
    pub fn start(id: &str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self {
                shown: None,
                task: None,
            };
        }
        let shown = Arc::new(Mutex::new(Shown::Waiting(id.to_string())));
        let task = tokio::spawn({
            let shown = shown.clone();
            async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    let shown = shown.lock().expect("bar lock");
                    draw(&shown);
                }
            }
        });
        Self {
            shown: Some(shown),
            task: Some(task),
        }
    }

    pub fn is_drawn(&self) -> bool {
        self.shown.is_some()
    }

    pub fn set(&self, c: &pb::Campaign) {
        if let Some(shown) = &self.shown {
            let mut s = shown.lock().expect("bar lock");
            *s = Shown::Campaign(Box::new(c.clone()));
            draw(&s);
        }
    }

    /// Runs `f` (which writes to stdout) with the bar cleared; the next
    /// tick draws it again.
    pub fn pause<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.shown {
            None => f(),
            Some(shown) => {
                let _held = shown.lock().expect("bar lock");
                eprint!("\r\x1b[2K");
                f()
            }
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            eprint!("\r\x1b[2K");
        }
    }
}

fn draw(shown: &Shown) {
    let width = terminal_width_of(libc::STDERR_FILENO).unwrap_or(80);
    let text = match shown {
        Shown::Waiting(id) => format!("watching {id}"),
        Shown::Campaign(c) => line(c, width, SystemTime::now()),
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K{text}");
    let _ = err.flush();
}

/// Columns of the bar itself, between its brackets.
const BAR: usize = 20;

/// `c-... ACTIVE [#####...............] 5/20 · 3 queued · 12 invited ·
/// 5 complete · next send in 4m 12s`, cut to `width` columns (one is left
/// free so the terminal does not wrap).
pub fn line(c: &pb::Campaign, width: usize, now: SystemTime) -> String {
    let n = c.counts.unwrap_or_default();
    let over = n.total - n.queued - n.invited - n.accepted;
    let filled = if n.total > 0 {
        (over.max(0) as usize * BAR) / n.total as usize
    } else {
        0
    };
    let state = shape::campaign_state_name(c.state).unwrap_or("UNKNOWN");
    let mut parts = vec![format!(
        "{} {state} [{}{}] {over}/{}",
        c.id,
        "#".repeat(filled),
        ".".repeat(BAR - filled),
        n.total
    )];
    let counts = [
        (n.queued, "queued"),
        (n.invited, "invited"),
        (n.accepted, "accepted"),
        (n.complete, "complete"),
        (n.skipped, "skipped"),
        (n.failed, "failed"),
        (n.declined, "declined"),
        (n.canceled, "canceled"),
        (n.expired, "expired"),
    ];
    parts.extend(
        counts
            .iter()
            .filter(|(count, _)| *count > 0)
            .map(|(count, name)| format!("{count} {name}")),
    );
    if let Some(next) = next_send(c, now) {
        parts.push(next);
    }
    if !c.pause_reason.is_empty() {
        parts.push(format!("paused: {}", c.pause_reason));
    }
    let text = parts.join(" · ");
    text.chars().take(width.saturating_sub(1)).collect()
}

/// `next send in 4m 12s`, or `next send due` once its time has come;
/// `None` when nothing is waiting to be sent.
fn next_send(c: &pb::Campaign, now: SystemTime) -> Option<String> {
    let t = c.next_send_time.as_ref()?;
    let at = SystemTime::UNIX_EPOCH
        + Duration::from_secs(t.seconds.max(0) as u64)
        + Duration::from_nanos(t.nanos.max(0) as u64);
    Some(match at.duration_since(now) {
        Ok(left) if left.as_secs() > 0 => format!("next send in {}", countdown(left)),
        _ => "next send due".into(),
    })
}

/// `2d 3h`, `3h 5m`, `4m 12s`, `9s`: the two largest units.
fn countdown(d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, minutes, seconds) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, _) => format!("{minutes}m {seconds}s"),
        (0, _, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(counts: pb::CampaignCounts, next_in: Option<i64>) -> pb::Campaign {
        pb::Campaign {
            id: "c-abcdefgh".into(),
            state: pb::CampaignState::Active as i32,
            counts: Some(counts),
            next_send_time: next_in.map(|s| prost_types::Timestamp {
                seconds: 1_000_000 + s,
                nanos: 0,
            }),
            ..Default::default()
        }
    }

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn the_bar_shows_the_targets_over_each_state_counted_and_the_next_send() {
        let counts = pb::CampaignCounts {
            total: 10,
            queued: 3,
            invited: 2,
            complete: 4,
            failed: 1,
            ..Default::default()
        };
        let c = campaign(counts, Some(252));
        assert_eq!(
            line(&c, 200, at(1_000_000)),
            "c-abcdefgh ACTIVE [##########..........] 5/10 · 3 queued · 2 invited · \
             4 complete · 1 failed · next send in 4m 12s"
        );
    }

    #[test]
    fn a_send_whose_time_has_come_is_due_and_none_queued_shows_none() {
        let counts = pb::CampaignCounts {
            total: 1,
            invited: 1,
            ..Default::default()
        };
        let due = campaign(counts, Some(-5));
        assert!(line(&due, 200, at(1_000_000)).ends_with("· next send due"));
        let none = campaign(counts, None);
        assert!(!line(&none, 200, at(1_000_000)).contains("next send"));
    }

    #[test]
    fn the_line_never_reaches_the_terminals_last_column() {
        let counts = pb::CampaignCounts {
            total: 1000,
            queued: 1000,
            ..Default::default()
        };
        let l = line(&campaign(counts, Some(90_000)), 40, at(1_000_000));
        assert_eq!(l.chars().count(), 39, "{l}");
    }

    #[test]
    fn countdowns_show_their_two_largest_units() {
        let d = Duration::from_secs;
        assert_eq!(countdown(d(9)), "9s");
        assert_eq!(countdown(d(252)), "4m 12s");
        assert_eq!(countdown(d(3 * 3600 + 5 * 60 + 7)), "3h 5m");
        assert_eq!(countdown(d(2 * 86_400 + 3 * 3600)), "2d 3h");
    }
}
