//! Persistence types for the JSON columns: what a row holds, kept apart from
//! the domain's types so that what one release stores, the release before
//! and the releases after it can read. Unknown fields are ignored, unknown
//! enum spellings read as the domain's `Unspecified`, and a spelling, once
//! written, never changes. A value that still cannot be read costs its row
//! (`Lenient`), never the query that read it.
mod campaign;
mod lenient;
mod names;
mod progress;
mod record;

pub(super) use campaign::StoredCampaignSpec;
pub(super) use lenient::Lenient;
pub(super) use progress::{StoredOnboarding, StoredRenewal, StoredSpec, StoredStep, StoredTag};
pub(super) use record::{StoredParty, StoredRecord, StoredResource};

use crate::domain::Tags;

/// The tags column's form.
pub(super) fn stored_tags(tags: &Tags) -> Vec<StoredTag> {
    tags.iter().map(StoredTag::from).collect()
}

/// Tags as read back.
pub(super) fn tags_of(stored: Vec<StoredTag>) -> Tags {
    Tags::from_stored(stored.into_iter().map(Into::into).collect())
}

#[cfg(test)]
mod canonical;
#[cfg(test)]
mod tests;
