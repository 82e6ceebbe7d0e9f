//! What every test shares: `use crate::helpers::*;` brings all of it.
mod app;
mod data;
mod fakecloud;
mod grpc;
mod http;
mod metrics;
mod postgres;
mod receiver;
mod wait;

pub use self::{
    app::*, data::*, fakecloud::*, grpc::*, http::*, metrics::*, postgres::*, receiver::*, wait::*,
};
