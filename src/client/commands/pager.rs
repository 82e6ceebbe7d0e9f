//! The AWS CLI's paginator, for every list: follows every page, with
//! `--max-items` (and a NextToken to go on with `--starting-token`),
//! `--page-size` and `--no-paginate`; `--output yaml-stream` prints each
//! page as it comes.
use std::future::Future;

use base64::{engine::general_purpose::STANDARD, Engine};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::client::{
    exit::{self, CliError},
    flags::PagingArgs,
    output::{Format, Printer},
};

/// Where to start: the service's page token and how many of that page's
/// items were already printed (the AWS CLI's `boto_truncate_amount`).
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

/// The paging flags, checked before anything is sent.
pub struct Paging {
    start: StartingToken,
    page_size: i32,
    max_items: Option<usize>,
    no_paginate: bool,
}

impl Paging {
    pub fn new(a: &PagingArgs, no_paginate: bool) -> Result<Self, CliError> {
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
        Ok(Self {
            start,
            page_size: a.page_size.unwrap_or(0),
            max_items: a.max_items,
            no_paginate,
        })
    }
}

/// One page from the service: its items in the output's shape, and the
/// token of the next (empty on the last).
pub struct Page {
    pub items: Vec<Value>,
    pub next_token: String,
}

/// Fetches pages (`fetch(page_token, page_size)`) as the flags say and
/// prints `{key: [...], "NextToken"}`, NextToken only when it stopped early.
pub async fn print_pages<F, Fut>(
    printer: &Printer,
    paging: Paging,
    key: &str,
    mut fetch: F,
) -> Result<u8, CliError>
where
    F: FnMut(String, i32) -> Fut,
    Fut: Future<Output = Result<Page, CliError>>,
{
    let streamed = printer.format() == Format::YamlStream;
    let Paging {
        start,
        page_size,
        max_items,
        no_paginate,
    } = paging;
    let full = |n: usize| max_items.is_some_and(|m| n >= m);
    let mut all = Vec::new();
    let mut next = None;
    let mut token = start.token;
    let mut skip = start.skip;
    loop {
        let resp = fetch(token.clone(), page_size).await?;
        let mut page = Vec::new();
        for (i, v) in resp.items.into_iter().enumerate().skip(skip) {
            if full(all.len()) {
                next = Some(StartingToken {
                    token: token.clone(),
                    skip: i,
                });
                break;
            }
            all.push(v.clone());
            page.push(v);
        }
        skip = 0;
        if streamed && !page.is_empty() {
            printer.print_streamed(&json!({ key: page }))?;
        }
        let more = !resp.next_token.is_empty();
        if next.is_some() || !more {
            break;
        }
        if no_paginate || full(all.len()) {
            next = Some(StartingToken {
                token: resp.next_token,
                skip: 0,
            });
            break;
        }
        token = resp.next_token;
    }

    let next_token = next.map(|t| t.encode());
    if streamed {
        if let Some(t) = next_token {
            printer.print_streamed(&json!({ "NextToken": t }))?;
        }
        return Ok(exit::SUCCESS);
    }
    let mut out = Map::new();
    out.insert(key.into(), Value::Array(all));
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
