//! A JSON column decoded without failing its query: the value, or why it
//! could not be read (the row is then skipped or reported, never the batch).
use serde::de::DeserializeOwned;
use sqlx::{
    error::BoxDynError,
    postgres::{PgTypeInfo, PgValueRef},
    types::Json,
    Decode, Postgres, Type,
};

pub(in crate::store) struct Lenient<T>(pub Result<T, UnreadableJson>);

/// A JSON value this release cannot read. The serde error is not kept: its
/// text may quote the stored value (notes, party ids), which logs never show.
#[derive(Debug, Clone, Copy)]
pub(in crate::store) struct UnreadableJson;

impl<T> Lenient<T> {
    pub fn into_result(self) -> Result<T, UnreadableJson> {
        self.0
    }

    /// The column read as the domain value `D`, or why it cannot be.
    pub fn read<D: TryFrom<T>>(self) -> Result<D, UnreadableJson> {
        self.0
            .ok()
            .and_then(|v| D::try_from(v).ok())
            .ok_or(UnreadableJson)
    }

    /// A nullable column read likewise: None when NULL.
    pub fn optional<D: TryFrom<T>>(column: Option<Self>) -> Result<Option<D>, UnreadableJson> {
        column.map(Self::read).transpose()
    }
}

impl<T> Type<Postgres> for Lenient<T> {
    fn type_info() -> PgTypeInfo {
        <Json<()> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <Json<()> as Type<Postgres>>::compatible(ty)
    }
}

impl<'r, T: DeserializeOwned + 'r> Decode<'r, Postgres> for Lenient<T> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(
            <Json<T> as Decode<'r, Postgres>>::decode(value)
                .map(|j| j.0)
                .map_err(|_| UnreadableJson),
        ))
    }
}
