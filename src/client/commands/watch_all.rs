//! `watch-all`: every change in the organization, from a ResumeToken or
//! from now, until interrupted.
use serde::Deserialize;
use serde_json::Value;

use super::preamble::{states_request, states_value, Command, Ready};
use crate::client::{
    exit::CliError, flags::WatchAllArgs, input::Input, schema, shape::sample_event_output, watch,
};

const WATCH_ALL: Command = Command::new(&schema::WATCH_ALL, "WatchHandshakes", sample_event_output);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WatchAllParams {
    resume_token: Option<String>,
    states: Option<Vec<String>>,
}

pub async fn run(a: WatchAllArgs) -> Result<u8, CliError> {
    WATCH_ALL
        .run(&a.input, &a.client, |i| params(&a, i), watch_all)
        .await
}

fn params(a: &WatchAllArgs, mut input: Input) -> Result<WatchAllParams, CliError> {
    if let Some(t) = &a.resume_token {
        input.set("ResumeToken", Value::String(t.clone()));
    }
    if let Some(s) = &a.state {
        input.set("States", states_value(s));
    }
    input.finish()
}

async fn watch_all(ready: Ready<WatchAllParams>) -> Result<u8, CliError> {
    let token = ready.params.resume_token.unwrap_or_default();
    let states = states_request(ready.params.states);
    watch::all(&ready.conn, &ready.printer, token, states).await
}
