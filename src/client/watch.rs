//! `watch ID`, `invite --wait` and `watch-all`: the server streams, printed
//! as they come, with a spinner on stderr when it is a terminal. A watch of
//! one handshake ends once it is terminal and, when it has an onboarding,
//! once that is over (or FAILED, even while the invitation stays open).
//! An expired handshake that is renewed is followed to its renewal, until
//! one ends without a renewal. Streams cut by a server restart
//! (UNAVAILABLE) are reopened, from the last ResumeToken for `watch-all`,
//! after a wait with jitter (`reconnect`). `campaign` and `transfers`
//! follow their own streams the same way.
use tonic::Streaming;

use super::{
    conn::{trace, Conn},
    exit::{self, CliError},
    mask::Mask,
    output::Printer,
    progress::Progress,
    shape,
};
use crate::proto::v1 as pb;

pub mod campaign;
mod reconnect;
pub mod transfers;
mod verdict;
use reconnect::Reconnects;
#[cfg(test)]
use reconnect::MAX_RECONNECTS;
pub use verdict::{after, After, Seen};

enum Next {
    Event(Box<pb::HandshakeEvent>),
    Ended,
}

async fn next(stream: &mut Streaming<pb::HandshakeEvent>) -> Result<Next, tonic::Status> {
    Ok(match stream.message().await? {
        Some(e) => Next::Event(Box::new(e)),
        None => Next::Ended,
    })
}

/// Runs a watch until it returns or Ctrl-C (exit 130). One listener for the
/// whole watch, so a Ctrl-C during a reconnection is not lost; the spinner
/// is cleared either way.
async fn interruptible(
    watch: impl std::future::Future<Output = Result<u8, CliError>>,
) -> Result<u8, CliError> {
    tokio::select! {
        result = watch => result,
        _ = tokio::signal::ctrl_c() => Ok(exit::INTERRUPTED),
    }
}

/// Prints the handshake's changes until the wait is over (`after`), and
/// its renewals' when it expires and is renewed; the exit code says how
/// the last one ended. `printed` is what is already shown (by `invite`).
pub async fn until_settled(
    conn: &Conn,
    printer: &Printer,
    id: &str,
    printed: Option<Seen>,
) -> Result<u8, CliError> {
    let id = id.to_string();
    interruptible(follow(conn, printer, Subject::One { id, printed })).await
}

/// Prints every change in the organization until interrupted.
pub async fn all(
    conn: &Conn,
    printer: &Printer,
    resume_token: String,
    states: Vec<i32>,
) -> Result<u8, CliError> {
    let subject = Subject::All {
        resume_token,
        states,
    };
    interruptible(follow(conn, printer, subject)).await
}

/// What is watched, with what a reopened stream needs to go on: the
/// handshake and what is on screen of it (`watch`, `invite --wait`), or the
/// organization from the last ResumeToken seen (`watch-all`).
enum Subject {
    One {
        id: String,
        printed: Option<Seen>,
    },
    All {
        resume_token: String,
        states: Vec<i32>,
    },
}

type Opened = Result<tonic::Response<Streaming<pb::HandshakeEvent>>, tonic::Status>;

impl Subject {
    fn method(&self) -> &'static str {
        match self {
            Self::One { .. } => "WatchHandshake",
            Self::All { .. } => "WatchHandshakes",
        }
    }

    /// The stream, or the status it was refused with; the outer error is
    /// the read timeout.
    async fn open(&self, conn: &Conn) -> Result<Opened, CliError> {
        match self {
            Self::One { id, .. } => {
                let req = pb::WatchHandshakeRequest { id: id.to_string() };
                trace(conn.debug, format_args!("WatchHandshake request: {req:?}"));
                conn.with_read_timeout(conn.client().watch_handshake(req))
                    .await
            }
            Self::All {
                resume_token,
                states,
            } => {
                let req = pb::WatchHandshakesRequest {
                    resume_token: resume_token.clone(),
                    states: states.clone(),
                };
                trace(conn.debug, format_args!("WatchHandshakes request: {req:?}"));
                conn.with_read_timeout(conn.client().watch_handshakes(req))
                    .await
            }
        }
    }

    /// Shows one event and says what comes next. `first`: the first event
    /// since the stream was (re)opened.
    fn event(
        &mut self,
        e: &pb::HandshakeEvent,
        first: bool,
        printer: &Printer,
        progress: &Progress,
    ) -> Result<After, CliError> {
        let print = || progress.pause(|| printer.print_streamed(&shape::event_output(e)));
        match self {
            Self::One { id, printed } => {
                let seen = e.handshake.as_ref().map_or_else(Seen::default, Seen::of);
                progress.set(&seen.describe(id));
                // Each (re)connection starts with the handshake as it is,
                // which may be what is already on screen.
                if !(first && printed.as_ref() == Some(&seen)) {
                    print()?;
                    *printed = Some(seen);
                }
                Ok(e.handshake.as_ref().map_or(After::Wait, after))
            }
            Self::All { resume_token, .. } => {
                if !e.resume_token.is_empty() {
                    *resume_token = e.resume_token.clone();
                }
                print()?;
                if let Some(h) = &e.handshake {
                    let state = shape::state_name(h.state).unwrap_or("UNKNOWN");
                    progress.set(&format!("{} {state}", h.id));
                }
                Ok(After::Wait)
            }
        }
    }

    /// The error once the server has ended the stream too often.
    fn ended(&self) -> CliError {
        match self {
            Self::One { id, printed } => {
                let onboarding = printed.as_ref().is_some_and(|p| p.onboarding.is_some());
                CliError::Other(format!(
                    "the watch of {id} ended before the handshake was ACCEPTED, \
                     DECLINED, CANCELED or EXPIRED{}",
                    if onboarding {
                        " and its onboarding was over"
                    } else {
                        ""
                    }
                ))
            }
            Self::All { .. } => CliError::Other("the server keeps ending the stream".into()),
        }
    }
}

/// After `old` expired and was renewed as `new`: says so on stderr and
/// watches `new` from its first message.
fn renewed(subject: &mut Subject, new: String, progress: &Progress) {
    if let Subject::One { id, printed } = subject {
        progress.pause(|| eprintln!("note: {id} expired and was renewed as {new}; following it"));
        *id = new;
        *printed = None;
    }
}

/// Opens the stream, shows each event, and reopens the stream when the
/// server cuts it, the same way for every subject (on a renewal's when
/// the handshake is renewed).
async fn follow(conn: &Conn, printer: &Printer, mut subject: Subject) -> Result<u8, CliError> {
    let progress = Progress::start(match &subject {
        Subject::One { id, .. } => id,
        Subject::All { .. } => "the organization",
    });
    let method = subject.method();
    let mut reconnects = Reconnects::new(conn, method);
    loop {
        let mut stream = match subject.open(conn).await? {
            Ok(s) => s.into_inner(),
            Err(s) => {
                reconnects.after_status(s).await?;
                continue;
            }
        };
        let mut first = true;
        loop {
            match next(&mut stream).await {
                Ok(Next::Event(e)) => {
                    reconnects.reset();
                    trace(conn.debug, format_args!("{method} event: {:?}", e.masked()));
                    match subject.event(&e, first, printer, &progress)? {
                        After::Wait => first = false,
                        After::Exit(code) => return Ok(code),
                        After::Follow(new) => {
                            renewed(&mut subject, new, &progress);
                            reconnects.reset();
                            break;
                        }
                    }
                }
                Ok(Next::Ended) => {
                    reconnects.after_end(|| subject.ended()).await?;
                    break;
                }
                Err(s) => {
                    reconnects.after_status(s).await?;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
