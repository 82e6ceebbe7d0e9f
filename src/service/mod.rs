//! What the RPCs do, free of gRPC types: validation has happened, AWS and
//! Postgres are called here, in the order that loses nothing.
mod error;
mod invite;
mod repair;

pub use error::Error;

use std::{sync::Arc, time::Duration};

use crate::{
    aws::Organizations,
    domain::{HandshakeId, HandshakeRecord},
    store::{Known, ListCursor, ListQuery, Store},
};

#[derive(Clone)]
pub struct Invitations {
    store: Store,
    aws: Arc<dyn Organizations>,
    /// How long an InviteAccount attempt may be in flight on any replica
    /// before its intent is treated as abandoned and looked up in AWS.
    grace: Duration,
}

impl Invitations {
    pub fn new(store: Store, aws: Arc<dyn Organizations>, grace: Duration) -> Self {
        Self { store, aws, grace }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn get(&self, id: &HandshakeId) -> Result<HandshakeRecord, Error> {
        self.store
            .get(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))
    }

    pub async fn list(
        &self,
        query: &ListQuery,
    ) -> Result<(Vec<HandshakeRecord>, Option<ListCursor>), Error> {
        Ok(self.store.list(query).await?)
    }

    /// Cancels in AWS, then records what AWS answered. A handshake this
    /// service did not know yet (made elsewhere) is adopted on the way.
    pub async fn cancel(&self, id: &HandshakeId) -> Result<HandshakeRecord, Error> {
        let handshake = self.aws.cancel_handshake(id).await?;
        let known = Known::from_aws(&handshake);
        Ok(self.store.save_handshake(&handshake, &known).await?)
    }
}
