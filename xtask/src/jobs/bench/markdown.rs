//! target/bench/bench.md: the tables, the TSYNC table, the goals, the boots.

use super::boot::fields;
use super::report::{Column, Report, COLUMNS, RATIOS, STACKED_COLUMNS, STACKED_RATIOS};
use super::Clock;
use crate::vm::qemu;
use std::fmt::Write as _;

impl Report<'_> {
    pub(super) fn table(
        &self,
        s: &mut String,
        columns: &[Column],
        ratios: &[(&'static str, &'static str)],
        pair_ratio: (&str, &str),
    ) {
        let mut hdr = String::from("| op |");
        let mut sep = String::from("|----|");
        for &(_, _, col) in columns {
            let _ = write!(hdr, " {col} |");
            sep.push_str("---:|");
        }
        for &(n, d) in ratios {
            let _ = write!(hdr, " {n}/{d} med (min) |");
            sep.push_str("---:|");
        }
        let _ = write!(
            hdr,
            " {}/{} by boot pair (spread) |",
            pair_ratio.0, pair_ratio.1
        );
        sep.push_str("---|");
        let _ = writeln!(s, "{hdr}\n{sep}");
        for op in &self.ops {
            if !columns
                .iter()
                .any(|c| self.cells.contains_key(&(c.2, op.clone())))
            {
                continue;
            }
            let _ = write!(s, "| {op} |");
            for &(_, _, col) in columns {
                match self.cells.get(&(col, op.clone())) {
                    Some(c) => {
                        let _ = write!(
                            s,
                            " {:.0} / {:.0} |",
                            self.unit_value(c.min),
                            self.unit_value(c.med)
                        );
                    }
                    None => s.push_str(" - |"),
                }
            }
            for &(n, d) in ratios {
                match self.ratio(n, d, op) {
                    Some(r) => {
                        let _ = write!(s, " {:.4} ({:.4}) |", r.med, r.min);
                    }
                    None => s.push_str(" - |"),
                }
            }
            match self.ratio(pair_ratio.0, pair_ratio.1, op) {
                Some(r) if !r.pairs.is_empty() => {
                    let _ = write!(
                        s,
                        " {} ({}) |",
                        r.pairs
                            .iter()
                            .map(|(_, x)| format!("{x:.4}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        r.spread().map_or("-".into(), |x| format!("{x:.4}"))
                    );
                }
                _ => s.push_str(" - |"),
            }
            s.push('\n');
        }
    }

    pub(super) fn tsync_table(&self, s: &mut String) {
        let u = match self.opts.clock {
            Clock::Icount => "instructions",
            Clock::Wall => "ns",
        };
        let _ = writeln!(
            s,
            "| siblings | prctl TSYNC min / med | seccomp TSYNC min / med | prctl/seccomp (med) | \
             prctl per thread med (min) | seccomp per thread med (min) | max/min over rounds prctl, seccomp | asleep at the call |"
        );
        let _ = writeln!(s, "|----|---:|---:|---:|---:|---:|---:|---|");
        for r in &self.tsync {
            let cell = |m: &str| {
                r.cells.get(m).map_or("-".to_string(), |c| {
                    format!(
                        "{:.0} / {:.0} ({})",
                        self.unit_value(c.min),
                        self.unit_value(c.med),
                        c.n
                    )
                })
            };
            let per = |m: &str| match (r.cells.get(m), self.tsync_base(m)) {
                (Some(c), Some(b)) if r.threads > 0 => {
                    let n = r.threads as f64;
                    format!(
                        "{:.0} ({:.0})",
                        self.unit_value((c.med - b.med) / n),
                        self.unit_value((c.min - b.min) / n)
                    )
                }
                _ => "-".into(),
            };
            let spread = |m: &str| {
                r.cells
                    .get(m)
                    .map_or("-".into(), |c| format!("{:.4}", c.max / c.min))
            };
            let ratio = match (r.cells.get("prctl"), r.cells.get("seccomp")) {
                (Some(p), Some(q)) => format!("{:.2}", p.med / q.med),
                _ => "-".into(),
            };
            let _ = writeln!(
                s,
                "| {} {} | {} | {} | {ratio} | {} | {} | {}, {} | {} |",
                r.threads,
                if r.busy { "busy" } else { "sleeping" },
                cell("prctl"),
                cell("seccomp"),
                per("prctl"),
                per("seccomp"),
                spread("prctl"),
                spread("seccomp"),
                if r.busy {
                    "(spinning)".to_string()
                } else {
                    format!("{} of {}", r.asleep_min, r.threads)
                }
            );
        }
        let _ = writeln!(
            s,
            "\nCells: {u} per call, min / median (samples), from the caller's `rdtsc` before and after the \
             one call; per thread = (median - median with 0 siblings) / siblings, and in brackets the same \
             from the minima (the noise only ever adds: allocations that refill a cache, a tick)."
        );
    }

    pub(super) fn markdown(&self) -> String {
        let mut s = String::new();
        let yn = |b: bool| if b { "holds" } else { "does NOT hold" };
        let _ = writeln!(s, "# prctl_network microbenchmarks\n");
        let _ = writeln!(
            s,
            "{}: `{}`; boots {}.\n",
            self.date,
            self.opts.command(),
            self.boots
                .iter()
                .map(|b| b.label.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
        match self.opts.clock {
            Clock::Icount => {
                let _ = writeln!(
                    s,
                    "Clock: QEMU TCG with `{}`: the guest's TSC counts guest instructions (tsc_ghz {:.3}), \
                     so every figure is **guest instructions** (all vCPUs), the same binary giving the same \
                     figures in every boot.\n",
                    qemu::ICOUNT.join(" "),
                    self.ghz
                );
            }
            Clock::Wall => {
                let _ = writeln!(
                    s,
                    "Clock: wall (`--wall`): ns from the TSC, {:.3} GHz (median of the boots' calibrations \
                     against CLOCK_MONOTONIC); under TCG the host's TSC, with boot-to-boot noise of up to 20%.\n",
                    self.ghz
                );
            }
        }
        let _ = writeln!(
            s,
            "States: a = module not enabled (`lsm=landlock,yama`, boots A); b = enabled, flag clear; \
             c = PR_SET_NETWORK(PR_NETWORK_OFF); d = seccomp-bpf socket(!AF_UNIX) -> EPERM; \
             e = Landlock TCP bind/connect denied. Boots A run a, d, e; boots B run b, c, d, e, the states \
             interleaved round by round. d@A, e@A: d and e in boots A (no module).\n"
        );
        let _ = writeln!(
            s,
            "Cells: min / median {} per op over all rounds of all boots of the column's kind. \
             Ratios: of the medians (of the minima). By boot pair: the ratio of boot i's median to boot i's \
             (A_i, B_i): its spread (max - min over the pairs) is the run-to-run spread.\n",
            self.unit()
        );
        self.table(&mut s, COLUMNS, RATIOS, ("b", "a"));
        if self.tsync.is_empty() {
            let _ = writeln!(s, "\n## TSYNC\n\nNot measured (`--tsync-rounds 0`).");
        } else {
            let _ = writeln!(
                s,
                "\n## TSYNC: one call restricting every thread (boot T1, std kernel, module enabled)\n\n\
                 `prctl(PR_SET_NETWORK, PR_NETWORK_OFF, PR_NETWORK_TSYNC, 0, 0)` against \
                 `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, d's filter)`, once per forked \
                 child, with N sibling threads sleeping in `read()` on a pipe or spinning in user space; every \
                 sibling is checked restricted afterwards.\n"
            );
            self.tsync_table(&mut s);
        }
        if STACKED_COLUMNS
            .iter()
            .any(|c| self.cells.keys().any(|(col, _)| *col == c.2))
        {
            let lsm = self
                .boots
                .iter()
                .filter(|b| b.label.starts_with('S'))
                .flat_map(|b| &b.info)
                .filter_map(|i| fields(&format!("INFO {i}")).get("lsm").cloned())
                .collect::<Vec<_>>();
            let _ = writeln!(
                s,
                "\n## Stacked with AppArmor (distro kernel, boots SA/SB)\n\n\
                 The `--flavor distro` kernel (AppArmor, SELinux, BPF LSM, lockdown, IMA, audit, netfilter \
                 built in), booted with `lsm=` the distro flavour's AppArmor order without prctl_network (a′: \
                 module not enabled; d′@A′: seccomp there) and with it (b′, c′, d′). Active modules as read \
                 from /sys/kernel/security/lsm: {}.\n",
                {
                    let mut l = lsm;
                    l.sort();
                    l.dedup();
                    l.iter()
                        .map(|x| format!("`{x}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
            self.table(&mut s, STACKED_COLUMNS, STACKED_RATIOS, ("b′", "a′"));
        }
        self.comparison(&mut s);
        let _ = writeln!(s, "\n## Goals (reported, not enforced)\n");
        for (what, holds, detail) in self.goals() {
            let _ = writeln!(s, "- {what}: {} ({detail})", yn(holds));
        }
        let _ = writeln!(
            s,
            "\n## Notes\n\n\
             - `null` (getppid) touches no socket hook: its b/a (and d/d@A, e/e@A) is the floor of a \
             cross-boot comparison. b/a compares two boots; c/d and c/e compare states interleaved \
             within the same boots.\n\
             - `socket_denied` in c and d, `sendto_denied` in c, `tcp_connect_denied` and `tcp_attempt` are \
             denials (EPERM, or EACCES from Landlock); `tcp_attempt` is socket(AF_INET, SOCK_STREAM) plus, \
             where that succeeds (Landlock), connect + close: what a denied client pays.\n\
             - Kernels: {}.",
            self.kernels.join("; ")
        );
        let _ = writeln!(s, "\n## Boots\n");
        for b in self.boots {
            let _ = writeln!(
                s,
                "- {} ({} kernel): {} samples, {} TSYNC samples, {}{:.1}s of guest measuring, {:.0}s on the host; {}",
                b.label,
                b.kernel,
                b.samples.len(),
                b.tsync.len(),
                if b.done { "" } else { "INCOMPLETE, " },
                b.secs,
                b.wall_secs,
                b.info.join("; ")
            );
            for k in &b.skips {
                let _ = writeln!(s, "  - skipped: {k}");
            }
            for e in &b.errors {
                let _ = writeln!(s, "  - error: {e}");
            }
        }
        s
    }
}
