//! Seeded fault injection: a share of requests answered 5xx or 429 (with Retry-After), latency
//! spikes, watches closed early and connections reset. The n-th request that is subject to
//! faults always gets the same verdict for the same seed, so a failing run replays.
//!
//! From the command line (`cabin sim --faults SPEC`), SPEC is comma-separated `key=value`:
//! `seed=N`, `error=P` (share answered with one of `codes`, default `500/503`), `throttle=P`
//! (429 with `retry-after=S` seconds, default 1), `latency=P` with `latency-ms=MS` (default
//! 500), `drop-watch=P` (the watch ends after 0.1–2 s), `reset=P` (the connection is closed
//! without an answer, nothing done), `lost=P` (the request takes effect, then the connection
//! is closed: the client cannot know the outcome), `after=DURATION` (no faults before, e.g.
//! `5s`, `500ms`), `exempt=a/b/c` (resource plurals such as `selfsubjectreviews`, or
//! `discovery` for the discovery, OpenAPI and health paths) and `verbs=patch/update` (only
//! requests with these Kubernetes verbs get faults; default all). Shares are between 0 and 1;
//! error + throttle + reset + lost must not exceed 1. A scenario file's `faults:` section
//! takes the same settings in camelCase (`seed`, `error`, `codes`, `throttle`, `retryAfter`,
//! `latency`, `latencyMs`, `dropWatch`, `reset`, `lost`, `after`, `exempt`, `verbs`).
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct FaultPlan {
    pub seed: u64,
    pub error: f64,
    pub codes: Vec<u16>,
    pub throttle: f64,
    pub retry_after: u32,
    pub latency: f64,
    pub latency_ms: u64,
    pub drop_watch: f64,
    pub reset: f64,
    pub lost: f64,
    /// Go-style duration text ("5s", "500ms", "1m"); no faults before it has passed.
    pub after: String,
    pub exempt: Vec<String>,
    /// Kubernetes verbs (get, list, watch, create, update, patch, delete, deletecollection)
    /// subject to faults; empty = all.
    pub verbs: Vec<String>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self {
            seed: 0,
            error: 0.0,
            codes: vec![500, 503],
            throttle: 0.0,
            retry_after: 1,
            latency: 0.0,
            latency_ms: 500,
            drop_watch: 0.0,
            reset: 0.0,
            lost: 0.0,
            after: String::new(),
            exempt: Vec::new(),
            verbs: Vec::new(),
        }
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Answer with this 5xx code.
    Error(u16),
    /// 429 with Retry-After seconds.
    Throttle(u32),
    /// Close the connection without an answer (the request is not processed).
    Reset,
    /// Process the request, then close the connection without an answer.
    Lost,
}

/// The faults one request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub delay: Option<Duration>,
    pub verdict: Verdict,
    /// For watches: end the stream after this long.
    pub drop_watch_after: Option<Duration>,
}

const CLEAN: Decision = Decision { delay: None, verdict: Verdict::Pass, drop_watch_after: None };

fn parse_rate(key: &str, v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{key}: {v:?} is not a share between 0 and 1")),
    }
}

fn parse_num<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, String> {
    v.parse::<T>().map_err(|_| format!("{key}: {v:?} is not a whole number in range"))
}

/// "5s", "250ms", "2m", "1h" (bounded to a day).
pub fn parse_duration(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(Duration::ZERO);
    }
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{v:?} is not a duration like 5s or 500ms"))?;
    let ms = match unit {
        "ms" => n,
        "s" | "" => n.saturating_mul(1000),
        "m" => n.saturating_mul(60_000),
        "h" => n.saturating_mul(3_600_000),
        _ => return Err(format!("{v:?} is not a duration like 5s or 500ms")),
    };
    if ms > 86_400_000 {
        return Err(format!("{v:?} is longer than a day"));
    }
    Ok(Duration::from_millis(ms))
}

impl FaultPlan {
    /// Parses the `--faults` text.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut p = FaultPlan::default();
        for part in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((k, v)) = part.split_once('=') else {
                return Err(format!("{part:?} is not key=value"));
            };
            let (k, v) = (k.trim(), v.trim());
            match k {
                "seed" => p.seed = parse_num(k, v)?,
                "error" => p.error = parse_rate(k, v)?,
                "codes" => p.codes = v.split('/').map(|c| parse_num(k, c)).collect::<Result<_, _>>()?,
                "throttle" => p.throttle = parse_rate(k, v)?,
                "retry-after" => p.retry_after = parse_num(k, v)?,
                "latency" => p.latency = parse_rate(k, v)?,
                "latency-ms" => p.latency_ms = parse_num(k, v)?,
                "drop-watch" => p.drop_watch = parse_rate(k, v)?,
                "reset" => p.reset = parse_rate(k, v)?,
                "lost" => p.lost = parse_rate(k, v)?,
                "verbs" => p.verbs = v.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                "after" => p.after = v.to_string(),
                "exempt" => p.exempt = v.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                _ => {
                    return Err(format!(
                        "unknown key {k:?} (known: seed, error, codes, throttle, retry-after, latency, latency-ms, drop-watch, reset, lost, after, exempt, verbs)"
                    ));
                }
            }
        }
        p.check()?;
        Ok(p)
    }

    /// Range checks shared by the command line and scenario files.
    pub fn check(&self) -> Result<(), String> {
        for (k, r) in [("error", self.error), ("throttle", self.throttle), ("latency", self.latency), ("drop-watch", self.drop_watch)] {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!("{k}: {r} is not a share between 0 and 1"));
            }
        }
        if !(0.0..=1.0).contains(&self.reset)
            || !(0.0..=1.0).contains(&self.lost)
            || self.error + self.throttle + self.reset + self.lost > 1.0
        {
            return Err("error + throttle + reset + lost must not exceed 1".into());
        }
        const VERBS: &[&str] = &["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
        if let Some(v) = self.verbs.iter().find(|v| !VERBS.contains(&v.as_str())) {
            return Err(format!("verbs: {v:?} is not a Kubernetes verb ({})", VERBS.join(", ")));
        }
        if let Some(c) = self.codes.iter().find(|c| !(500..=599).contains(*c)) {
            return Err(format!("codes: {c} is not a 5xx code (429 is `throttle`)"));
        }
        if self.error > 0.0 && self.codes.is_empty() {
            return Err("codes: at least one code is needed when error > 0".into());
        }
        if self.retry_after > 3600 || self.latency_ms > 60_000 {
            return Err("retry-after must be at most 3600 s and latency-ms at most 60000".into());
        }
        parse_duration(&self.after).map(|_| ()).map_err(|e| format!("after: {e}"))
    }
}

/// splitmix64: a good 64-bit mix of (seed, request number).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A plan in force: counts the requests it has judged.
#[derive(Debug)]
pub struct Injector {
    plan: FaultPlan,
    start: Instant,
    after: Duration,
    counter: AtomicU64,
}

impl Injector {
    pub fn new(plan: FaultPlan) -> Self {
        let after = parse_duration(&plan.after).unwrap_or(Duration::ZERO);
        Self { plan, start: Instant::now(), after, counter: AtomicU64::new(0) }
    }

    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// Whether a request for `resource` (a plural, or "discovery") with Kubernetes `verb`
    /// escapes the faults.
    pub fn exempt(&self, resource: &str, verb: &str) -> bool {
        self.plan.exempt.iter().any(|e| e == resource) || (!self.plan.verbs.is_empty() && !self.plan.verbs.iter().any(|v| v == verb))
    }

    /// The faults of the next request subject to them (the caller checked `exempt`).
    pub fn decide(&self, watch: bool) -> Decision {
        if self.start.elapsed() < self.after {
            return CLEAN;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let base = mix(self.plan.seed ^ mix(n));
        let roll = |i: u64| (mix(base.wrapping_add(i)) >> 11) as f64 / (1u64 << 53) as f64;
        let p = &self.plan;
        let r = roll(1);
        let verdict = if r < p.error {
            let i = (mix(base ^ 7) % p.codes.len().max(1) as u64) as usize;
            Verdict::Error(p.codes.get(i).copied().unwrap_or(503))
        } else if r < p.error + p.throttle {
            Verdict::Throttle(p.retry_after)
        } else if r < p.error + p.throttle + p.reset {
            Verdict::Reset
        } else if r < p.error + p.throttle + p.reset + p.lost {
            Verdict::Lost
        } else {
            Verdict::Pass
        };
        let delay = (roll(2) < p.latency).then(|| Duration::from_millis(p.latency_ms));
        let drop_watch_after = (watch && roll(3) < p.drop_watch).then(|| Duration::from_millis(100 + mix(base ^ 11) % 1900));
        Decision { delay, verdict, drop_watch_after }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_command_line_form() {
        let p = FaultPlan::parse("seed=7, error=0.2,codes=500/503,throttle=0.1,retry-after=2,latency=0.5,latency-ms=50,drop-watch=1,reset=0.05,after=3s,exempt=discovery/selfsubjectreviews").unwrap();
        assert_eq!((p.seed, p.error, p.throttle, p.retry_after, p.latency_ms, p.reset), (7, 0.2, 0.1, 2, 50, 0.05));
        assert_eq!(p.exempt, vec!["discovery", "selfsubjectreviews"]);
        assert_eq!(parse_duration(&p.after).unwrap(), Duration::from_secs(3));
    }

    #[test]
    fn rejects_bad_specs_naming_the_key() {
        assert_eq!(FaultPlan::parse("error=2").unwrap_err(), "error: \"2\" is not a share between 0 and 1");
        assert!(FaultPlan::parse("codes=404").unwrap_err().starts_with("codes: 404 is not a 5xx code"));
        assert!(FaultPlan::parse("error=0.6,throttle=0.6").unwrap_err().contains("must not exceed 1"));
        assert!(FaultPlan::parse("reset=0.6,lost=0.6").unwrap_err().contains("must not exceed 1"));
        assert!(FaultPlan::parse("verbs=patch/poke").unwrap_err().starts_with("verbs: \"poke\" is not a Kubernetes verb"));
        assert!(FaultPlan::parse("bogus=1").unwrap_err().starts_with("unknown key \"bogus\""));
        assert!(FaultPlan::parse("after=5 parsecs").unwrap_err().starts_with("after:"));
        assert!(FaultPlan::parse("seed").unwrap_err().contains("key=value"));
    }

    #[test]
    fn the_same_seed_replays_the_same_verdicts() {
        let plan = FaultPlan::parse("seed=42,error=0.3,throttle=0.2,reset=0.1,latency=0.3,drop-watch=0.5").unwrap();
        let a: Vec<Decision> = (0..200).map(|i| Injector::new(plan.clone()).decide_nth(i)).collect();
        let one = Injector::new(plan.clone());
        let b: Vec<Decision> = (0..200).map(|_| one.decide(true)).collect();
        assert_eq!(a, b);
        let errors = b.iter().filter(|d| matches!(d.verdict, Verdict::Error(_))).count();
        assert!((30..=90).contains(&errors), "about 30% of 200 should fail, got {errors}");
        let other = Injector::new(FaultPlan { seed: 43, ..plan });
        let c: Vec<Decision> = (0..200).map(|_| other.decide(true)).collect();
        assert_ne!(b, c);
    }

    impl Injector {
        fn decide_nth(&self, n: u64) -> Decision {
            self.counter.store(n, Ordering::Relaxed);
            self.decide(true)
        }
    }
}
