//! The figures of a run: per (column, op) statistics over the samples, the
//! ratios (of the medians and by boot pair), the TSYNC rows, and the unit
//! they are shown in. markdown.rs, json.rs, goals.rs and compare.rs read them.

use super::boot::{boot_kind, boot_pair, fields, Boot, Sample, TsyncSample};
use super::compare::Previous;
use super::stats::{median, stats, Stats};
use super::{BenchOpts, Clock};
use crate::kernel::config::Flavor;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A table column: (state, boot kind, name). Boots A run a, d, e; boots B
/// run b, c, d, e. `d@A`/`e@A` are seccomp and Landlock without the
/// module; against `d`/`e` (module enabled, flag clear) they are two more
/// "cost when unused" comparisons.
pub(super) type Column = (char, &'static str, &'static str);
pub(super) const COLUMNS: &[Column] = &[
    ('a', "A", "a"),
    ('b', "B", "b"),
    ('c', "B", "c"),
    ('d', "B", "d"),
    ('e', "B", "e"),
    ('d', "A", "d@A"),
    ('e', "A", "e@A"),
];
/// The stacked table (distro kernel, AppArmor in `lsm=`).
pub(super) const STACKED_COLUMNS: &[Column] = &[
    ('a', "SA", "a′"),
    ('b', "SB", "b′"),
    ('c', "SB", "c′"),
    ('d', "SB", "d′"),
    ('d', "SA", "d′@A′"),
];
/// The order of the rows (the guest's op names).
pub(super) const OPS: &[&str] = &[
    "null",
    "socket_close",
    "socket_denied",
    "sendto",
    "sendto_denied",
    "unix_connect",
    "tcp_connect_denied",
    "tcp_attempt",
];
/// Ratio columns: (numerator, denominator), column names.
pub(super) const RATIOS: &[(&str, &str)] = &[
    ("b", "a"),
    ("c", "d"),
    ("c", "e"),
    ("d", "d@A"),
    ("e", "e@A"),
];
pub(super) const STACKED_RATIOS: &[(&str, &str)] = &[("b′", "a′"), ("c′", "d′"), ("d′", "d′@A′")];

/// The TSC rate used to show ns in wall-clock mode: the median of the
/// boots' calibrations (`tsc_ghz=` in BENCH-INFO), those done on the `tsc`
/// clocksource preferred. Under icount it should read 1.000 (one tick per
/// instruction, the virtual clock one ns per instruction).
pub(super) fn common_ghz(boots: &[Boot]) -> f64 {
    let rate = |tsc_only: bool| -> Vec<f64> {
        boots
            .iter()
            .flat_map(|b| &b.info)
            .map(|i| fields(&format!("INFO {i}")))
            .filter(|kv| !tsc_only || kv.get("clocksource").is_some_and(|c| c == "tsc"))
            .filter_map(|kv| kv.get("tsc_ghz").and_then(|g| g.parse::<f64>().ok()))
            .filter(|g| *g > 0.0)
            .collect()
    };
    let mut v = rate(true);
    if v.is_empty() {
        v = rate(false);
    }
    if v.is_empty() {
        1.0
    } else {
        median(&mut v)
    }
}

#[derive(Debug)]
pub(super) struct Ratio {
    pub(super) num: &'static str,
    pub(super) den: &'static str,
    pub(super) op: String,
    pub(super) min: f64,
    pub(super) med: f64,
    /// (pair, median num / median den of that boot pair)
    pub(super) pairs: Vec<(u32, f64)>,
}

impl Ratio {
    /// max - min of the per-pair ratios (None with fewer than 2 pairs).
    pub(super) fn spread(&self) -> Option<f64> {
        if self.pairs.len() < 2 {
            return None;
        }
        let lo = self.pairs.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = self
            .pairs
            .iter()
            .map(|p| p.1)
            .fold(f64::NEG_INFINITY, f64::max);
        Some(hi - lo)
    }
    pub(super) fn worst(&self) -> f64 {
        self.pairs.iter().map(|p| p.1).fold(self.med, f64::max)
    }
}

pub(super) struct TsyncRow {
    pub(super) set: String,
    pub(super) threads: usize,
    pub(super) busy: bool,
    /// by mechanism: prctl, seccomp
    pub(super) cells: BTreeMap<String, Stats>,
    /// fewest siblings found asleep before a call (sleeping sets)
    pub(super) asleep_min: usize,
}

pub(super) struct Report<'a> {
    pub(super) boots: &'a [Boot],
    pub(super) prev: Option<Previous>,
    pub(super) opts: &'a BenchOpts,
    pub(super) date: String,
    pub(super) kernels: Vec<String>,
    pub(super) ghz: f64,
    /// (column, op) -> ticks
    pub(super) cells: BTreeMap<(&'static str, String), Stats>,
    pub(super) ops: Vec<String>,
    pub(super) ratios: Vec<Ratio>,
    pub(super) tsync: Vec<TsyncRow>,
}

pub(super) fn find_col(col: &str) -> Option<&'static Column> {
    COLUMNS.iter().chain(STACKED_COLUMNS).find(|c| c.2 == col)
}

/// Whether a sample belongs to a column's cell for an op: its state, its
/// kind of boot, its op.
pub(super) fn in_cell(s: &Sample, &(st, kind, _): &Column, op: &str) -> bool {
    s.state == st && s.kind == kind && s.op == op
}

impl<'a> Report<'a> {
    pub(super) fn new(
        boots: &'a [Boot],
        opts: &'a BenchOpts,
        date: &str,
        kernels: &[(Flavor, PathBuf, PathBuf)],
    ) -> Report<'a> {
        let ghz = common_ghz(boots);
        let all: Vec<&Sample> = boots.iter().flat_map(|b| &b.samples).collect();
        let mut ops: Vec<String> = OPS.iter().map(|s| s.to_string()).collect();
        for s in &all {
            if !ops.contains(&s.op) {
                ops.push(s.op.clone());
            }
        }
        let mut cells = BTreeMap::new();
        for c in COLUMNS.iter().chain(STACKED_COLUMNS) {
            for op in &ops {
                let v = all
                    .iter()
                    .filter(|s| in_cell(s, c, op))
                    .map(|s| s.ticks)
                    .collect();
                if let Some(x) = stats(v) {
                    cells.insert((c.2, op.clone()), x);
                }
            }
        }
        ops.retain(|op| cells.keys().any(|(_, o)| o == op));
        let prev = opts.compare.as_deref().and_then(Previous::read);
        let mut r = Report {
            boots,
            prev,
            opts,
            date: date.to_string(),
            kernels: kernels
                .iter()
                .map(|(f, _, build)| format!("{}: {}", f.name(), build.display()))
                .collect(),
            ghz,
            cells,
            ops,
            ratios: Vec::new(),
            tsync: Vec::new(),
        };
        for &(num, den) in RATIOS.iter().chain(STACKED_RATIOS) {
            for op in &r.ops {
                if let (Some(n), Some(d)) = (
                    r.cells.get(&(num, op.clone())),
                    r.cells.get(&(den, op.clone())),
                ) {
                    r.ratios.push(Ratio {
                        num,
                        den,
                        op: op.clone(),
                        min: n.min / d.min,
                        med: n.med / d.med,
                        pairs: r.pair_ratios(num, den, op),
                    });
                }
            }
        }
        r.tsync = tsync_rows(boots);
        r
    }

    /// Per boot pair: the median of `num` in the pair's boot over the
    /// median of `den` in the pair's boot (the same pair number).
    pub(super) fn pair_ratios(&self, num: &str, den: &str, op: &str) -> Vec<(u32, f64)> {
        let (n, d) = (self.boot_meds(num, op), self.boot_meds(den, op));
        n.iter()
            .filter_map(|(p, x)| d.iter().find(|(q, _)| q == p).map(|(_, y)| (*p, x / y)))
            .collect()
    }

    /// Per-boot median ticks of a column for an op, by pair number.
    pub(super) fn boot_meds(&self, col: &str, op: &str) -> Vec<(u32, f64)> {
        let Some(c) = find_col(col) else {
            return Vec::new();
        };
        self.boots
            .iter()
            .filter(|b| boot_kind(&b.label) == c.1)
            .filter_map(|b| {
                let v = b
                    .samples
                    .iter()
                    .filter(|x| in_cell(x, c, op))
                    .map(|x| x.ticks)
                    .collect();
                Some((boot_pair(&b.label)?, stats(v)?.med))
            })
            .collect()
    }

    pub(super) fn ratio(&self, num: &str, den: &str, op: &str) -> Option<&Ratio> {
        self.ratios
            .iter()
            .find(|r| r.num == num && r.den == den && r.op == op)
    }

    /// A figure in the report's unit: instructions (icount) or ns (wall).
    pub(super) fn unit_value(&self, ticks: f64) -> f64 {
        match self.opts.clock {
            Clock::Icount => ticks,
            Clock::Wall => ticks / self.ghz,
        }
    }

    pub(super) fn unit(&self) -> &'static str {
        match self.opts.clock {
            Clock::Icount => "guest instructions",
            Clock::Wall => "ns",
        }
    }

    /// A mechanism's TSYNC figures with no sibling thread (the 0s set).
    pub(super) fn tsync_base(&self, mech: &str) -> Option<&Stats> {
        self.tsync
            .iter()
            .find(|r| r.threads == 0)
            .and_then(|r| r.cells.get(mech))
    }
}

/// The TSYNC rows, in the order of the sets as first seen.
pub(super) fn tsync_rows(boots: &[Boot]) -> Vec<TsyncRow> {
    let all: Vec<&TsyncSample> = boots.iter().flat_map(|b| &b.tsync).collect();
    let mut sets: Vec<(String, usize, bool)> = Vec::new();
    for t in &all {
        if !sets.iter().any(|s| s.0 == t.set) {
            sets.push((t.set.clone(), t.threads, t.busy));
        }
    }
    sets.sort_by_key(|s| (s.2, s.1));
    sets.into_iter()
        .map(|(set, threads, busy)| {
            let mine: Vec<&&TsyncSample> = all.iter().filter(|t| t.set == set).collect();
            let mut cells = BTreeMap::new();
            for m in ["prctl", "seccomp"] {
                let v = mine
                    .iter()
                    .filter(|t| t.mech == m)
                    .map(|t| t.ticks)
                    .collect();
                if let Some(st) = stats(v) {
                    cells.insert(m.to_string(), st);
                }
            }
            TsyncRow {
                asleep_min: mine.iter().map(|t| t.asleep).min().unwrap_or(0),
                set,
                threads,
                busy,
                cells,
            }
        })
        .collect()
}
