//! Fault injection rules, programmable from tests while the server runs.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What a matching fault rule does to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this HTTP code and a `Status` body (429 also carries `Retry-After: 1`).
    Status(u16),
    /// Close the connection without writing any response.
    DropConnection,
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Process the request normally, then send only the first half of the body and close the
    /// connection (the `Content-Length` announces the full length).
    TruncateBody,
}

/// A rule: method + path substring, optionally every Nth match and/or a limited number of firings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// HTTP method to match (`GET`, `POST`, `PUT`, `PATCH`, `DELETE`), case-insensitive; `None` = any.
    pub method: Option<String>,
    /// Substring of the request path *and query* (e.g. `/secrets/`, `fieldManager=`); empty = any.
    pub path_contains: String,
    /// What to do when the rule fires.
    pub action: FaultAction,
    /// Fire at most this many times (`None` = unlimited).
    pub limit: Option<u64>,
    /// Fire only on every Nth matching request (the Nth, 2Nth, …); `None` = every match.
    pub every_nth: Option<u64>,
    /// Fire on each matching request with this probability, in parts per million (a steady fault
    /// rate, drawn from the handle's seeded generator, see [`FaultHandle::seed`]); `None` = always.
    pub rate_ppm: Option<u32>,
}

impl FaultRule {
    /// A rule for `method` (None = any) and requests whose path contains `path_contains`.
    pub fn new(method: Option<&str>, path_contains: &str, action: FaultAction) -> Self {
        Self {
            method: method.map(str::to_ascii_uppercase),
            path_contains: path_contains.to_string(),
            action,
            limit: None,
            every_nth: None,
            rate_ppm: None,
        }
    }

    /// Fires on each matching request with probability `p` (clamped to 0..=1).
    pub fn at_rate(mut self, p: f64) -> Self {
        self.rate_ppm = Some((p.clamp(0.0, 1.0) * 1_000_000.0).round() as u32);
        self
    }

    /// Limits the rule to `n` firings.
    pub fn times(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Fires only on every `n`th matching request (n = 0 or 1 means every match).
    pub fn every_nth(mut self, n: u64) -> Self {
        self.every_nth = (n > 1).then_some(n);
        self
    }

    fn matches(&self, method: &str, path_and_query: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path_and_query.contains(&self.path_contains)
    }
}

/// Identifies an added rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultId(u64);

#[derive(Debug)]
struct ActiveRule {
    id: FaultId,
    rule: FaultRule,
    matched: u64,
    fired: u64,
}

#[derive(Debug)]
struct FaultState {
    rng: StdRng,
    rules: Vec<ActiveRule>,
    next_id: u64,
    crash_after: Option<u64>,
    writes_since_arm: u64,
}

impl Default for FaultState {
    fn default() -> Self {
        Self {
            rng: StdRng::seed_from_u64(0),
            rules: Vec::new(),
            next_id: 0,
            crash_after: None,
            writes_since_arm: 0,
        }
    }
}

/// Handle to change fault injection at runtime; cheap to clone, shared with the server.
#[derive(Debug, Clone, Default)]
pub struct FaultHandle {
    state: Arc<Mutex<FaultState>>,
}

impl FaultHandle {
    fn lock(&self) -> MutexGuard<'_, FaultState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a rule (checked after earlier rules; the first firing rule wins). Returns its id.
    pub fn add(&self, rule: FaultRule) -> FaultId {
        let mut state = self.lock();
        state.next_id += 1;
        let id = FaultId(state.next_id);
        state.rules.push(ActiveRule {
            id,
            rule,
            matched: 0,
            fired: 0,
        });
        id
    }

    /// Re-seeds the generator that rate-based rules ([`FaultRule::at_rate`]) draw from (seed 0 at start).
    pub fn seed(&self, seed: u64) {
        self.lock().rng = StdRng::seed_from_u64(seed);
    }

    /// Removes one rule; false when it was not present.
    pub fn remove(&self, id: FaultId) -> bool {
        let mut state = self.lock();
        let before = state.rules.len();
        state.rules.retain(|r| r.id != id);
        state.rules.len() != before
    }

    /// How many times rule `id` fired (0 when unknown).
    pub fn fired(&self, id: FaultId) -> u64 {
        self.lock()
            .rules
            .iter()
            .find(|r| r.id == id)
            .map_or(0, |r| r.fired)
    }

    /// Removes every rule and the crash switch.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.rules.clear();
        state.crash_after = None;
        state.writes_since_arm = 0;
    }

    /// After `n` more successful object writes (create, update, patch, apply, delete), every
    /// request fails with 503 until [`FaultHandle::clear_crash`]. `n = 0` crashes immediately.
    pub fn crash_after_writes(&self, n: u64) {
        let mut state = self.lock();
        state.crash_after = Some(n);
        state.writes_since_arm = 0;
    }

    /// Turns the crash switch off ("the server is back").
    pub fn clear_crash(&self) {
        let mut state = self.lock();
        state.crash_after = None;
        state.writes_since_arm = 0;
    }

    /// Whether the crash switch has tripped.
    pub fn is_crashed(&self) -> bool {
        let state = self.lock();
        state
            .crash_after
            .is_some_and(|n| state.writes_since_arm >= n)
    }

    /// Decides the fault for one request, updating rule counters.
    pub(crate) fn decide(&self, method: &str, path_and_query: &str) -> Option<FaultAction> {
        let mut state = self.lock();
        if state
            .crash_after
            .is_some_and(|n| state.writes_since_arm >= n)
        {
            return Some(FaultAction::Status(503));
        }
        let FaultState { rng, rules, .. } = &mut *state;
        for active in rules.iter_mut() {
            if !active.rule.matches(method, path_and_query) {
                continue;
            }
            active.matched += 1;
            let nth_ok = active
                .rule
                .every_nth
                .is_none_or(|n| active.matched % n == 0);
            let limit_ok = active.rule.limit.is_none_or(|l| active.fired < l);
            let rate_ok = active
                .rule
                .rate_ppm
                .is_none_or(|ppm| rng.random_ratio(ppm.min(1_000_000), 1_000_000));
            if nth_ok && limit_ok && rate_ok {
                active.fired += 1;
                return Some(active.rule.action.clone());
            }
        }
        None
    }

    /// Counts one successful object write towards the crash switch.
    pub(crate) fn record_write(&self) {
        let mut state = self.lock();
        if state.crash_after.is_some() {
            state.writes_since_arm += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_and_every_nth() {
        let faults = FaultHandle::default();
        let id = faults.add(
            FaultRule::new(Some("get"), "/secrets", FaultAction::Status(500))
                .every_nth(2)
                .times(2),
        );
        let outcomes: Vec<bool> = (0..6)
            .map(|_| {
                faults
                    .decide("GET", "/api/v1/namespaces/a/secrets/x")
                    .is_some()
            })
            .collect();
        assert_eq!(outcomes, vec![false, true, false, true, false, false]);
        assert_eq!(faults.fired(id), 2);
        assert!(faults
            .decide("POST", "/api/v1/namespaces/a/secrets")
            .is_none());
    }

    #[test]
    fn rate_fires_about_that_often_and_repeats_with_the_seed() {
        let faults = FaultHandle::default();
        let run = |seed| {
            faults.clear();
            faults.seed(seed);
            faults.add(FaultRule::new(None, "", FaultAction::Status(500)).at_rate(0.2));
            (0..2000)
                .map(|_| faults.decide("GET", "/x").is_some())
                .collect::<Vec<bool>>()
        };
        let a = run(7);
        let fired = a.iter().filter(|f| **f).count();
        assert!((300..=500).contains(&fired), "{fired} of 2000 at rate 0.2");
        assert_eq!(a, run(7));
        assert_ne!(a, run(8));
    }

    #[test]
    fn crash_switch() {
        let faults = FaultHandle::default();
        faults.crash_after_writes(2);
        faults.record_write();
        assert!(faults.decide("GET", "/x").is_none());
        faults.record_write();
        assert_eq!(faults.decide("GET", "/x"), Some(FaultAction::Status(503)));
        faults.clear_crash();
        assert!(faults.decide("GET", "/x").is_none());
    }
}
