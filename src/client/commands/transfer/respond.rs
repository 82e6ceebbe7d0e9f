//! `accept-handshake` and `decline-handshake` (AcceptTransfer,
//! DeclineTransfer): this organization answers a billing-transfer
//! invitation another one sent. AWS answers with the handshake, and
//! scripts written for `aws organizations accept-handshake` read it
//! (`--query Handshake.State`); the service answers with the transfer, so
//! the handshake is read back (GetHandshake) and printed as AWS prints it,
//! its TransferId naming the transfer.
use serde::Deserialize;

use super::super::preamble::{Command, Ready};
use crate::client::{
    exit::{self, CliError},
    flags::HandshakeIdArgs,
    input::Input,
    schema, shape,
};
use crate::proto::v1 as pb;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Decline,
}

impl Answer {
    fn command(self) -> Command {
        Command::new(
            &schema::BY_ID,
            self.operation(),
            shape::sample_handshake_output,
        )
    }

    fn operation(self) -> &'static str {
        match self {
            Self::Accept => "AcceptTransfer",
            Self::Decline => "DeclineTransfer",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Self::Accept => "accepted",
            Self::Decline => "declined",
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdParams {
    handshake_id: String,
}

pub async fn run(a: HandshakeIdArgs, answer: Answer) -> Result<u8, CliError> {
    answer
        .command()
        .run(
            &a.input,
            &a.client,
            |i| params(&a, i),
            |r| respond(r, answer),
        )
        .await
}

pub(super) fn params(a: &HandshakeIdArgs, mut input: Input) -> Result<String, CliError> {
    if let Some(id) = &a.handshake_id {
        input.set_flag("HandshakeId", "--handshake-id", id)?;
    }
    let IdParams { handshake_id } = input.finish()?;
    Ok(handshake_id)
}

async fn respond(ready: Ready<String>, answer: Answer) -> Result<u8, CliError> {
    let (id, conn) = (ready.params, &ready.conn);
    let t = match answer {
        Answer::Accept => {
            let req = pb::AcceptTransferRequest {
                handshake_id: id.clone(),
            };
            conn.call("AcceptTransfer", req, |mut c, r| async move {
                c.accept_transfer(r).await
            })
            .await?
        }
        Answer::Decline => {
            let req = pb::DeclineTransferRequest {
                handshake_id: id.clone(),
            };
            conn.call("DeclineTransfer", req, |mut c, r| async move {
                c.decline_transfer(r).await
            })
            .await?
        }
    };
    let req = pb::GetHandshakeRequest { id: id.clone() };
    let mut h = conn
        .call("GetHandshake", req, |mut c, r| async move {
            c.get_handshake(r).await
        })
        .await
        // The answer is given and cannot be given again: say so, so that
        // the error below is not taken for a refusal and retried.
        .inspect_err(|_| eprintln!("{}", read_back_failed(&id, answer, &t)))?;
    if h.transfer_id.is_empty() {
        h.transfer_id = t.id;
    }
    ready.printer.print(&shape::handshake_output(&h))?;
    Ok(exit::SUCCESS)
}

/// The note when the answer went through but the handshake could not be
/// read back.
fn read_back_failed(id: &str, answer: Answer, t: &pb::ResponsibilityTransfer) -> String {
    let status = shape::transfer_status_name(t.status).unwrap_or("unknown");
    format!(
        "note: {id} was {}: transfer {} is {status}; only reading the handshake back failed \
         (`org-invites describe-responsibility-transfer --id {}` shows the transfer)",
        answer.done(),
        t.id,
        t.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_read_back_says_the_answer_was_given() {
        let t = pb::ResponsibilityTransfer {
            id: "rt-abcdefgh".into(),
            status: pb::ResponsibilityTransferStatus::Accepted as i32,
            ..Default::default()
        };
        assert_eq!(
            read_back_failed("h-12345678", Answer::Accept, &t),
            "note: h-12345678 was accepted: transfer rt-abcdefgh is ACCEPTED; only reading the \
             handshake back failed (`org-invites describe-responsibility-transfer --id \
             rt-abcdefgh` shows the transfer)"
        );
        assert_eq!(Answer::Decline.operation(), "DeclineTransfer");
    }
}
