//! What reaches stdout: `--query` (JMESPath) applied to the AWS-shaped
//! response, rendered as `--output` json, yaml, yaml-stream, text or table,
//! through a pager when stdout is a terminal.
use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use serde::Serialize;
use serde_json::Value;

use super::{exit::CliError, table, text};

mod order;
use order::Ordered;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Yaml,
    YamlStream,
    Text,
    Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    On,
    Off,
    Auto,
}

/// JSON as the AWS CLI prints it: four-space indent, non-ASCII kept.
pub fn json(value: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    Ordered(value)
        .serialize(&mut ser)
        .expect("JSON values serialize");
    let mut s = String::from_utf8(buf).expect("serde_json writes UTF-8");
    s.push('\n');
    s
}

pub fn yaml(value: &Value) -> String {
    serde_norway::to_string(&Ordered(value)).expect("JSON values serialize as YAML")
}

pub struct Printer {
    format: Format,
    query: Option<jmespath::Expression<'static>>,
    color: bool,
    pager: bool,
    /// The table's title: the operation's name, as the AWS CLI uses it.
    title: &'static str,
}

impl Printer {
    pub fn new(
        format: Option<Format>,
        query: Option<&str>,
        color: Color,
        no_pager: bool,
        title: &'static str,
    ) -> Result<Self, CliError> {
        let format = match format {
            Some(f) => f,
            None => match std::env::var("ORG_INVITES_OUTPUT") {
                Ok(v) if !v.is_empty() => Format::from_str(&v, true).map_err(|_| {
                    CliError::Config(format!(
                        "ORG_INVITES_OUTPUT={v:?} is not one of json, yaml, yaml-stream, text, table"
                    ))
                })?,
                _ => Format::Json,
            },
        };
        let query = query
            .map(|q| {
                jmespath::compile(q)
                    .map_err(|e| CliError::Usage(format!("Bad value for --query {q}: {e}")))
            })
            .transpose()?;
        let stdout_tty = std::io::stdout().is_terminal();
        let color = match color {
            Color::On => true,
            Color::Off => false,
            Color::Auto => stdout_tty && std::env::var_os("NO_COLOR").is_none(),
        };
        Ok(Self {
            format,
            query,
            color,
            pager: stdout_tty && !no_pager,
            title,
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// `--query` applied, then rendered in the chosen format.
    pub fn render(&self, value: &Value) -> Result<String, CliError> {
        let value = match &self.query {
            None => value.clone(),
            Some(q) => {
                let found = q
                    .search(value.clone())
                    .map_err(|e| CliError::Other(format!("--query failed: {e}")))?;
                serde_json::to_value(&*found).expect("JMESPath results are JSON")
            }
        };
        Ok(match self.format {
            Format::Json if value == Value::Object(Default::default()) => String::new(),
            Format::Json => json(&value),
            Format::Yaml => yaml(&value),
            Format::YamlStream => yaml(&Value::Array(vec![value])),
            Format::Text => text::render(&value),
            Format::Table => table::render(self.title, &value, terminal_width(), self.color),
        })
    }

    /// A whole response, through the pager when stdout is a terminal.
    pub fn print(&self, value: &Value) -> Result<(), CliError> {
        let out = self.render(value)?;
        if self.pager {
            if let Some(cmd) = pager_command() {
                if page(&cmd, &out).is_ok() {
                    return Ok(());
                }
            }
        }
        write_stdout(&out)
    }

    /// One message of a stream (or one page): at once, never paged.
    pub fn print_streamed(&self, value: &Value) -> Result<(), CliError> {
        write_stdout(&self.render(value)?)
    }
}

fn write_stdout(s: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // The reader went away (`| head`): nothing more to say.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Other(format!("cannot write to stdout: {e}"))),
    }
}

/// `ORG_INVITES_PAGER`, else `PAGER`, else `less`; empty means none.
fn pager_command() -> Option<String> {
    let cmd = std::env::var("ORG_INVITES_PAGER")
        .or_else(|_| std::env::var("PAGER"))
        .unwrap_or_else(|_| "less".into());
    (!cmd.trim().is_empty()).then_some(cmd)
}

fn page(cmd: &str, text: &str) -> std::io::Result<()> {
    let mut child = std::process::Command::new("sh")
        .args(["-c", cmd])
        // As the AWS CLI does: quit if one screen, keep colours, no clearing.
        .env(
            "LESS",
            std::env::var("LESS").unwrap_or_else(|_| "FRX".into()),
        )
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A pager quit early (`q`) closes the pipe; that is fine.
        let _ = stdin.write_all(text.as_bytes());
    }
    child.wait()?;
    Ok(())
}

/// Columns of the terminal on stdout, or 80 (as awscli assumes) if none.
fn terminal_width() -> usize {
    terminal_width_of(libc::STDOUT_FILENO).unwrap_or(80)
}

/// Columns of the terminal on `fd`, if it is one.
pub fn terminal_width_of(fd: libc::c_int) -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills a `winsize` we own; on failure we ignore it.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_col > 0).then_some(usize::from(ws.ws_col))
}
