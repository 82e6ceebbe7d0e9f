//! The spinner of a watch on stderr, so that a terminal shows the watch is
//! alive between changes; stdout (what scripts read) never sees it.
use std::{
    io::{IsTerminal, Write},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::task::JoinHandle;

mod bar;
pub use bar::Bar;

/// A spinner and the latest state on stderr, drawn only when stderr is a
/// terminal; paused (line cleared) while stdout is written.
pub struct Progress {
    line: Option<Arc<Mutex<String>>>,
    task: Option<JoinHandle<()>>,
}

impl Progress {
    pub fn start(subject: &str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self {
                line: None,
                task: None,
            };
        }
        let line = Arc::new(Mutex::new(format!("watching {subject}")));
        let task = tokio::spawn({
            let line = line.clone();
            let started = Instant::now();
            async move {
                let frames = ['|', '/', '-', '\\'];
                let mut tick = tokio::time::interval(Duration::from_millis(120));
                for i in 0usize.. {
                    tick.tick().await;
                    let text = line.lock().expect("progress lock");
                    let mut err = std::io::stderr().lock();
                    let _ = write!(
                        err,
                        "\r\x1b[2K{} {} ({}s)",
                        frames[i % frames.len()],
                        text,
                        started.elapsed().as_secs()
                    );
                    let _ = err.flush();
                }
            }
        });
        Self {
            line: Some(line),
            task: Some(task),
        }
    }

    pub fn set(&self, status: &str) {
        if let Some(line) = &self.line {
            let mut l = line.lock().expect("progress lock");
            *l = format!("{status}, waiting for changes");
        }
    }

    pub fn pause<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.line {
            None => f(),
            Some(line) => {
                let _held = line.lock().expect("progress lock");
                eprint!("\r\x1b[2K");
                f()
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            eprint!("\r\x1b[2K");
        }
    }
}
