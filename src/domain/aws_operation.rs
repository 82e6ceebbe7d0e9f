//! The AWS operations this service calls (Organizations, STS's AssumeRole
//! and EventBridge's PutEvents), by name: the keys of the request budget (its Postgres
//! rows, which the store seeds for every one at start-up, and
//! `--aws-rate`), and the `operation` label of the AWS metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    InviteAccountToOrganization,
    DescribeHandshake,
    ListHandshakesForOrganization,
    CancelHandshake,
    /// STS, into a role in the invited account.
    AssumeRole,
    /// As the invited account.
    AcceptHandshake,
    /// As the invited account, leaving its previous organization.
    LeaveOrganization,
    ListRoots,
    DescribeOrganizationalUnit,
    ListParents,
    MoveAccount,
    ListTagsForResource,
    TagResource,
    /// The organization's member count.
    ListAccounts,
    /// EventBridge: event delivery to a bus.
    PutEvents,
    /// Billing transfers (and this organization's management account).
    DescribeOrganization,
    InviteOrganizationToTransferResponsibility,
    DescribeResponsibilityTransfer,
    ListInboundResponsibilityTransfers,
    ListOutboundResponsibilityTransfers,
    TerminateResponsibilityTransfer,
    UpdateResponsibilityTransfer,
    /// As the management account, to another organization's transfer.
    DeclineHandshake,
}

impl Operation {
    pub const ALL: [Operation; 23] = [
        Self::InviteAccountToOrganization,
        Self::DescribeHandshake,
        Self::ListHandshakesForOrganization,
        Self::CancelHandshake,
        Self::AssumeRole,
        Self::AcceptHandshake,
        Self::LeaveOrganization,
        Self::ListRoots,
        Self::DescribeOrganizationalUnit,
        Self::ListParents,
        Self::MoveAccount,
        Self::ListTagsForResource,
        Self::TagResource,
        Self::ListAccounts,
        Self::PutEvents,
        Self::DescribeOrganization,
        Self::InviteOrganizationToTransferResponsibility,
        Self::DescribeResponsibilityTransfer,
        Self::ListInboundResponsibilityTransfers,
        Self::ListOutboundResponsibilityTransfers,
        Self::TerminateResponsibilityTransfer,
        Self::UpdateResponsibilityTransfer,
        Self::DeclineHandshake,
    ];

    /// The AWS API name.
    pub fn name(self) -> &'static str {
        match self {
            Self::InviteAccountToOrganization => "InviteAccountToOrganization",
            Self::DescribeHandshake => "DescribeHandshake",
            Self::ListHandshakesForOrganization => "ListHandshakesForOrganization",
            Self::CancelHandshake => "CancelHandshake",
            Self::AssumeRole => "AssumeRole",
            Self::AcceptHandshake => "AcceptHandshake",
            Self::LeaveOrganization => "LeaveOrganization",
            Self::ListRoots => "ListRoots",
            Self::DescribeOrganizationalUnit => "DescribeOrganizationalUnit",
            Self::ListParents => "ListParents",
            Self::MoveAccount => "MoveAccount",
            Self::ListTagsForResource => "ListTagsForResource",
            Self::TagResource => "TagResource",
            Self::ListAccounts => "ListAccounts",
            Self::PutEvents => "PutEvents",
            Self::DescribeOrganization => "DescribeOrganization",
            Self::InviteOrganizationToTransferResponsibility => {
                "InviteOrganizationToTransferResponsibility"
            }
            Self::DescribeResponsibilityTransfer => "DescribeResponsibilityTransfer",
            Self::ListInboundResponsibilityTransfers => "ListInboundResponsibilityTransfers",
            Self::ListOutboundResponsibilityTransfers => "ListOutboundResponsibilityTransfers",
            Self::TerminateResponsibilityTransfer => "TerminateResponsibilityTransfer",
            Self::UpdateResponsibilityTransfer => "UpdateResponsibilityTransfer",
            Self::DeclineHandshake => "DeclineHandshake",
        }
    }

    /// The AWS service it belongs to.
    pub fn service(self) -> &'static str {
        match self {
            Self::AssumeRole => "STS",
            Self::PutEvents => "EventBridge",
            _ => "Organizations",
        }
    }

    /// The operation named `name`, in any letter case.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Every name, for error messages.
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_any_case() {
        for op in Operation::ALL {
            assert_eq!(Operation::parse(op.name()), Some(op));
            assert_eq!(Operation::parse(&op.name().to_lowercase()), Some(op));
        }
        assert_eq!(Operation::parse("Nope"), None);
    }
}
