//! `subscriptions list` (ListSubscriptions) and `subscriptions enable`
//! (EnableSubscription): where recorded events are pushed, each with its
//! backlog and last error; and the id every delivery command names a
//! subscription by.
use serde::Deserialize;
use serde_json::Value;

use super::preamble::{Command, Ready};
use crate::client::{
    exit::{self, CliError},
    flags::{InputOptions, SubscriptionIdArgs, SubscriptionsCommand, SubscriptionsListArgs},
    input::Input,
    schema, shape,
};
use crate::proto::v1 as pb;

pub async fn run(cmd: SubscriptionsCommand) -> Result<u8, CliError> {
    match cmd {
        SubscriptionsCommand::List(a) => list(a).await,
        SubscriptionsCommand::Enable(a) => enable(a).await,
    }
}

const LIST: Command = Command::new(
    &schema::SUBSCRIPTIONS_LIST,
    "ListSubscriptions",
    shape::sample_subscriptions_output,
);

async fn list(a: SubscriptionsListArgs) -> Result<u8, CliError> {
    // No parameters; `--cli-input-json '{}'` is checked all the same.
    let params = |input: Input| input.finish::<Value>().map(drop);
    LIST.run(&a.input, &a.client, params, call_list).await
}

async fn call_list(ready: Ready<()>) -> Result<u8, CliError> {
    let resp = ready
        .conn
        .call(
            "ListSubscriptions",
            pb::ListSubscriptionsRequest {},
            |mut c, r| async move { c.list_subscriptions(r).await },
        )
        .await?;
    ready
        .printer
        .print(&shape::subscriptions_output(&resp.subscriptions))?;
    Ok(exit::SUCCESS)
}

const ENABLE: Command = Command::new(
    &schema::SUBSCRIPTION_ID,
    "EnableSubscription",
    shape::sample_subscription_output,
);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdParams {
    subscription_id: String,
}

async fn enable(a: SubscriptionIdArgs) -> Result<u8, CliError> {
    ENABLE
        .run(&a.input, &a.client, |i| enable_params(&a, i), call_enable)
        .await
}

fn enable_params(a: &SubscriptionIdArgs, mut input: Input) -> Result<String, CliError> {
    set_subscription(a.given(), &a.input, &mut input, "ID or --id")?;
    let IdParams { subscription_id } = input.finish()?;
    Ok(subscription_id)
}

async fn call_enable(ready: Ready<String>) -> Result<u8, CliError> {
    let req = pb::EnableSubscriptionRequest { id: ready.params };
    let s = ready
        .conn
        .call("EnableSubscription", req, |mut c, r| async move {
            c.enable_subscription(r).await
        })
        .await?;
    ready.printer.print(&shape::subscription_output(&s))?;
    Ok(exit::SUCCESS)
}

/// Puts the subscription id given on the command line into the input;
/// without it and without an input file, says it is missing as clap would.
pub(super) fn set_subscription(
    given: Option<&str>,
    opts: &InputOptions,
    input: &mut Input,
    flag: &str,
) -> Result<(), CliError> {
    match given {
        Some(id) => input.set("SubscriptionId", Value::String(id.to_string())),
        None if opts.cli_input_json.is_none() && opts.cli_input_yaml.is_none() => {
            return Err(CliError::Usage(format!(
                "the following required argument was not provided: {flag} (a subscription id, \
                 as `subscriptions list` shows it)"
            )))
        }
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::client::flags::ClientCommand;

    #[derive(Parser)]
    struct Argv {
        #[command(subcommand)]
        cmd: ClientCommand,
    }

    /// The id `org-invites subscriptions enable ARGV...` sends.
    fn enabled(argv: &[&str]) -> Result<String, CliError> {
        let argv = ["org-invites", "subscriptions", "enable"]
            .iter()
            .chain(argv);
        let parsed = Argv::try_parse_from(argv).map_err(|e| CliError::Usage(e.to_string()))?;
        let ClientCommand::Subscriptions(SubscriptionsCommand::Enable(a)) = parsed.cmd else {
            unreachable!("a subscriptions enable command line")
        };
        let input = Input::new(
            &schema::SUBSCRIPTION_ID,
            a.input.cli_input_json.as_deref(),
            a.input.cli_input_yaml.as_deref(),
        )?;
        enable_params(&a, input)
    }

    #[test]
    fn the_id_is_positional_or_a_flag_as_for_campaigns() {
        assert_eq!(enabled(&["hooks"]).unwrap(), "hooks");
        assert_eq!(enabled(&["--id", "hooks"]).unwrap(), "hooks");
        let from_file = enabled(&["--cli-input-json", r#"{"SubscriptionId": "bus"}"#]);
        assert_eq!(from_file.unwrap(), "bus");
        assert!(matches!(
            enabled(&["hooks", "--id", "bus"]),
            Err(CliError::Usage(_))
        ));
        match enabled(&[]) {
            Err(CliError::Usage(m)) => assert!(m.contains("ID or --id"), "{m}"),
            other => panic!("expected a usage error, got {other:?}"),
        }
    }
}
