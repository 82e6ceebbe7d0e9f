//! Who a caller is and what role they have: bearer tokens and mTLS client
//! certificates mapped to roles by the identities file. The gRPC edge's
//! auth layer asks here for every call (`grpc::layers`), with the role the
//! method table gives the method.
mod identities;

use std::{
    path::PathBuf,
    sync::{Arc, RwLock},
    time::Duration,
};

use tokio_util::sync::CancellationToken;
use tonic::Status;
use tracing::{error, info, warn};

pub use identities::{token_line, Identities, Identity, Role};

/// How often the identities file is re-read for changes.
const RELOAD_EVERY: Duration = Duration::from_secs(1);

/// How the server authenticates callers.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// The identities file; None with no certificate allow-list either
    /// means every RPC but health and reflection is refused.
    pub identities_file: Option<PathBuf>,
    /// `--insecure-no-auth`: everyone may do everything, anonymously.
    pub insecure_no_auth: bool,
}

/// The identities in force, swapped whole when the file changes.
#[derive(Clone)]
pub struct Authenticator {
    insecure: bool,
    current: Arc<RwLock<Arc<Identities>>>,
}

impl Authenticator {
    /// Reads the identities file once; an unreadable or malformed file stops
    /// start-up rather than leaving the server open or closed by surprise.
    pub fn load(settings: &AuthSettings) -> Result<Self, String> {
        let identities = match &settings.identities_file {
            Some(path) => read(path)?,
            None => Identities::default(),
        };
        if settings.insecure_no_auth {
            warn!("--insecure-no-auth: every caller may invite and cancel; never use this in production");
        } else if identities.is_empty() {
            warn!("no identities configured (--auth-tokens-file): every RPC but health and reflection is refused");
        } else {
            info!(identities = identities.len(), "authentication on");
        }
        Ok(Self {
            insecure: settings.insecure_no_auth,
            current: Arc::new(RwLock::new(Arc::new(identities))),
        })
    }

    /// Anyone may do anything; for tests and the local stack.
    pub fn insecure() -> Self {
        Self {
            insecure: true,
            current: Arc::default(),
        }
    }

    fn identities(&self) -> Arc<Identities> {
        self.current.read().expect("identities lock").clone()
    }

    /// The caller's identity if it may call with `needed`; None when auth is off.
    pub fn authorize(
        &self,
        needed: Role,
        bearer: Option<&str>,
        cert_names: Option<(&[String], &[String])>,
    ) -> Result<Option<Identity>, Status> {
        if self.insecure {
            return Ok(None);
        }
        let ids = self.identities();
        let identity = match (bearer, cert_names) {
            (Some(token), _) => ids
                .by_token(token)
                .ok_or_else(|| Status::unauthenticated("the bearer token is not recognised"))?,
            (None, Some((cns, sans))) => ids.by_certificate(cns, sans).ok_or_else(|| {
                Status::unauthenticated("the client certificate is not on the allow-list")
            })?,
            (None, None) if ids.is_empty() => {
                return Err(Status::unauthenticated(
                    "this server has no identities configured (--auth-tokens-file), \
                     so it refuses every call",
                ))
            }
            (None, None) => {
                return Err(Status::unauthenticated(
                    "credentials required: send `authorization: Bearer <token>` \
                     or a client certificate",
                ))
            }
        };
        if identity.role < needed {
            return Err(Status::permission_denied(format!(
                "{} has role {}; this call needs {}",
                identity.name,
                identity.role.as_str(),
                needed.as_str()
            )));
        }
        Ok(Some(identity.clone()))
    }

    /// Re-reads the file whenever its contents change; a file that no longer
    /// parses is reported and the identities in force are kept. `reloaded`
    /// hears each attempt's outcome (true: the new identities are in force).
    pub async fn watch_file(
        self,
        path: PathBuf,
        stop: CancellationToken,
        reloaded: impl Fn(bool) + Send,
    ) {
        let mut last = std::fs::read(&path).ok();
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(RELOAD_EVERY) => {}
            }
            let now = std::fs::read(&path).ok();
            if now == last {
                continue;
            }
            last = now;
            match read(&path) {
                Ok(ids) => {
                    info!(identities = ids.len(), "identities file reloaded");
                    *self.current.write().expect("identities lock") = Arc::new(ids);
                    reloaded(true);
                }
                Err(e) => {
                    error!(error = %e, "identities file not reloaded; keeping the previous one");
                    reloaded(false);
                }
            }
        }
    }
}

fn read(path: &std::path::Path) -> Result<Identities, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("identities file {}: {e}", path.display()))?;
    Identities::parse(&text).map_err(|e| format!("identities file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    fn auth(text: &str) -> Authenticator {
        Authenticator {
            insecure: false,
            current: Arc::new(RwLock::new(Arc::new(Identities::parse(text).unwrap()))),
        }
    }

    #[test]
    fn credentials_and_roles_decide() {
        let a = auth(&format!(
            "{}\n{}",
            token_line(Role::Reader, "dash", "r"),
            token_line(Role::Inviter, "factory", "i")
        ));
        let code = |r: Result<Option<Identity>, Status>| r.unwrap_err().code();
        assert_eq!(
            code(a.authorize(Role::Reader, None, None)),
            Code::Unauthenticated
        );
        assert_eq!(
            code(a.authorize(Role::Reader, Some("nope"), None)),
            Code::Unauthenticated
        );
        assert_eq!(
            code(a.authorize(Role::Inviter, Some("r"), None)),
            Code::PermissionDenied
        );
        let who = a
            .authorize(Role::Inviter, Some("i"), None)
            .unwrap()
            .unwrap();
        assert_eq!(who.name, "factory");
        assert!(a.authorize(Role::Reader, Some("i"), None).is_ok());
    }

    #[test]
    fn no_identities_refuses_everyone_and_insecure_admits_everyone() {
        let closed = auth("");
        let err = closed.authorize(Role::Reader, None, None).unwrap_err();
        assert!(err.message().contains("no identities configured"));
        assert_eq!(
            Authenticator::insecure()
                .authorize(Role::Admin, None, None)
                .unwrap(),
            None
        );
    }
}
