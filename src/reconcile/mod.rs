//! The background work the polling replica drives, apart from the RPCs:
//! keeping this service's record in step with AWS (the sweep), finishing
//! what an interrupted InviteAccount left (repair), and carrying each
//! invitation through its life (onboarding, the expiry warning, renewal,
//! the member count, campaigns). Each job is a small type with its own
//! outcome; a job to come (event delivery) gets a file here.
mod campaigns;
pub mod delivery;
mod expiry;
mod members;
mod onboarding;
mod renew;
mod repair;
mod sweep;
mod transfers;

pub use campaigns::{CampaignReport, Campaigns};
pub use expiry::ExpiryWarnings;
pub use members::CountMembers;
pub use onboarding::{Onboard, OnboardReport};
pub use renew::{Renew, RenewReport};
pub use repair::{Repair, Repaired};
pub use sweep::{Sweep, SweepReport};
pub use transfers::{TransferReport, Transfers};

use crate::service::Invitations;

/// Every job, over the service's store, AWS client and metrics. The RPC
/// side (`Invitations`) is what renewals send through and what repair
/// records with, so a job and an RPC never do the same step two ways.
#[derive(Clone)]
pub struct Reconciler {
    invitations: Invitations,
}

impl Reconciler {
    pub fn over(invitations: Invitations) -> Self {
        Self { invitations }
    }

    pub fn sweep(&self) -> Sweep<'_> {
        Sweep::new(&self.invitations)
    }

    pub fn onboard(&self) -> Onboard<'_> {
        Onboard::new(&self.invitations)
    }

    pub fn renew(&self) -> Renew<'_> {
        Renew::new(&self.invitations)
    }

    pub fn expiry_warnings(&self) -> ExpiryWarnings<'_> {
        ExpiryWarnings::new(&self.invitations)
    }

    pub fn campaigns(&self) -> Campaigns<'_> {
        Campaigns::new(&self.invitations)
    }

    pub fn transfers(&self) -> Transfers<'_> {
        Transfers::new(&self.invitations)
    }

    pub fn count_members(&self) -> CountMembers<'_> {
        CountMembers::new(&self.invitations)
    }
}
