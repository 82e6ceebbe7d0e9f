//! The label values of the series: each an enum, so a call site names a
//! value that exists and a new one is declared here, once.
use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

use crate::domain::{HandshakeState, Step, TargetState, TransferDirection, TransferStatus};

/// An enum whose values are label values, spelled as `as_str` says.
macro_rules! label_values {
    ($(#[$m:meta])* $v:vis enum $t:ident { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $v enum $t {
            $($(#[$vm])* $variant),+
        }

        impl $t {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $s),+
                }
            }
        }

        impl EncodeLabelValue for $t {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                EncodeLabelValue::encode(&self.as_str(), encoder)
            }
        }
    };
}

label_values! {
    /// Who retried an AWS call.
    pub enum RetrySource {
        /// The SDK's own retries (5xx, throttling, transient network errors).
        Sdk => "sdk",
        /// The poller, after throttling or the shared budget said wait.
        Poller => "poller",
    }
}

label_values! {
    /// The tables whose rows hold JSON a release may not be able to read.
    pub enum StoredTable {
        Handshakes => "handshakes",
        HandshakeEvents => "handshake_events",
        InviteRequests => "invite_requests",
    }
}

label_values! {
    /// The kinds of long-lived stream counted in `org_invites_watch_streams`.
    pub enum WatchMethod {
        WatchHandshake => "WatchHandshake",
        WatchHandshakes => "WatchHandshakes",
        StatusPageEvents => "StatusPageEvents",
        WatchCampaign => "WatchCampaign",
        WatchTransfers => "WatchTransfers",
    }
}

label_values! {
    /// How a sweep, or a reload of a changed file, went.
    pub enum Outcome {
        Ok => "ok",
        Error => "error",
    }
}

label_values! {
    /// Why an InviteAccount attempt was taken over from its owner.
    pub enum AbandonedBy {
        /// Its owner's replica session ended.
        OwnerGone => "owner_gone",
        /// It was in flight for longer than `--invite-grace`.
        Grace => "grace",
    }
}

label_values! {
    /// How one attempt of an onboarding step ended.
    pub enum StepResult {
        Ok => "ok",
        /// Failed for a passing reason: tried again later.
        Retry => "retry",
        Failed => "failed",
    }
}

/// Onboarding steps label their series by the domain's names.
impl EncodeLabelValue for Step {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

/// Campaign target states likewise.
impl EncodeLabelValue for TargetState {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

/// Handshake states likewise.
impl EncodeLabelValue for HandshakeState {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

/// Billing transfer statuses and directions likewise.
impl EncodeLabelValue for TransferStatus {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

impl EncodeLabelValue for TransferDirection {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}
