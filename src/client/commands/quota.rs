//! `quota`: GetInvitationQuota, the daily invitation quota and the account
//! slots invitations hold, as `{"Quota": {...}}`.
use super::preamble::{Command, Ready};
use crate::client::{
    exit::{self, CliError},
    flags::QuotaArgs,
    input::Input,
    schema,
    shape::{self, sample_quota_output},
};
use crate::proto::v1 as pb;

const QUOTA: Command = Command::new(&schema::QUOTA, "GetInvitationQuota", sample_quota_output);

pub async fn run(a: QuotaArgs) -> Result<u8, CliError> {
    QUOTA.run(&a.input, &a.client, params, quota).await
}

/// No parameters; `--cli-input-json '{}'` is checked all the same.
fn params(input: Input) -> Result<(), CliError> {
    let _: serde_json::Value = input.finish()?;
    Ok(())
}

async fn quota(ready: Ready<()>) -> Result<u8, CliError> {
    let q = ready
        .conn
        .call(
            "GetInvitationQuota",
            pb::GetInvitationQuotaRequest {},
            |mut c, r| async move { c.get_invitation_quota(r).await },
        )
        .await?;
    ready.printer.print(&shape::quota_output(&q))?;
    Ok(exit::SUCCESS)
}
