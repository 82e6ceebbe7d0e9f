//! Generates the gRPC code and the descriptor set served by reflection, with
//! the vendored protoc so no system protoc is needed.
use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY (edition 2021): build scripts are single-threaded here.
    env::set_var("PROTOC", protoc);
    let well_known = protoc_bin_vendored::include_path()?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let protos = [
        PathBuf::from("proto/orginvites/v1/handshake.proto"),
        PathBuf::from("proto/orginvites/v1/invitation_service.proto"),
        PathBuf::from("proto/orginvites/v1/campaign.proto"),
        PathBuf::from("proto/orginvites/v1/delivery.proto"),
        PathBuf::from("proto/orginvites/v1/transfer.proto"),
        // Only for the descriptor set: reflection then describes the error
        // details errors carry (BadRequest, ErrorInfo, RetryInfo, ...), so
        // grpcurl prints them decoded. The Rust types are tonic-types'.
        PathBuf::from("proto/google/rpc/error_details.proto"),
    ];
    tonic_prost_build::configure()
        .extern_path(".google.rpc", "::tonic_types")
        .file_descriptor_set_path(out_dir.join("orginvites_descriptor.bin"))
        .compile_protos(&protos, &[PathBuf::from("proto"), well_known])?;
    println!("cargo:rerun-if-changed=proto");
    // sqlx::migrate! embeds migrations/ but cannot tell cargo to watch it on
    // stable: without this a new migration file is missed until something
    // else rebuilds the crate.
    println!("cargo:rerun-if-changed=migrations");
    Ok(())
}
