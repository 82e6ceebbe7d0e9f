//! `campaign watch` and `campaign create --watch`: WatchCampaign's stream
//! until the campaign is DONE or CANCELED. With a terminal on stdout and
//! stderr, a progress bar on stderr and the campaign as it ended on
//! stdout; otherwise the campaign at each change on stdout (and the bar on
//! stderr when that is a terminal). Streams cut by a restart are reopened
//! as the handshake watches' are; the first message of a reopened stream
//! is not printed again when nothing changed.
use std::io::IsTerminal;

use super::{interruptible, Reconnects};
use crate::client::{
    conn::{trace, Conn},
    exit::{self, CliError},
    mask::Mask,
    output::Printer,
    progress::Bar,
    shape,
};
use crate::proto::v1 as pb;

const METHOD: &str = "WatchCampaign";

/// Follows campaign `id` until it ends; the exit code says how (`verdict`).
/// `printed`: the campaign as already on stdout (`create --watch`).
pub async fn until_over(
    conn: &Conn,
    printer: &Printer,
    id: &str,
    printed: Option<pb::Campaign>,
) -> Result<u8, CliError> {
    interruptible(follow(conn, printer, id, printed)).await
}

/// The exit code once `c` is over: DONE with every target COMPLETE or
/// SKIPPED is 0, DONE otherwise CAMPAIGN_INCOMPLETE, CANCELED
/// CAMPAIGN_CANCELED; `None` while it is ACTIVE or PAUSED.
pub fn verdict(c: &pb::Campaign) -> Option<u8> {
    match pb::CampaignState::try_from(c.state).ok()? {
        pb::CampaignState::Done => {
            let n = c.counts.unwrap_or_default();
            Some(if n.complete + n.skipped == n.total {
                exit::SUCCESS
            } else {
                exit::CAMPAIGN_INCOMPLETE
            })
        }
        pb::CampaignState::Canceled => Some(exit::CAMPAIGN_CANCELED),
        _ => None,
    }
}

/// Whether each change goes to stdout: unless the bar shows them and
/// stdout is a terminal (where the bar says it all and the end is printed).
fn print_each(bar: &Bar) -> bool {
    !(bar.is_drawn() && std::io::stdout().is_terminal())
}

async fn follow(
    conn: &Conn,
    printer: &Printer,
    id: &str,
    mut printed: Option<pb::Campaign>,
) -> Result<u8, CliError> {
    let bar = Bar::start(id);
    let each = print_each(&bar);
    let mut reconnects = Reconnects::new(conn, METHOD);
    let mut last = None;
    loop {
        let req = pb::WatchCampaignRequest { id: id.to_string() };
        trace(conn.debug, format_args!("{METHOD} request: {req:?}"));
        let mut stream = match conn
            .with_read_timeout(conn.client().watch_campaign(req))
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
                Ok(Some(c)) => {
                    reconnects.reset();
                    trace(
                        conn.debug,
                        format_args!("{METHOD} message: {:?}", c.masked()),
                    );
                    bar.set(&c);
                    if each && printed.as_ref() != Some(&c) {
                        bar.pause(|| printer.print_streamed(&shape::campaign_output(&c)))?;
                        printed = Some(c.clone());
                    }
                    if let Some(code) = verdict(&c) {
                        if !each {
                            bar.pause(|| printer.print_streamed(&shape::campaign_output(&c)))?;
                        }
                        return Ok(code);
                    }
                    last = Some(c);
                }
                Ok(None) => {
                    reconnects.after_end(|| ended(id, last.as_ref())).await?;
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

/// The error once the server has ended the stream too often before the
/// campaign was over.
fn ended(id: &str, last: Option<&pb::Campaign>) -> CliError {
    let state = last
        .and_then(|c| shape::campaign_state_name(c.state))
        .unwrap_or("unknown");
    CliError::Other(format!(
        "the watch of {id} ended before the campaign was DONE or CANCELED (last {state})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(state: pb::CampaignState, counts: pb::CampaignCounts) -> pb::Campaign {
        pb::Campaign {
            state: state as i32,
            counts: Some(counts),
            ..Default::default()
        }
    }

    #[test]
    fn done_with_every_target_complete_or_skipped_is_success() {
        let counts = pb::CampaignCounts {
            total: 3,
            complete: 2,
            skipped: 1,
            ..Default::default()
        };
        let c = campaign(pb::CampaignState::Done, counts);
        assert_eq!(verdict(&c), Some(exit::SUCCESS));
    }

    #[test]
    fn done_with_any_target_failed_declined_canceled_or_expired_is_incomplete() {
        for unhappy in 0..4 {
            let mut counts = pb::CampaignCounts {
                total: 2,
                complete: 1,
                ..Default::default()
            };
            *[
                &mut counts.failed,
                &mut counts.declined,
                &mut counts.canceled,
                &mut counts.expired,
            ][unhappy] = 1;
            let c = campaign(pb::CampaignState::Done, counts);
            assert_eq!(verdict(&c), Some(exit::CAMPAIGN_INCOMPLETE), "{unhappy}");
        }
    }

    #[test]
    fn a_canceled_campaign_has_its_own_code_and_a_running_one_none() {
        let counts = pb::CampaignCounts::default();
        let c = campaign(pb::CampaignState::Canceled, counts);
        assert_eq!(verdict(&c), Some(exit::CAMPAIGN_CANCELED));
        for running in [pb::CampaignState::Active, pb::CampaignState::Paused] {
            assert_eq!(verdict(&campaign(running, counts)), None);
        }
    }
}
