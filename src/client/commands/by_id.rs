//! `get`, `cancel` and `watch`: one handshake, named by its id (the
//! argument or `HandshakeId` in `--cli-input-json`/`-yaml`).
use serde::Deserialize;
use serde_json::Value;

use super::preamble::{Command, Ready};
use crate::client::{
    exit::{self, CliError},
    flags::IdArgs,
    input::Input,
    schema,
    shape::{self, sample_event_output, sample_handshake_output},
    watch,
};
use crate::proto::v1 as pb;

#[derive(Clone, Copy)]
pub enum ById {
    Get,
    Cancel,
    Watch,
}

impl ById {
    fn command(self) -> Command {
        let (operation, sample): (_, fn() -> Value) = match self {
            Self::Get => ("GetHandshake", sample_handshake_output),
            Self::Cancel => ("CancelHandshake", sample_handshake_output),
            Self::Watch => ("WatchHandshake", sample_event_output),
        };
        Command::new(&schema::BY_ID, operation, sample)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdParams {
    handshake_id: String,
}

pub async fn run(a: IdArgs, what: ById) -> Result<u8, CliError> {
    let command = what.command();
    command
        .run(&a.input, &a.client, |i| id(&a, i), |r| call(r, what))
        .await
}

fn id(a: &IdArgs, mut input: Input) -> Result<String, CliError> {
    // Without --cli-input-json/-yaml the ID argument is the only way to
    // give the id: say it is missing as clap says it of an argument, not
    // as a missing HandshakeId member.
    if a.id.is_none() && a.input.cli_input_json.is_none() && a.input.cli_input_yaml.is_none() {
        return Err(CliError::Usage(
            "the following required argument was not provided: ID (a handshake id, h-...)".into(),
        ));
    }
    if let Some(id) = &a.id {
        input.set("HandshakeId", Value::String(id.clone()));
    }
    let IdParams { handshake_id } = input.finish()?;
    Ok(handshake_id)
}

async fn call(ready: Ready<String>, what: ById) -> Result<u8, CliError> {
    let (id, conn) = (ready.params, &ready.conn);
    let h = match what {
        ById::Watch => return watch::until_settled(conn, &ready.printer, &id, None).await,
        ById::Get => {
            conn.call(
                "GetHandshake",
                pb::GetHandshakeRequest { id },
                |mut c, r| async move { c.get_handshake(r).await },
            )
            .await?
        }
        ById::Cancel => {
            let req = pb::CancelHandshakeRequest { id };
            conn.call("CancelHandshake", req, |mut c, r| async move {
                c.cancel_handshake(r).await
            })
            .await?
        }
    };
    ready.printer.print(&shape::handshake_output(&h))?;
    Ok(exit::SUCCESS)
}
