//! `list`: follows every page as the AWS CLI's paginator does, with
//! `--max-items` (and a NextToken to go on with `--starting-token`),
//! `--page-size` and `--no-paginate`.
use base64::{engine::general_purpose::STANDARD, Engine};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::preamble::{states_request, states_value, Command, Ready};
use crate::client::{
    exit::{self, CliError},
    flags::ListArgs,
    input::Input,
    output::Format,
    schema, shape,
};
use crate::proto::v1 as pb;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListParams {
    states: Option<Vec<String>>,
    target_id: Option<String>,
}

/// Where to start: the service's page token and how many of that page's
/// handshakes were already printed (the AWS CLI's `boto_truncate_amount`).
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct StartingToken {
    #[serde(rename = "NextToken", default)]
    token: String,
    #[serde(
        rename = "boto_truncate_amount",
        default,
        skip_serializing_if = "is_zero"
    )]
    skip: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl StartingToken {
    fn encode(&self) -> String {
        STANDARD.encode(serde_json::to_vec(self).expect("tokens serialize"))
    }

    fn decode(s: &str) -> Result<Self, CliError> {
        STANDARD
            .decode(s.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "Bad value for --starting-token: {s:?} is not a NextToken this command printed"
                ))
            })
    }
}

const LIST: Command = Command::new(&schema::LIST, "ListHandshakes", sample);

/// What `list` prints, made up, for `--generate-cli-skeleton output`.
fn sample() -> Value {
    json!({"Handshakes": [shape::sample_handshake()], "NextToken": "NextToken"})
}

pub async fn run(a: ListArgs) -> Result<u8, CliError> {
    LIST.run(&a.input, &a.client, |i| params(&a, i), |r| list(r, &a))
        .await
}

/// The filters, then the paging flags, which the schema does not cover.
fn params(a: &ListArgs, mut input: Input) -> Result<(ListParams, StartingToken), CliError> {
    if let Some(s) = &a.state {
        input.set("States", states_value(s));
    }
    if let Some(t) = &a.target {
        input.set_flag("TargetId", "--target", t)?;
    }
    let params: ListParams = input.finish()?;
    if a.page_size.is_some_and(|n| n < 1) {
        return Err(CliError::Usage("--page-size must be at least 1".into()));
    }
    if a.max_items == Some(0) {
        return Err(CliError::Usage("--max-items must be at least 1".into()));
    }
    let start = match &a.starting_token {
        Some(t) => StartingToken::decode(t)?,
        None => StartingToken::default(),
    };
    Ok((params, start))
}

async fn list(ready: Ready<(ListParams, StartingToken)>, a: &ListArgs) -> Result<u8, CliError> {
    let (params, start) = ready.params;
    let (printer, conn) = (&ready.printer, &ready.conn);
    let streamed = printer.format() == Format::YamlStream;
    let states = states_request(params.states);
    let target_id = params.target_id.unwrap_or_default();

    let mut all = Vec::new();
    let mut next = None;
    let mut token = start.token;
    let mut skip = start.skip;
    loop {
        let req = pb::ListHandshakesRequest {
            page_size: a.page_size.unwrap_or(0),
            page_token: token.clone(),
            states: states.clone(),
            target_id: target_id.clone(),
            campaign_id: String::new(),
        };
        let resp = conn
            .call("ListHandshakes", req, |mut c, r| async move {
                c.list_handshakes(r).await
            })
            .await?;
        let mut page = Vec::new();
        for (i, h) in resp.handshakes.iter().enumerate().skip(skip) {
            if a.max_items.is_some_and(|m| all.len() >= m) {
                next = Some(StartingToken {
                    token: token.clone(),
                    skip: i,
                });
                break;
            }
            let v = shape::handshake(h);
            all.push(v.clone());
            page.push(v);
        }
        skip = 0;
        if streamed && !page.is_empty() {
            printer.print_streamed(&json!({ "Handshakes": page }))?;
        }
        let more = !resp.next_page_token.is_empty();
        if next.is_some() || !more {
            break;
        }
        if a.client.no_paginate || a.max_items.is_some_and(|m| all.len() >= m) {
            next = Some(StartingToken {
                token: resp.next_page_token,
                skip: 0,
            });
            break;
        }
        token = resp.next_page_token;
    }

    let next_token = next.map(|t| t.encode());
    if streamed {
        if let Some(t) = next_token {
            printer.print_streamed(&json!({ "NextToken": t }))?;
        }
        return Ok(exit::SUCCESS);
    }
    let mut out = Map::new();
    out.insert("Handshakes".into(), Value::Array(all));
    if let Some(t) = next_token {
        out.insert("NextToken".into(), Value::String(t));
    }
    printer.print(&Value::Object(out))?;
    Ok(exit::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_next_token_round_trips_in_the_aws_clis_format() {
        let t = StartingToken {
            token: "abc".into(),
            skip: 2,
        };
        let encoded = t.encode();
        let raw = String::from_utf8(STANDARD.decode(&encoded).unwrap()).unwrap();
        assert_eq!(raw, r#"{"NextToken":"abc","boto_truncate_amount":2}"#);
        assert_eq!(StartingToken::decode(&encoded).unwrap(), t);
    }

    #[test]
    fn a_made_up_starting_token_is_a_usage_error() {
        assert!(matches!(
            StartingToken::decode("not base64!"),
            Err(CliError::Usage(_))
        ));
    }
}
