//! The goals the report states (not enforced): the cost when unused, c
//! against d on the denials, TSYNC linear in the threads.

use super::report::{Ratio, Report};
use super::stats::growth_exponent;

/// The ops on which "c is faster than d" is judged: the denials both share.
pub(super) const DENIAL_OPS: &[&str] = &["socket_denied", "tcp_attempt"];
/// The goal for the cost when unused: b/a (and b′/a′) per op.
pub(super) const UNUSED_GOAL: f64 = 1.002;
/// Exponent of the TSYNC cost in the number of threads below which the
/// growth counts as linear.
pub(super) const LINEAR_GOAL: f64 = 1.1;

impl Report<'_> {
    /// b/a-style goal over the socket ops: (statement, holds, detail).
    pub(super) fn unused_goal(&self, num: &str, den: &str) -> Option<(String, bool, String)> {
        let v: Vec<&Ratio> = self
            .ratios
            .iter()
            .filter(|r| r.num == num && r.den == den && r.op != "null")
            .collect();
        if v.is_empty() {
            return None;
        }
        let detail = v
            .iter()
            .map(|r| {
                format!(
                    "{} {:.4}{}",
                    r.op,
                    r.med,
                    if r.worst() <= UNUSED_GOAL {
                        ""
                    } else {
                        " (over)"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let null = self
            .ratio(num, den, "null")
            .map(|r| format!("; null (no hook) {:.4}", r.med))
            .unwrap_or_default();
        Some((
            format!(
                "{num}/{den} <= {UNUSED_GOAL} for every socket op (median, and every boot pair)"
            ),
            v.iter().all(|r| r.worst() <= UNUSED_GOAL),
            format!("{detail}{null}"),
        ))
    }

    /// (statement, holds, detail)
    pub(super) fn goals(&self) -> Vec<(String, bool, String)> {
        let mut g = Vec::new();
        g.extend(self.unused_goal("b", "a"));
        g.extend(self.unused_goal("b′", "a′"));
        for (c, d) in [("c", "d"), ("c′", "d′")] {
            let cd: Vec<&Ratio> = DENIAL_OPS
                .iter()
                .filter_map(|op| self.ratio(c, d, op))
                .collect();
            if cd.is_empty() {
                continue;
            }
            g.push((
                format!(
                    "{c} faster than {d} ({c}/{d} < 1 on the denials: {})",
                    DENIAL_OPS.join(", ")
                ),
                cd.iter().all(|r| r.med < 1.0),
                cd.iter()
                    .map(|r| format!("{} {:.3}", r.op, r.med))
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        for mech in ["prctl", "seccomp"] {
            if let Some((k, detail)) = self.tsync_exponent(mech) {
                g.push((
                    format!(
                        "{mech} TSYNC linear in the sleeping threads (growth exponent <= {LINEAR_GOAL} \
                         between the two largest sets, where a quadratic term would show)"
                    ),
                    k <= LINEAR_GOAL,
                    detail,
                ));
            }
        }
        // Not a stated goal, the same question under seccomp and Landlock:
        // the module enabled with the flag clear vs absent.
        let un: Vec<&Ratio> = self
            .ratios
            .iter()
            .filter(|r| r.den == "d@A" || r.den == "e@A")
            .filter(|r| r.op != "null")
            .collect();
        if !un.is_empty() {
            g.push((
                format!("(also) d/d@A and e/e@A <= {UNUSED_GOAL} for every socket op"),
                un.iter().all(|r| r.med <= UNUSED_GOAL),
                un.iter()
                    .map(|r| format!("{}/{} {} {:.4}", r.num, r.den, r.op, r.med))
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        g
    }

    /// The growth exponent of a mechanism's TSYNC cost (medians) over the
    /// sleeping sets with at least one sibling, after taking off the cost
    /// with none (the 0s set, if measured): (the exponent between the two
    /// largest sets, which decides the goal; detail with the least-squares
    /// fit and the exponent between each two sets).
    pub(super) fn tsync_exponent(&self, mech: &str) -> Option<(f64, String)> {
        let base = self.tsync_base(mech).map_or(0.0, |s| s.med);
        let sleeping = || {
            self.tsync
                .iter()
                .filter(|r| !r.busy && r.threads > 0)
                .filter_map(|r| Some((r.threads as f64, r.cells.get(mech)?.med)))
        };
        let mut pts: Vec<(f64, f64)> = sleeping().map(|(n, t)| (n, t - base)).collect();
        // The added cost must grow to be fitted; where a set costs no more
        // than the call alone (seccomp), fit the whole cost instead.
        let marginal = pts.iter().all(|p| p.1 > 0.0);
        if !marginal {
            pts = sleeping().collect();
        }
        let fit = growth_exponent(&pts)?;
        let k = growth_exponent(&pts[pts.len() - 2..])?;
        let local: Vec<String> = pts
            .windows(2)
            .filter_map(|w| {
                Some(format!(
                    "{}->{}: {:.2}",
                    w[0].0,
                    w[1].0,
                    growth_exponent(&[w[0], w[1]])?
                ))
            })
            .collect();
        Some((
            k,
            format!(
                "exponent {k:.2} between the two largest sets; {fit:.2} by least squares over {} sleeping sets, {}; between sets {}",
                pts.len(),
                if marginal {
                    "of the cost minus the 0-thread cost"
                } else {
                    "of the whole cost: some sets cost no more than the call without siblings"
                },
                local.join(", ")
            ),
        ))
    }
}
