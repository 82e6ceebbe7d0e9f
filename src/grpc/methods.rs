//! The one table of this server's methods: the role each needs, whether it
//! streams, and its metric label. The auth, limits and metrics layers all
//! read it. Fail closed: a path of no listed method, and of no open service
//! (health, reflection), is refused, so an RPC added to the proto stays
//! closed until it is given a row here.
use crate::{auth::Role, proto::v1::invitation_service_server::SERVICE_NAME};

/// One RPC of `orginvites.v1.InvitationService`.
#[derive(Debug, PartialEq, Eq)]
pub struct Method {
    /// As in the proto; also the `method` label of the RPC metrics.
    pub name: &'static str,
    /// The least role that may call it.
    pub role: Role,
    /// A server stream (a watch): counted per identity, held open for long.
    pub streams: bool,
}

const fn method(name: &'static str, role: Role, streams: bool) -> Method {
    Method {
        name,
        role,
        streams,
    }
}

pub const METHODS: [Method; 27] = [
    method("InviteAccount", Role::Inviter, false),
    method("GetHandshake", Role::Reader, false),
    method("ListHandshakes", Role::Reader, false),
    method("CancelHandshake", Role::Inviter, false),
    method("WatchHandshake", Role::Reader, true),
    method("WatchHandshakes", Role::Reader, true),
    method("GetInvitationQuota", Role::Reader, false),
    method("CreateCampaign", Role::Inviter, false),
    method("GetCampaign", Role::Reader, false),
    method("ListCampaigns", Role::Reader, false),
    method("ListCampaignTargets", Role::Reader, false),
    method("PauseCampaign", Role::Inviter, false),
    method("ResumeCampaign", Role::Inviter, false),
    method("CancelCampaign", Role::Inviter, false),
    method("WatchCampaign", Role::Reader, true),
    method("ListSubscriptions", Role::Reader, false),
    method("ListDeliveries", Role::Reader, false),
    method("RedeliverEvents", Role::Admin, false),
    method("EnableSubscription", Role::Admin, false),
    method("InviteTransfer", Role::Inviter, false),
    method("GetTransfer", Role::Reader, false),
    method("ListTransfers", Role::Reader, false),
    method("WithdrawTransfer", Role::Inviter, false),
    method("RenameTransfer", Role::Inviter, false),
    method("AcceptTransfer", Role::Admin, false),
    method("DeclineTransfer", Role::Admin, false),
    method("WatchTransfers", Role::Reader, true),
];

/// Services anyone who reaches the port may call: probes and grpcurl need them.
const OPEN_SERVICES: [&str; 3] = [
    tonic_health::pb::health_server::SERVICE_NAME,
    tonic_reflection::pb::v1::server_reflection_server::SERVICE_NAME,
    tonic_reflection::pb::v1alpha::server_reflection_server::SERVICE_NAME,
];

/// What a request path may do.
#[derive(Debug, PartialEq, Eq)]
pub enum Access {
    /// Health and reflection: no credentials needed.
    Open,
    Method(&'static Method),
    /// In no table: refused whoever calls.
    Refused,
}

/// `/package.Service/Method` → what the table says of it.
pub fn access(path: &str) -> Access {
    let Some((service, name)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
        return Access::Refused;
    };
    if service == SERVICE_NAME {
        return METHODS
            .iter()
            .find(|m| m.name == name)
            .map_or(Access::Refused, Access::Method);
    }
    if OPEN_SERVICES.contains(&service) {
        return Access::Open;
    }
    Access::Refused
}

/// The `method` label of a path: the method's name for this service,
/// `Service/Method` for the others.
pub fn label(path: &str) -> &str {
    match access(path) {
        Access::Method(m) => m.name,
        _ => path.trim_start_matches('/'),
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    /// The service's methods as the compiled proto declares them.
    fn declared() -> Vec<(String, bool)> {
        let set = prost_types::FileDescriptorSet::decode(crate::proto::FILE_DESCRIPTOR_SET)
            .expect("the descriptor set decodes");
        let (package, service) = SERVICE_NAME.rsplit_once('.').unwrap();
        set.file
            .iter()
            .filter(|f| f.package() == package)
            .flat_map(|f| &f.service)
            .filter(|s| s.name() == service)
            .flat_map(|s| &s.method)
            .map(|m| (m.name().to_string(), m.server_streaming()))
            .collect()
    }

    #[test]
    fn every_method_the_proto_declares_has_exactly_one_row() {
        let declared = declared();
        assert_eq!(declared.len(), METHODS.len(), "{declared:?}");
        for (name, streams) in &declared {
            let path = format!("/{SERVICE_NAME}/{name}");
            let Access::Method(m) = access(&path) else {
                panic!("{name} is declared in the proto but has no row in METHODS");
            };
            assert_eq!(
                m.streams, *streams,
                "{name}: streaming differs from the proto"
            );
        }
    }

    #[test]
    fn methods_need_the_documented_roles() {
        for (name, role) in [
            ("InviteAccount", Role::Inviter),
            ("CancelHandshake", Role::Inviter),
            ("GetHandshake", Role::Reader),
            ("ListHandshakes", Role::Reader),
            ("WatchHandshake", Role::Reader),
            ("WatchHandshakes", Role::Reader),
            ("GetInvitationQuota", Role::Reader),
            ("CreateCampaign", Role::Inviter),
            ("PauseCampaign", Role::Inviter),
            ("ResumeCampaign", Role::Inviter),
            ("CancelCampaign", Role::Inviter),
            ("GetCampaign", Role::Reader),
            ("ListCampaigns", Role::Reader),
            ("ListCampaignTargets", Role::Reader),
            ("WatchCampaign", Role::Reader),
            ("ListSubscriptions", Role::Reader),
            ("ListDeliveries", Role::Reader),
            ("RedeliverEvents", Role::Admin),
            ("EnableSubscription", Role::Admin),
            ("InviteTransfer", Role::Inviter),
            ("GetTransfer", Role::Reader),
            ("ListTransfers", Role::Reader),
            ("WithdrawTransfer", Role::Inviter),
            ("RenameTransfer", Role::Inviter),
            ("AcceptTransfer", Role::Admin),
            ("DeclineTransfer", Role::Admin),
            ("WatchTransfers", Role::Reader),
        ] {
            let Access::Method(m) = access(&format!("/{SERVICE_NAME}/{name}")) else {
                panic!("{name} not in the table");
            };
            assert_eq!(m.role, role, "{name}");
        }
    }

    #[test]
    fn a_method_not_in_the_table_is_refused_and_health_and_reflection_are_open() {
        for path in [
            "/orginvites.v1.InvitationService/DeleteEverything",
            "/orginvites.v1.InvitationService/",
            "/some.Other/Method",
            "/",
            "",
            "/grpc.health.v1.Health",
        ] {
            assert_eq!(access(path), Access::Refused, "{path}");
        }
        assert_eq!(access("/grpc.health.v1.Health/Check"), Access::Open);
        assert_eq!(
            access("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"),
            Access::Open
        );
        assert_eq!(
            access("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            Access::Open
        );
    }

    #[test]
    fn metric_labels_are_method_names_for_this_service() {
        assert_eq!(
            label("/orginvites.v1.InvitationService/InviteAccount"),
            "InviteAccount"
        );
        assert_eq!(
            label("/grpc.health.v1.Health/Check"),
            "grpc.health.v1.Health/Check"
        );
    }
}
