//! What every command does before it calls the service, in one order for
//! all of them so that a bad flag, endpoint or environment fails the same
//! way everywhere and nothing is sent; and the `--state` flag that `list`
//! and `watch-all` share.
use std::future::Future;

use serde_json::Value;

use crate::client::{
    conn::{self, Conn},
    exit::{self, CliError},
    flags::{ClientOptions, InputOptions, Skeleton},
    input::Input,
    output::{self, Printer},
    schema::{self, Shape},
    shape,
};

/// What sets one command apart in the preamble.
pub struct Command {
    /// Its parameters: the input skeleton, and the check of what was given.
    shape: &'static Shape,
    /// Its operation's name, which titles `--output table`.
    operation: &'static str,
    /// What it prints, made up, for `--generate-cli-skeleton output`.
    sample: fn() -> Value,
}

/// A command past the preamble: all it has left is to call the service.
pub struct Ready<P> {
    pub params: P,
    pub printer: Printer,
    pub conn: Conn,
}

impl Command {
    pub const fn new(
        shape: &'static Shape,
        operation: &'static str,
        sample: fn() -> Value,
    ) -> Self {
        Self {
            shape,
            operation,
            sample,
        }
    }

    /// The preamble, then `call` unless a skeleton was asked for (then the
    /// skeleton is printed, nothing is sent, and the exit code is 0).
    /// `params` puts the command's flags on top of `--cli-input-json`/
    /// `-yaml` and finishes the input into the command's parameters.
    pub async fn run<P, Sent>(
        &self,
        input: &InputOptions,
        client: &ClientOptions,
        params: impl FnOnce(Input) -> Result<P, CliError>,
        call: impl FnOnce(Ready<P>) -> Sent,
    ) -> Result<u8, CliError>
    where
        Sent: Future<Output = Result<u8, CliError>>,
    {
        for note in client.ignored.notes() {
            eprintln!("{note}");
        }
        if print_input_skeleton(input, self.shape) {
            return Ok(exit::SUCCESS);
        }
        let given = Input::new(
            self.shape,
            input.cli_input_json.as_deref(),
            input.cli_input_yaml.as_deref(),
        )?;
        let params = params(given)?;
        let printer = Printer::new(
            client.output,
            client.query.as_deref(),
            client.color,
            client.no_cli_pager,
            self.operation,
        )?;
        conn::endpoint(client)?;
        if input.generate_cli_skeleton == Some(Skeleton::Output) {
            printer.print(&(self.sample)())?;
            return Ok(exit::SUCCESS);
        }
        let conn = conn::connect(client).await?;
        call(Ready {
            params,
            printer,
            conn,
        })
        .await
    }
}

/// Prints the input skeleton and returns true when one was asked for.
fn print_input_skeleton(opts: &InputOptions, shape: &Shape) -> bool {
    match opts.generate_cli_skeleton {
        Some(Skeleton::Input) => print!("{}", output::json(&schema::skeleton(shape))),
        Some(Skeleton::YamlInput) => print!("{}", schema::yaml_skeleton(shape)),
        _ => return false,
    }
    true
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::v1 as pb;
    use serde_json::json;

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
