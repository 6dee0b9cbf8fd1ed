//! The id of one run: names its backup folder, its provenance label on every object it writes,
//! and its journal entries. One type and one format for all of them.

/// Why a text is not a run id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid run id {text:?}: {reason}")]
pub struct InvalidRunId {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A run id: `YYYYMMDDTHHMMSSZ-<8 hex>` when generated — sortable by time, no spaces or colons,
/// a valid Kubernetes label value and a single safe path segment.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(String);

impl RunId {
    /// Checks `s`: 1–63 characters of `[A-Za-z0-9-_.]`, alphanumeric at both ends (a label value,
    /// hence also a path segment that cannot leave its folder).
    pub fn parse(s: &str) -> Result<Self, InvalidRunId> {
        let fail = |reason| {
            Err(InvalidRunId {
                text: s.to_string(),
                reason,
            })
        };
        if s.is_empty() {
            return fail("it is empty");
        }
        if s.len() > 63 {
            return fail("it is longer than 63 characters");
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return fail("only letters, digits, '-', '_' and '.' are allowed");
        }
        let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        if !alnum(s.chars().next()) || !alnum(s.chars().last()) {
            return fail("it must start and end with a letter or digit");
        }
        Ok(RunId(s.to_string()))
    }

    /// The id for a run started at `now` (UTC) with the random `suffix`.
    pub fn at(now_utc: (i32, u8, u8, u8, u8, u8), suffix: u32) -> Self {
        let (y, mo, d, h, mi, s) = now_utc;
        RunId(format!(
            "{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z-{suffix:08x}"
        ))
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RunId {
    type Error = InvalidRunId;
    fn try_from(s: String) -> Result<Self, InvalidRunId> {
        RunId::parse(&s)
    }
}

impl From<RunId> for String {
    fn from(r: RunId) -> String {
        r.0
    }
}

impl std::str::FromStr for RunId {
    type Err = InvalidRunId;
    fn from_str(s: &str) -> Result<Self, InvalidRunId> {
        RunId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_sort_by_time() {
        let a = RunId::at((2026, 1, 2, 3, 4, 5), 0xdead_beef);
        assert_eq!(a.as_str(), "20260102T030405Z-deadbeef");
        assert_eq!(RunId::parse(a.as_str()), Ok(a.clone()));
        assert!(a < RunId::at((2026, 1, 2, 3, 4, 6), 0));
    }

    #[test]
    fn bad_ids_are_refused() {
        for bad in ["", "-a", "a-", "a/b", "../x", "a b", &"x".repeat(64)] {
            assert!(RunId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
