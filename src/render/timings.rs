//! `scan --timings`: where a scan's time went, for people, on stderr. Wall time per phase, then
//! the operations that took longest (time in calls, summed over attempts and over calls that
//! ran side by side, so it can exceed the observe phase), with their call counts.

use crate::model::Observation;

/// Operations listed, the slowest first.
const TOP: usize = 10;

/// Prints [`render`] on stderr.
pub fn print(phases: &[(&str, std::time::Duration)], obs: &Observation) {
    eprint!("{}", render(phases, obs));
}

pub fn render(phases: &[(&str, std::time::Duration)], obs: &Observation) -> String {
    let total: std::time::Duration = phases.iter().map(|(_, d)| *d).sum();
    let mut out = format!("timings: {} ms in all\n", total.as_millis());
    for (name, d) in phases {
        out.push_str(&format!("  {name:<8} {:>8} ms\n", d.as_millis()));
    }
    if obs.api_ms.is_empty() {
        if !obs.api_calls.is_empty() {
            out.push_str("  (a replayed observation: no call was made)\n");
        }
        return out;
    }
    let mut ops: Vec<(&String, &u64)> = obs.api_ms.iter().collect();
    ops.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    out.push_str("time in calls, by operation:\n");
    for (op, ms) in ops.into_iter().take(TOP) {
        let calls = obs.api_calls.get(op).copied().unwrap_or(0);
        out.push_str(&format!("  {op:<40} {ms:>8} ms  {calls:>5} calls\n"));
    }
    if !obs.paced_ms.is_empty() {
        out.push_str("waiting for AWS's rate limits (DRIFTGATE_API_PACE), by operation:\n");
        for (op, ms) in &obs.paced_ms {
            out.push_str(&format!("  {op:<40} {ms:>8} ms\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::Duration;

    #[test]
    fn waits_for_pacing_are_shown_by_operation() {
        let obs = Observation {
            api_calls: BTreeMap::from([("ec2:DescribeVpcAttribute".to_string(), 300)]),
            api_ms: BTreeMap::from([("ec2:DescribeVpcAttribute".to_string(), 2_000)]),
            paced_ms: BTreeMap::from([("ec2:DescribeVpcAttribute".to_string(), 61_000)]),
            ..Observation::default()
        };
        let out = render(&[("observe", Duration::from_secs(12))], &obs);
        assert!(
            out.contains("waiting for AWS's rate limits (DRIFTGATE_API_PACE), by operation:\n  ec2:DescribeVpcAttribute"),
            "{out}"
        );
        assert!(out.contains("61000 ms"), "{out}");
        let unpaced = render(
            &[("observe", Duration::from_secs(1))],
            &Observation {
                paced_ms: BTreeMap::new(),
                ..obs
            },
        );
        assert!(!unpaced.contains("waiting"), "{unpaced}");
    }

    #[test]
    fn phases_then_the_slowest_operations() {
        let obs = Observation {
            api_calls: BTreeMap::from([
                ("ec2:DescribeVpcs".to_string(), 1),
                ("ec2:DescribeVpcAttribute".to_string(), 200),
            ]),
            api_ms: BTreeMap::from([
                ("ec2:DescribeVpcs".to_string(), 40),
                ("ec2:DescribeVpcAttribute".to_string(), 900),
            ]),
            ..Observation::default()
        };
        let out = render(
            &[
                ("read", Duration::from_millis(5)),
                ("observe", Duration::from_millis(700)),
            ],
            &obs,
        );
        assert!(out.starts_with("timings: 705 ms in all\n"), "{out}");
        let attr = out.find("ec2:DescribeVpcAttribute").unwrap();
        let vpcs = out.find("ec2:DescribeVpcs ").unwrap();
        assert!(attr < vpcs, "slowest first:\n{out}");
        assert!(out.contains("200 calls"), "{out}");
    }
}
