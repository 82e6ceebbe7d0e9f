//! Fan-out of handshake changes to watchers on this replica. Changes reach
//! every replica through Postgres (`pg_notify` on commit, `LISTEN` here); the
//! listener re-reads `handshake_events` in order and the hub broadcasts each
//! one; the streams replay, follow and catch up, yielding domain values that
//! the gRPC and HTTP edges each render.
mod campaigns;
mod hub;
mod listener;
mod stream;
mod token;
mod transfers;

pub use campaigns::{run_campaign_listener, CampaignStream, CampaignTicks};
pub use hub::{Events, Hub};
pub use listener::run_listener;
pub use stream::{Change, ChangeStream, EventStream, WatchError, Watches};
pub use token::{
    decode_resume_token, decode_transfer_token, encode_resume_token, encode_transfer_token,
};
pub use transfers::TransferStream;
