//! Credentials of a role assumed in an invited account: held in memory for
//! the one call they are for, never logged, never stored.
use chrono::{DateTime, Utc};

#[derive(Clone)]
pub struct MemberCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for MemberCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemberCredentials(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_key() {
        let c = MemberCredentials {
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: "token".into(),
            expiration: None,
        };
        let shown = format!("{c:?}");
        for s in ["AKIAEXAMPLE", "secret", "token"] {
            assert!(!shown.contains(s), "{shown}");
        }
    }
}
