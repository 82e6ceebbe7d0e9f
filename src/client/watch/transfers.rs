//! `watch-transfers`: WatchTransfers' stream, every billing-transfer change
//! from a ResumeToken or from now, printed as it comes until interrupted,
//! with a spinner on stderr when it is a terminal. A stream cut by a
//! restart is reopened after the last event printed, from its ResumeToken,
//! as `watch-all`'s is, so nothing is missed or printed twice.
use super::{interruptible, Reconnects};
use crate::client::{
    conn::{trace, Conn},
    exit::CliError,
    output::Printer,
    progress::Progress,
    shape,
};
use crate::proto::v1 as pb;

const METHOD: &str = "WatchTransfers";

/// Prints every change the request asks for until interrupted.
pub async fn all(
    conn: &Conn,
    printer: &Printer,
    request: pb::WatchTransfersRequest,
) -> Result<u8, CliError> {
    interruptible(follow(conn, printer, Position { request })).await
}

/// Where the watch is: the request that (re)opens the stream, moved on by
/// each event's ResumeToken.
struct Position {
    request: pb::WatchTransfersRequest,
}

impl Position {
    /// `e` is printed: a reopened stream starts after it. An event without
    /// a token leaves the last one in place.
    fn saw(&mut self, e: &pb::TransferEvent) {
        if !e.resume_token.is_empty() {
            self.request.resume_token = e.resume_token.clone();
        }
    }
}

async fn follow(conn: &Conn, printer: &Printer, mut at: Position) -> Result<u8, CliError> {
    let progress = Progress::start("the organization's transfers");
    let mut reconnects = Reconnects::new(conn, METHOD);
    loop {
        let req = at.request.clone();
        trace(conn.debug, format_args!("{METHOD} request: {req:?}"));
        let mut stream = match conn
            .with_read_timeout(conn.client().watch_transfers(req))
            .await?
        {
            Ok(s) => s.into_inner(),
            Err(s) => {
                reconnects.after_status(s).await?;
                continue;
            }
        };
        loop {
            match stream.message().await {
                Ok(Some(e)) => {
                    reconnects.reset();
                    // Nothing in a transfer is masked (it carries no notes).
                    trace(conn.debug, format_args!("{METHOD} event: {e:?}"));
                    progress.pause(|| printer.print_streamed(&shape::transfer_event_output(&e)))?;
                    at.saw(&e);
                    if let Some(t) = &e.transfer {
                        let status = shape::transfer_status_name(t.status).unwrap_or("UNKNOWN");
                        progress.set(&format!("{} {status}", t.id));
                    }
                }
                Ok(None) => {
                    let give_up = || CliError::Other("the server keeps ending the stream".into());
                    reconnects.after_end(give_up).await?;
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
mod tests {
    use super::*;

    fn event(token: &str) -> pb::TransferEvent {
        pb::TransferEvent {
            resume_token: token.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_reopened_stream_starts_after_the_last_event_printed() {
        let mut at = Position {
            request: pb::WatchTransfersRequest {
                resume_token: "from-flag".into(),
                directions: vec![pb::TransferDirection::Inbound as i32],
            },
        };
        at.saw(&event("t1"));
        at.saw(&event("t2"));
        assert_eq!(at.request.resume_token, "t2");
        // An event without a token (none should come) keeps the last one.
        at.saw(&event(""));
        assert_eq!(at.request.resume_token, "t2");
        // The filter is the same on every reconnection.
        assert_eq!(
            at.request.directions,
            [pb::TransferDirection::Inbound as i32]
        );
    }
}
