//! Relative URLs of the Jenkins endpoints the client uses, with item names percent-encoded.
//!
//! Jenkins addresses an item `a` inside folder `p` as `job/p/job/a/`. Names may contain spaces,
//! `_`, `%`, `/`-free punctuation and non-ASCII letters; every byte outside `A-Z a-z 0-9 - . _ ~`
//! is percent-encoded (UTF-8), as Jenkins' own `Util.rawEncode` does for item URLs.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Bytes left as they are in a path segment: the RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `tree` parameter that lists child items with their class (`jobs[name,_class]`, encoded).
const TREE_JOBS: &str = "tree=jobs%5Bname%2C_class%5D";

/// Percent-encodes one item name for use as a path segment.
pub fn encode_segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

/// `job/<a>/job/<b>/…/` for an item path (empty for the Jenkins root).
pub fn item_path(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("job/{}/", encode_segment(n)))
        .collect()
}

/// `GET /api/json?tree=jobs[name,_class]` for the root (`names` empty) or an item.
pub fn list_children(names: &[&str]) -> String {
    format!("{}api/json?{TREE_JOBS}", item_path(names))
}

/// `GET /job/<p>/…/config.xml`.
pub fn config_xml(names: &[&str]) -> String {
    format!("{}config.xml", item_path(names))
}

/// `GET /job/<p>/credentials/store/folder/domain/_/api/json?depth=2`.
pub fn folder_credentials(folder: &str) -> String {
    format!(
        "{}credentials/store/folder/domain/_/api/json?depth=2",
        item_path(&[folder])
    )
}

/// `GET /crumbIssuer/api/json`.
pub const CRUMB_ISSUER: &str = "crumbIssuer/api/json";

/// `POST /scriptText`.
pub const SCRIPT_TEXT: &str = "scriptText";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_per_segment() {
        assert_eq!(
            item_path(&["project-W4zN", "my pipe_1"]),
            "job/project-W4zN/job/my%20pipe_1/"
        );
        assert_eq!(encode_segment("é/?#%"), "%C3%A9%2F%3F%23%25");
        assert_eq!(config_xml(&["a"]), "job/a/config.xml");
        assert_eq!(list_children(&[]), "api/json?tree=jobs%5Bname%2C_class%5D");
        assert_eq!(
            folder_credentials("p 1"),
            "job/p%201/credentials/store/folder/domain/_/api/json?depth=2"
        );
    }
}
