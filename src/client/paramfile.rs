//! `file://path` values, which both a whole flag value (`input`) and a
//! shorthand `key@=` value (`shorthand`) may be: one reader, so neither of
//! those modules has to borrow it from the other.

/// `file://path` → the file's contents; any other value → `None`.
pub fn read_param_file(value: &str) -> Result<Option<String>, String> {
    let Some(path) = value.strip_prefix("file://") else {
        return Ok(None);
    };
    let expanded = match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    };
    std::fs::read_to_string(&expanded)
        .map(Some)
        .map_err(|e| format!("Unable to load paramfile {value}: {e}"))
}
