//! The generated protobuf and gRPC code, included in one place.
#![allow(clippy::all, missing_docs)]

pub mod v1 {
    tonic::include_proto!("orginvites.v1");
}

/// Serialized descriptors of this service's protos, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("orginvites_descriptor");
