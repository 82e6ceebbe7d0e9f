//! An in-process event bus: it keeps every PutEvents call, fails the
//! entries a test names (AWS answers per entry; fakecloud never fails
//! one), and can hold calls until a test lets them go.
use std::{collections::VecDeque, sync::Mutex};

use async_trait::async_trait;
use tokio::sync::watch;

use crate::aws::{AwsError, BusEntry, EntryResult, EventBus, MAX_ENTRIES};

#[derive(Default)]
struct State {
    /// Every call, as sent, with what each entry was answered.
    calls: Vec<Vec<(BusEntry, EntryResult)>>,
    /// The error codes the next entries fail with, one entry each.
    fail_next: VecDeque<String>,
    next_id: u64,
}

pub struct FakeEventBus {
    state: Mutex<State>,
    held: watch::Sender<bool>,
}

impl Default for FakeEventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeEventBus {
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
            held: watch::Sender::new(false),
        }
    }

    /// The next entries sent fail, one per code, in order (e.g.
    /// `ThrottlingException`, `InternalFailure`, `MalformedDetail`).
    pub fn fail_next_entries(&self, codes: &[&str]) {
        let mut s = self.state.lock().unwrap();
        s.fail_next.extend(codes.iter().map(|c| c.to_string()));
    }

    /// Calls wait, unanswered, until `release`.
    pub fn hold(&self) {
        self.held.send_replace(true);
    }

    pub fn release(&self) {
        self.held.send_replace(false);
    }

    /// Every call so far, as sent (failed entries included).
    pub fn calls(&self) -> Vec<Vec<BusEntry>> {
        let s = self.state.lock().unwrap();
        s.calls
            .iter()
            .map(|c| c.iter().map(|(e, _)| e.clone()).collect())
            .collect()
    }

    /// The entries accepted so far, in the order they were.
    pub fn accepted(&self) -> Vec<BusEntry> {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .flatten()
            .filter(|(_, r)| matches!(r, EntryResult::Accepted { .. }))
            .map(|(e, _)| e.clone())
            .collect()
    }
}

#[async_trait]
impl EventBus for FakeEventBus {
    async fn put_events(&self, entries: &[BusEntry]) -> Result<Vec<EntryResult>, AwsError> {
        let mut held = self.held.subscribe();
        let _ = held.wait_for(|h| !*h).await;
        if entries.is_empty() || entries.len() > MAX_ENTRIES {
            return Err(AwsError::new(
                "ValidationException",
                None,
                format!("PutEvents takes 1 to {MAX_ENTRIES} entries"),
            ));
        }
        let mut s = self.state.lock().unwrap();
        let mut call = Vec::with_capacity(entries.len());
        for e in entries {
            let result = match s.fail_next.pop_front() {
                Some(code) => EntryResult::Failed {
                    message: format!("the fake bus fails this entry with {code}"),
                    code,
                },
                None => {
                    s.next_id += 1;
                    EntryResult::Accepted {
                        event_id: format!("fake-{}", s.next_id),
                    }
                }
            };
            call.push((e.clone(), result));
        }
        let results = call.iter().map(|(_, r)| r.clone()).collect();
        s.calls.push(call);
        Ok(results)
    }
}
