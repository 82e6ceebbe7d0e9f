//! Authenticates every request before any service sees it, by the method
//! table's role, and hands the handler the caller's `Identity` as a request
//! extension. Health and reflection stay open so probes and grpcurl work;
//! a path in no table is refused.
use http::Request;
use tonic::{body::Body, transport::server::TlsConnectInfo, Status};
use tracing::warn;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::Policy;
use crate::{
    auth::{Authenticator, Identity},
    grpc::methods::{self, Access},
    transport::ConnInfo,
};

#[derive(Clone)]
pub struct AuthPolicy(pub Authenticator);

impl Policy for AuthPolicy {
    type Hold = ();

    fn before(&self, req: &mut Request<Body>) -> Result<Option<()>, Status> {
        let needed = match methods::access(req.uri().path()) {
            Access::Open => return Ok(None),
            Access::Method(m) => m.role,
            Access::Refused => {
                return Err(refused(
                    req,
                    Status::permission_denied(
                        "no such method on this server (or it has no access rule yet)",
                    ),
                ))
            }
        };
        match self.check(req, needed) {
            Ok(identity) => {
                if let Some(identity) = identity {
                    req.extensions_mut().insert(identity);
                }
                Ok(None)
            }
            Err(status) => Err(refused(req, status)),
        }
    }
}

/// Logs a refusal: never the token itself, only which call and why.
fn refused(req: &Request<Body>, status: Status) -> Status {
    warn!(method = req.uri().path(), code = ?status.code(), reason = status.message(),
          "call refused");
    status
}

impl AuthPolicy {
    fn check(
        &self,
        req: &Request<Body>,
        needed: crate::auth::Role,
    ) -> Result<Option<Identity>, Status> {
        let bearer = match req.headers().get(http::header::AUTHORIZATION) {
            None => None,
            Some(value) => Some(bearer_token(value)?),
        };
        let names = req
            .extensions()
            .get::<TlsConnectInfo<ConnInfo>>()
            .and_then(|info| info.peer_certs())
            .and_then(|certs| certs.first().map(|c| certificate_names(c.as_ref())));
        let names = names
            .as_ref()
            .map(|(cn, san)| (cn.as_slice(), san.as_slice()));
        self.0.authorize(needed, bearer, names)
    }
}

fn bearer_token(value: &http::HeaderValue) -> Result<&str, Status> {
    let malformed = || Status::unauthenticated("the authorization header must be `Bearer <token>`");
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(token)
}

/// The subject common names and the DNS, URI and email alternative names
/// of a client certificate the TLS layer already verified.
pub fn certificate_names(der: &[u8]) -> (Vec<String>, Vec<String>) {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return (Vec::new(), Vec::new());
    };
    let cns = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok().map(str::to_string))
        .collect();
    let sans = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(s) | GeneralName::URI(s) | GeneralName::RFC822Name(s) => {
                        Some(s.to_string())
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    (cns, sans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bearer_tokens_are_accepted() {
        let h = |s: &str| http::HeaderValue::from_str(s).unwrap();
        assert_eq!(bearer_token(&h("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(&h("bearer abc")).unwrap(), "abc");
        assert!(bearer_token(&h("Basic abc")).is_err());
        assert!(bearer_token(&h("Bearer ")).is_err());
        assert!(bearer_token(&h("abc")).is_err());
    }
}
