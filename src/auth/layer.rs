//! The tower layer that authenticates every request before any service sees
//! it, and hands the handler the caller's `Identity` as a request extension.
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use http::{Request, Response};
use tonic::{body::Body, transport::server::TlsConnectInfo, Status};
use tower::{Layer, Service};
use tracing::warn;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::{required_role, Authenticator};
use crate::conn::ConnInfo;

#[derive(Clone)]
pub struct AuthLayer {
    auth: Authenticator,
}

impl AuthLayer {
    pub fn new(auth: Authenticator) -> Self {
        Self { auth }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            auth: self.auth.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    auth: Authenticator,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S> Service<Request<Body>> for AuthService<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        let Some(needed) = required_role(req.uri().path()) else {
            return Box::pin(self.inner.call(req));
        };
        match self.check(&req, needed) {
            Ok(identity) => {
                if let Some(identity) = identity {
                    req.extensions_mut().insert(identity);
                }
                Box::pin(self.inner.call(req))
            }
            Err(status) => {
                // Never the token itself: only which call was refused and why.
                warn!(method = req.uri().path(), code = ?status.code(), reason = status.message(),
                      "call refused");
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

impl<S> AuthService<S> {
    fn check(
        &self,
        req: &Request<Body>,
        needed: super::Role,
    ) -> Result<Option<super::Identity>, Status> {
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
        self.auth.authorize(needed, bearer, names)
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
