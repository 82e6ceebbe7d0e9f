//! Each client subcommand: read its parameters (nothing is sent if they are
//! bad), call the service, print the AWS-shaped answer.
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    args::{
        ClientCommand, ClientOptions, IdArgs, InputOptions, InviteArgs, Skeleton, WatchAllArgs,
    },
    conn::{self, Conn},
    exit::{self, CliError},
    input::Input,
    list,
    output::{self, Printer},
    schema::{self, Shape},
    shape, watch,
};
use crate::proto::v1 as pb;

/// Runs the command and prints any error; returns the exit code.
pub async fn run(cmd: ClientCommand) -> u8 {
    let name = match &cmd {
        ClientCommand::Invite(_) => "invite",
        ClientCommand::Get(_) => "get",
        ClientCommand::List(_) => "list",
        ClientCommand::Cancel(_) => "cancel",
        ClientCommand::Watch(_) => "watch",
        ClientCommand::WatchAll(_) => "watch-all",
    };
    let result = match cmd {
        ClientCommand::Invite(a) => invite(a).await,
        ClientCommand::Get(a) => by_id(a, ById::Get).await,
        ClientCommand::Cancel(a) => by_id(a, ById::Cancel).await,
        ClientCommand::Watch(a) => by_id(a, ById::Watch).await,
        ClientCommand::List(a) => list::run(a).await,
        ClientCommand::WatchAll(a) => watch_all(a).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprint!("{}", e.render(name));
            e.code()
        }
    }
}

/// Prints the input skeleton and returns true when one was asked for.
pub fn input_skeleton(opts: &InputOptions, shape: &Shape) -> bool {
    match opts.generate_cli_skeleton {
        Some(Skeleton::Input) => print!("{}", output::json(&schema::skeleton(shape))),
        Some(Skeleton::YamlInput) => print!("{}", schema::yaml_skeleton(shape)),
        _ => return false,
    }
    true
}

pub fn printer(opts: &ClientOptions, title: &'static str) -> Result<Printer, CliError> {
    Printer::new(
        opts.output,
        opts.query.as_deref(),
        opts.color,
        opts.no_cli_pager,
        title,
    )
}

pub fn input(shape: &'static Shape, opts: &InputOptions) -> Result<Input, CliError> {
    Input::new(
        shape,
        opts.cli_input_json.as_deref(),
        opts.cli_input_yaml.as_deref(),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InviteParams {
    target: PartyParam,
    notes: Option<String>,
    tags: Option<Vec<TagParam>>,
    request_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PartyParam {
    id: String,
    r#type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagParam {
    key: String,
    value: String,
}

impl InviteParams {
    fn into_request(self) -> pb::InviteAccountRequest {
        let party_type = shape::party_type_from_name(&self.target.r#type)
            .expect("the schema allows only known party types");
        pb::InviteAccountRequest {
            target: Some(pb::HandshakeParty {
                id: self.target.id,
                r#type: party_type as i32,
            }),
            notes: self.notes.unwrap_or_default(),
            tags: self
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|t| pb::Tag {
                    key: t.key,
                    value: t.value,
                })
                .collect(),
            // Always deduplicated: a retry of this same call is then safe.
            request_id: self
                .request_id
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        }
    }
}

async fn invite(a: InviteArgs) -> Result<u8, CliError> {
    if input_skeleton(&a.input, &schema::INVITE) {
        return Ok(exit::SUCCESS);
    }
    let mut input = input(&schema::INVITE, &a.input)?;
    if let Some(t) = &a.target {
        input.set_flag("Target", "--target", t)?;
    }
    if let Some(n) = &a.notes {
        input.set_flag("Notes", "--notes", n)?;
    }
    if let Some(t) = &a.tags {
        input.set_list_flag("Tags", "--tags", t)?;
    }
    if let Some(r) = &a.request_id {
        input.set_flag("RequestId", "--request-id", r)?;
    }
    let params: InviteParams = input.finish()?;
    let printer = printer(&a.client, "InviteAccount")?;
    conn::endpoint(&a.client)?;
    if a.input.generate_cli_skeleton == Some(Skeleton::Output) {
        printer.print(&json!({ "Handshake": shape::sample_handshake() }))?;
        return Ok(exit::SUCCESS);
    }
    let conn = conn::connect(&a.client).await?;
    let req = params.into_request();
    let request_id = req.request_id.clone();
    let resp = conn
        .call("InviteAccount", req, |mut c, r| async move {
            c.invite_account(r).await
        })
        .await
        .inspect_err(|e| {
            if may_have_been_sent(e) {
                eprintln!(
                    "note: the invitation may have been sent; to retry it safely, run the same \
                     command with --request-id {request_id}"
                );
            }
        })?;
    let h = resp
        .handshake
        .ok_or_else(|| CliError::Other("the service answered without a handshake".into()))?;
    let out = shape::handshake_output(&h);
    if !a.wait {
        printer.print(&out)?;
        return Ok(exit::SUCCESS);
    }
    printer.print_streamed(&out)?;
    if let Some(code) = watch::exit_code(h.state) {
        return Ok(code);
    }
    watch::until_terminal(&conn, &printer, &h.id, Some(h.state)).await
}

/// Whether a failed InviteAccount may still have reached AWS.
fn may_have_been_sent(e: &CliError) -> bool {
    use tonic::Code;
    match e {
        CliError::Service { status, .. } => matches!(
            status.code(),
            Code::Unavailable | Code::Aborted | Code::Unknown | Code::Internal | Code::Cancelled
        ),
        CliError::Other(_) => true,
        _ => false,
    }
}

#[derive(Clone, Copy)]
enum ById {
    Get,
    Cancel,
    Watch,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdParams {
    handshake_id: String,
}

async fn by_id(a: IdArgs, what: ById) -> Result<u8, CliError> {
    if input_skeleton(&a.input, &schema::BY_ID) {
        return Ok(exit::SUCCESS);
    }
    if a.id.is_none() && a.input.cli_input_json.is_none() && a.input.cli_input_yaml.is_none() {
        return Err(CliError::Usage(
            "the following required argument was not provided: ID (a handshake id, h-...)".into(),
        ));
    }
    let mut input = input(&schema::BY_ID, &a.input)?;
    if let Some(id) = &a.id {
        input.set("HandshakeId", Value::String(id.clone()));
    }
    let IdParams { handshake_id: id } = input.finish()?;
    let title = match what {
        ById::Get => "GetHandshake",
        ById::Cancel => "CancelHandshake",
        ById::Watch => "WatchHandshake",
    };
    let printer = printer(&a.client, title)?;
    conn::endpoint(&a.client)?;
    if a.input.generate_cli_skeleton == Some(Skeleton::Output) {
        let sample = match what {
            ById::Watch => event_sample(),
            ById::Get | ById::Cancel => json!({ "Handshake": shape::sample_handshake() }),
        };
        printer.print(&sample)?;
        return Ok(exit::SUCCESS);
    }
    let conn = conn::connect(&a.client).await?;
    let h = match what {
        ById::Watch => return watch::until_terminal(&conn, &printer, &id, None).await,
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
    printer.print(&shape::handshake_output(&h))?;
    Ok(exit::SUCCESS)
}

/// What `watch` and `watch-all` print per change, for `--generate-cli-skeleton output`.
fn event_sample() -> Value {
    json!({
        "Handshake": shape::sample_handshake(),
        "PreviousState": "PreviousState",
        "ResumeToken": "ResumeToken",
        "ObservedTimestamp": 0.0,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WatchAllParams {
    resume_token: Option<String>,
    states: Option<Vec<String>>,
}

/// `--state open,ACCEPTED` → `["OPEN", "ACCEPTED"]`, checked by the schema.
pub fn states_value(states: &[String]) -> Value {
    Value::Array(
        states
            .iter()
            .map(|s| Value::String(s.trim().to_ascii_uppercase()))
            .collect(),
    )
}

pub fn states_request(states: Option<Vec<String>>) -> Vec<i32> {
    states
        .unwrap_or_default()
        .iter()
        .filter_map(|s| shape::state_from_name(s))
        .map(|s| s as i32)
        .collect()
}

async fn watch_all(a: WatchAllArgs) -> Result<u8, CliError> {
    if input_skeleton(&a.input, &schema::WATCH_ALL) {
        return Ok(exit::SUCCESS);
    }
    let mut input = input(&schema::WATCH_ALL, &a.input)?;
    if let Some(t) = &a.resume_token {
        input.set("ResumeToken", Value::String(t.clone()));
    }
    if let Some(s) = &a.state {
        input.set("States", states_value(s));
    }
    let params: WatchAllParams = input.finish()?;
    let printer = printer(&a.client, "WatchHandshakes")?;
    conn::endpoint(&a.client)?;
    if a.input.generate_cli_skeleton == Some(Skeleton::Output) {
        printer.print(&event_sample())?;
        return Ok(exit::SUCCESS);
    }
    let conn = conn::connect(&a.client).await?;
    let token = params.resume_token.unwrap_or_default();
    watch::all(&conn, &printer, token, states_request(params.states)).await
}

/// Reused by `list`.
pub async fn connect(opts: &ClientOptions) -> Result<Conn, CliError> {
    conn::connect(opts).await
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::cli::output::Color;

    pub fn client_options() -> ClientOptions {
        ClientOptions {
            endpoint: "http://127.0.0.1:50051".into(),
            output: None,
            query: None,
            color: Color::Off,
            no_cli_pager: true,
            debug: false,
            cli_connect_timeout: 60,
            cli_read_timeout: 60,
            token: None,
            ca_file: None,
            client_cert: None,
            client_key: None,
        }
    }

    #[test]
    fn an_invite_without_a_request_id_gets_a_fresh_one() {
        let params: InviteParams = serde_json::from_value(json!({
            "Target": {"Id": "juan@example.com", "Type": "EMAIL"}
        }))
        .unwrap();
        let req = params.into_request();
        assert_eq!(
            req.target.unwrap().r#type,
            pb::HandshakePartyType::Email as i32
        );
        assert_eq!(req.request_id.len(), 36);
    }

    #[test]
    fn states_are_upper_cased_and_mapped() {
        assert_eq!(states_value(&["open".into()]), json!(["OPEN"]));
        assert_eq!(
            states_request(Some(vec!["OPEN".into(), "ACCEPTED".into()])),
            [
                pb::HandshakeState::Open as i32,
                pb::HandshakeState::Accepted as i32
            ]
        );
    }
}
