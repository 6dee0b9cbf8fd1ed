//! Runtime fault injection: rules tests add and remove while the double runs.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What a firing rule does to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status (and a small HTML body, as Jenkins does) instead of serving.
    Status(u16),
    /// Wait this long, then serve normally.
    Delay(Duration),
    /// Serve normally but send only the first half of the body, announcing the full
    /// `Content-Length`, then close the connection.
    TruncateBody,
    /// Close the connection without answering.
    DropConnection,
}

/// Which requests a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// Everything under `/job/<name>/` (the decoded top-level item name, exact).
    Folder(String),
    /// Requests whose decoded path (with `?query` when present) contains the text.
    PathContains(String),
}

/// One fault rule. The first rule (in order of adding) that matches and may still fire wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    method: Option<String>,
    target: Target,
    action: FaultAction,
    limit: Option<u64>,
}

impl FaultRule {
    /// Applies to every request for the top-level item `name` and anything inside it
    /// (`/job/<name>/…`), e.g. a 403 on one project folder.
    pub fn folder(name: &str, action: FaultAction) -> Self {
        FaultRule {
            method: None,
            target: Target::Folder(name.to_owned()),
            action,
            limit: None,
        }
    }

    /// Applies to requests whose decoded path (plus `?query`) contains `text`; `""` = all.
    pub fn path_contains(text: &str, action: FaultAction) -> Self {
        FaultRule {
            method: None,
            target: Target::PathContains(text.to_owned()),
            action,
            limit: None,
        }
    }

    /// Limits the rule to `method` (`GET`, `POST`).
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Fires at most `n` times (e.g. "500 twice, then OK").
    pub fn times(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    fn matches(&self, request: &RequestKey<'_>) -> bool {
        if self.method.as_deref().is_some_and(|m| m != request.method) {
            return false;
        }
        match &self.target {
            Target::Folder(name) => {
                request.segments.first().map(String::as_str) == Some("job")
                    && request.segments.get(1) == Some(name)
            }
            Target::PathContains(text) => request.path_and_query.contains(text.as_str()),
        }
    }
}

/// What the matcher needs to know about a request.
pub(crate) struct RequestKey<'a> {
    /// Upper-case method.
    pub method: &'a str,
    /// Decoded path segments.
    pub segments: &'a [String],
    /// Decoded path plus `?query`.
    pub path_and_query: &'a str,
}

/// Identifies an added rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultId(u64);

#[derive(Debug)]
struct Active {
    id: FaultId,
    rule: FaultRule,
    fired: u64,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Active>,
    next: u64,
}

/// Handle to the double's fault rules; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<State>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a rule; returns its id.
    pub fn add(&self, rule: FaultRule) -> FaultId {
        let mut state = self.lock();
        state.next += 1;
        let id = FaultId(state.next);
        state.rules.push(Active { id, rule, fired: 0 });
        id
    }

    /// Removes a rule; false when unknown.
    pub fn remove(&self, id: FaultId) -> bool {
        let mut state = self.lock();
        let before = state.rules.len();
        state.rules.retain(|r| r.id != id);
        before != state.rules.len()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// How often rule `id` fired (0 when unknown).
    pub fn fired(&self, id: FaultId) -> u64 {
        self.lock()
            .rules
            .iter()
            .find(|r| r.id == id)
            .map_or(0, |r| r.fired)
    }

    /// Picks the action for a request, counting the firing.
    pub(crate) fn decide(&self, request: &RequestKey<'_>) -> Option<FaultAction> {
        let mut state = self.lock();
        let active = state
            .rules
            .iter_mut()
            .find(|a| a.rule.matches(request) && a.rule.limit.is_none_or(|l| a.fired < l))?;
        active.fired += 1;
        Some(active.rule.action.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(method: &'a str, segments: &'a [String], pq: &'a str) -> RequestKey<'a> {
        RequestKey {
            method,
            segments,
            path_and_query: pq,
        }
    }

    #[test]
    fn folder_rules_limits_and_methods() {
        let faults = Faults::default();
        let id = faults.add(FaultRule::folder("p 1", FaultAction::Status(500)).times(2));
        faults
            .add(FaultRule::path_contains("/scriptText", FaultAction::Status(503)).method("post"));
        let seg: Vec<String> = ["job", "p 1", "config.xml"].map(String::from).into();
        let other: Vec<String> = ["job", "p 10", "config.xml"].map(String::from).into();
        assert_eq!(
            faults.decide(&key("GET", &seg, "/job/p 1/config.xml")),
            Some(FaultAction::Status(500))
        );
        assert!(faults
            .decide(&key("GET", &other, "/job/p 10/config.xml"))
            .is_none());
        assert_eq!(
            faults.decide(&key("GET", &seg, "/job/p 1/config.xml")),
            Some(FaultAction::Status(500))
        );
        assert!(faults
            .decide(&key("GET", &seg, "/job/p 1/config.xml"))
            .is_none());
        assert_eq!(faults.fired(id), 2);
        let script: Vec<String> = vec!["scriptText".into()];
        assert!(faults.decide(&key("GET", &script, "/scriptText")).is_none());
        assert_eq!(
            faults.decide(&key("POST", &script, "/scriptText")),
            Some(FaultAction::Status(503))
        );
        assert!(faults.remove(id));
        faults.clear();
        assert!(faults
            .decide(&key("POST", &script, "/scriptText"))
            .is_none());
    }
}
