//! The server's settings, built from `serve`'s arguments, so every default
//! is the flag's default.
use std::net::SocketAddr;

use sqlx::postgres::PgConnectOptions;

use super::BoxError;
use crate::{
    args::{self, DatabaseArgs, ServeArgs},
    auth::AuthSettings,
    aws::BudgetSettings,
    poller::PollerSettings,
    reconcile::delivery::DeliveryOptions,
    service::ServiceSettings,
    transport::{Limits, TlsSettings},
};

/// Not `Debug`: the database options may hold a password.
#[derive(Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// A plaintext port serving only grpc.health.v1; none when None.
    pub health_listen: Option<SocketAddr>,
    pub database: PgConnectOptions,
    pub poller: PollerSettings,
    pub service: ServiceSettings,
    pub auth: AuthSettings,
    pub budget: BudgetSettings,
    /// TLS on the gRPC port; plaintext when None.
    pub tls: Option<TlsSettings>,
    pub limits: Limits,
    /// Where the status page and /metrics listen; not served when None.
    pub http_listen: Option<SocketAddr>,
    /// Browser origins allowed to call the gRPC port with gRPC-Web.
    pub cors_origins: Vec<String>,
    pub delivery: DeliveryOptions,
}

impl Settings {
    pub fn from_args(a: ServeArgs) -> Result<Self, BoxError> {
        Ok(Self {
            listen: a.listen,
            health_listen: a.health_listen,
            database: connect_options(&a.database)?,
            poller: a.poller.into(),
            service: a.invitations.into(),
            auth: a.auth.into(),
            budget: a.budget.try_into()?,
            tls: a.tls.into(),
            limits: a.limits.into(),
            http_listen: a.dashboards.http_listen,
            cors_origins: a.dashboards.cors_allowed_origins,
            delivery: a.delivery.into(),
        })
    }

    /// What `serve` runs with when given only these two: every other
    /// setting at its flag's default. Tests start here.
    pub fn defaults(listen: SocketAddr, database: PgConnectOptions) -> Self {
        let dashboards: args::DashboardArgs = args::defaults();
        Self {
            listen,
            health_listen: None,
            database,
            poller: args::defaults::<args::PollerArgs>().into(),
            service: args::defaults::<args::InvitationArgs>().into(),
            auth: args::defaults::<args::AuthArgs>().into(),
            budget: args::defaults::<args::BudgetArgs>()
                .try_into()
                .expect("the default AWS rates parse"),
            tls: args::defaults::<args::TlsArgs>().into(),
            limits: args::defaults::<args::LimitsArgs>().into(),
            http_listen: dashboards.http_listen,
            cors_origins: dashboards.cors_allowed_origins,
            delivery: args::defaults::<args::DeliveryArgs>().into(),
        }
    }
}

pub(super) fn connect_options(args: &DatabaseArgs) -> Result<PgConnectOptions, BoxError> {
    // The URL may hold a password: report only that it is malformed.
    let url = &args.database_url;
    let malformed = || -> BoxError { "DATABASE_URL is not a valid postgres:// URL".into() };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(malformed());
    }
    url.parse().map_err(|_| malformed())
}
