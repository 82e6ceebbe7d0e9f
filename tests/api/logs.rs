//! A child process's log lines as they arrive, each with when it came, for
//! tests to wait on: a waiter wakes at each new line, not on a timer.
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    sync::watch,
    task::JoinHandle,
    time::Instant,
};

type Lines = Arc<Mutex<Vec<(Instant, String)>>>;

#[derive(Clone)]
pub struct LogLines {
    lines: Lines,
    /// Bumped at each line; closed when the stream ends.
    added: watch::Receiver<usize>,
    started: Instant,
}

impl LogLines {
    /// Follows `stream` until it ends, after `seen` (lines read already).
    /// The task ends with the stream.
    pub fn follow(
        stream: impl AsyncRead + Unpin + Send + 'static,
        seen: Vec<String>,
    ) -> (Self, JoinHandle<()>) {
        let started = Instant::now();
        let lines: Lines = Arc::new(Mutex::new(seen.into_iter().map(|l| (started, l)).collect()));
        let (tx, added) = watch::channel(0);
        let reader = tokio::spawn({
            let lines = lines.clone();
            async move {
                let mut stream = BufReader::new(stream).lines();
                while let Ok(Some(line)) = stream.next_line().await {
                    lines.lock().unwrap().push((Instant::now(), line));
                    tx.send_modify(|n| *n += 1);
                }
            }
        });
        let log = Self {
            lines,
            added,
            started,
        };
        (log, reader)
    }

    /// When following began (every line is at or after it).
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The first line at or after `from` that `matches`.
    pub fn find(&self, from: Instant, matches: impl Fn(&str) -> bool) -> Option<(Instant, String)> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .find(|(t, l)| *t >= from && matches(l))
            .cloned()
    }

    /// The first line at or after `from` that `matches`, waiting up to
    /// `wait` for it; None if none came by then or the stream ended.
    pub async fn wait_for(
        &self,
        from: Instant,
        wait: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> Option<(Instant, String)> {
        let mut added = self.added.clone();
        tokio::time::timeout(wait, async {
            loop {
                // Marked seen before the look, so a line added after it wakes us.
                added.borrow_and_update();
                if let Some(found) = self.find(from, &matches) {
                    return Some(found);
                }
                if added.changed().await.is_err() {
                    return self.find(from, &matches);
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// Every line so far, one per line.
    pub fn text(&self) -> String {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
