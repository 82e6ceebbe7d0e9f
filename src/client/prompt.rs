//! `--cli-auto-prompt`: asks on the terminal for each parameter of the
//! command that the command line did not give, showing its help, then
//! runs the command as if the answers had been typed as flags.
use std::io::{BufRead, IsTerminal, Write};

use clap::{parser::ValueSource, ArgAction, Args, CommandFactory, Parser};

use super::{
    exit::CliError,
    flags::{ClientCommand, ClientOptions, InputOptions, PromptOptions},
};

/// The client's command line alone, to parse it again with the answers.
#[derive(Parser)]
#[command(name = "org-invites")]
struct Argv {
    #[command(subcommand)]
    cmd: ClientCommand,
}

/// Whether to prompt: `--cli-auto-prompt` (or its environment variable),
/// unless `--no-cli-auto-prompt` says otherwise.
pub fn wanted(opts: &PromptOptions) -> bool {
    opts.cli_auto_prompt && !opts.no_cli_auto_prompt
}

/// The command `name` with this process's arguments and the answers to
/// the prompts, asked on stderr and read from stdin, which must be a
/// terminal.
pub fn ask(name: &str) -> Result<ClientCommand, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "--cli-auto-prompt asks on a terminal, and stdin is not one; give the \
             parameters as flags or with --cli-input-json instead, or add \
             --no-cli-auto-prompt"
                .into(),
        ));
    }
    // What follows the subcommand's name (`campaign create`: both words,
    // one after the other); before it are only the binary's own options,
    // whose values are never a subcommand's name.
    let words: Vec<&str> = name.split(' ').collect();
    let args: Vec<String> = std::env::args()
        .skip_while(|a| a != words[0])
        .skip(words.len())
        .collect();
    let answered = with_answers(
        name,
        args,
        &mut std::io::stdin().lock(),
        &mut std::io::stderr(),
    )?;
    parse(name, answered)
}

fn parse(name: &str, args: Vec<String>) -> Result<ClientCommand, CliError> {
    let argv = std::iter::once("org-invites")
        .chain(name.split(' '))
        .map(String::from)
        .chain(args);
    Argv::try_parse_from(argv)
        .map(|a| a.cmd)
        .map_err(|e| CliError::Usage(e.to_string()))
}

/// `args` with `--flag value` added for each of the command's own
/// parameters not in it and answered (an empty answer leaves it out).
fn with_answers(
    name: &str,
    mut args: Vec<String>,
    input: &mut impl BufRead,
    prompts: &mut impl Write,
) -> Result<Vec<String>, CliError> {
    let mut command = Argv::command();
    command.build();
    let sub = name
        .split(' ')
        .try_fold(&command, |c, word| c.find_subcommand(word))
        .expect("the command being run is a client subcommand")
        .clone();
    let given = sub
        .clone()
        .try_get_matches_from(std::iter::once(name.to_string()).chain(args.iter().cloned()))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let shared = shared_ids();
    let io = |e: std::io::Error| CliError::Other(format!("cannot prompt: {e}"));
    for arg in sub.get_arguments() {
        let id = arg.get_id().as_str();
        if shared.iter().any(|s| s == id)
            || arg.is_hide_set()
            || given.value_source(id) == Some(ValueSource::CommandLine)
        {
            continue;
        }
        let flag = arg.get_long().map(|l| format!("--{l}"));
        let is_switch = matches!(arg.get_action(), ArgAction::SetTrue);
        let label = flag.clone().unwrap_or_else(|| id.to_ascii_uppercase());
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        let hint = if is_switch { " [y/N]" } else { "" };
        write!(prompts, "{label}{hint}: {}\n> ", help.replace('\n', " ")).map_err(io)?;
        prompts.flush().map_err(io)?;
        let mut line = String::new();
        input.read_line(&mut line).map_err(io)?;
        let answer = line.trim();
        if answer.is_empty() {
            continue;
        }
        match (flag, is_switch) {
            (Some(f), true) => {
                if matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
                    args.push(f);
                }
            }
            (Some(f), false) if takes_many(arg) && !answer.starts_with(['[', '{']) => {
                args.push(f);
                args.extend(answer.split_whitespace().map(String::from));
            }
            // `--flag=value`, so a value that starts with `-` is not
            // taken for a flag.
            (Some(f), false) => args.push(format!("{f}={answer}")),
            (None, _) => args.push(answer.to_string()),
        }
    }
    Ok(args)
}

fn takes_many(arg: &clap::Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.max_values() > 1)
}

/// The options every command shares (connection, output, input files):
/// not the command's parameters, so not prompted for.
fn shared_ids() -> Vec<String> {
    let ids = |c: clap::Command| -> Vec<String> {
        c.get_arguments()
            .map(|a| a.get_id().as_str().to_string())
            .collect()
    };
    let mut all = ids(ClientOptions::augment_args(clap::Command::new("shared")));
    all.extend(ids(InputOptions::augment_args(clap::Command::new(
        "shared",
    ))));
    all.extend(["help".to_string(), "version".to_string()]);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arguments after `name ARGS...` with `answers` typed in, and
    /// what was shown.
    fn run(name: &str, args: &[&str], answers: &str) -> (Vec<String>, String) {
        let mut shown = Vec::new();
        let args = args.iter().map(|s| s.to_string()).collect();
        let out = with_answers(name, args, &mut answers.as_bytes(), &mut shown).unwrap();
        (out, String::from_utf8(shown).unwrap())
    }

    #[test]
    fn each_parameter_not_given_is_asked_for_with_its_help() {
        // invite's parameters, in order: target (given), notes, tags,
        // destination-parent-id, accept-role, external-id,
        // on-accept-failure, leave-previous-organization, max-renewals,
        // if-open-exists, request-id, wait.
        let answers = [
            "Welcome aboard",
            "Key=team,Value=a Key=env,Value=",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "y\n",
        ]
        .join("\n");
        let (args, shown) = run(
            "invite",
            &["--target", "Id=123456789012,Type=ACCOUNT"],
            &answers,
        );
        assert_eq!(
            args,
            [
                "--target",
                "Id=123456789012,Type=ACCOUNT",
                "--notes=Welcome aboard",
                "--tags",
                "Key=team,Value=a",
                "Key=env,Value=",
                "--wait"
            ]
        );
        assert!(!shown.contains("--target"), "given, so not asked: {shown}");
        assert!(
            shown.contains("--notes: Text for the email to the account owner"),
            "{shown}"
        );
        assert!(shown.contains("--wait [y/N]: "), "{shown}");
        assert!(
            !shown.contains("--endpoint"),
            "shared options are not asked: {shown}"
        );
        let cmd = parse("invite", args).unwrap();
        let ClientCommand::Invite(a) = cmd else {
            panic!("an invite")
        };
        assert!(a.wait);
        assert_eq!(a.spec.tags.map(|t| t.len()), Some(2));
    }

    #[test]
    fn a_positional_parameter_is_asked_for_by_name() {
        let (args, shown) = run("get", &["--output", "text"], "h-abcdefgh\n");
        assert_eq!(args, ["--output", "text", "h-abcdefgh"]);
        assert!(shown.starts_with("ID: The handshake id"), "{shown}");
    }

    #[test]
    fn an_answer_that_starts_with_a_dash_is_a_value() {
        let (args, _) = run("list", &[], "\n-x\n");
        assert!(args.contains(&"--target=-x".to_string()), "{args:?}");
    }

    #[test]
    fn a_campaign_subcommand_is_asked_for_its_own_parameters() {
        // campaign create's first parameters: targets-file, name.
        let (args, shown) = run("campaign create", &[], "targets.csv\nQ3 accounts\n");
        assert_eq!(
            args[..2],
            ["--targets-file=targets.csv", "--name=Q3 accounts"]
        );
        assert!(
            shown.starts_with("--targets-file: The accounts to invite"),
            "{shown}"
        );
        let cmd = parse("campaign create", args).unwrap();
        let ClientCommand::Campaign(crate::client::flags::CampaignCommand::Create(a)) = cmd else {
            panic!("a campaign create")
        };
        assert_eq!(a.name.as_deref(), Some("Q3 accounts"));
    }

    #[test]
    fn a_transfer_invitation_is_asked_for_its_aws_parameters() {
        // Its parameters, in order: type, target, start-timestamp,
        // source-name, notes, tags, request-id.
        let answers = "BILLING\nId=222222222222,Type=ACCOUNT\n2027-02-01T00:00:00Z\nShared\n";
        let name = "invite-organization-to-transfer-responsibility";
        let (args, shown) = run(name, &[], answers);
        assert_eq!(
            args,
            [
                "--type=BILLING",
                "--target=Id=222222222222,Type=ACCOUNT",
                "--start-timestamp=2027-02-01T00:00:00Z",
                "--source-name=Shared"
            ]
        );
        assert!(
            shown.starts_with("--type: What the other organization"),
            "{shown}"
        );
        let ClientCommand::Transfer(_) = parse(name, args).unwrap() else {
            panic!("a transfer command")
        };
    }

    #[test]
    fn without_answers_the_command_is_as_given() {
        let (args, _) = run("quota", &["--no-cli-pager"], "");
        assert_eq!(args, ["--no-cli-pager"]);
    }

    #[test]
    fn no_cli_auto_prompt_wins() {
        let opts = |on, off| PromptOptions {
            cli_auto_prompt: on,
            no_cli_auto_prompt: off,
        };
        assert!(wanted(&opts(true, false)));
        assert!(!wanted(&opts(true, true)));
        assert!(!wanted(&opts(false, false)));
    }
}
