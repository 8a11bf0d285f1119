//! target/bench/bench.json: the report's figures for programs, and what
//! `--compare` reads back (compare.rs). Ticks and unit values are rounded
//! to 3 decimals; a figure that is not finite is null.

use super::boot::Boot;
use super::compare::largest;
use super::report::{find_col, in_cell, Report};
use super::Clock;
use serde::{Serialize, Serializer};

/// A figure as bench.json gives it: rounded to 3 decimals (through the
/// decimal text, as `{:.3}` writes it), null where not finite.
#[derive(Clone, Copy)]
struct Fig(f64);

impl Serialize for Fig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match format!("{:.3}", self.0).parse::<f64>() {
            Ok(x) if self.0.is_finite() => s.serialize_f64(x),
            _ => s.serialize_none(),
        }
    }
}

#[derive(Serialize)]
struct File<'a> {
    date: &'a str,
    command: String,
    clock: &'static str,
    unit: &'static str,
    options: Options<'a>,
    tsc_ghz: Fig,
    boots: Vec<BootOut<'a>>,
    results: Vec<Cell<'a>>,
    ratios: Vec<RatioOut<'a>>,
    tsync: Vec<TsyncOut<'a>>,
    goals: Vec<Goal>,
    compare: Option<Compare<'a>>,
}

#[derive(Serialize)]
struct Options<'a> {
    pairs: u32,
    stacked_pairs: u32,
    rounds: u32,
    iters: u64,
    tsync_rounds: u32,
    tsync_sets: &'a str,
}

#[derive(Serialize)]
struct BootOut<'a> {
    label: &'a str,
    kernel: &'a str,
    append: &'a str,
    done: bool,
    secs: Fig,
    host_secs: Fig,
    info: &'a [String],
    skips: &'a [String],
    errors: &'a [String],
}

/// A (column, op) cell: in the report's unit, in ticks, and every sample
/// as (boot, ticks).
#[derive(Serialize)]
struct Cell<'a> {
    column: &'a str,
    state: char,
    boots: &'a str,
    op: &'a str,
    n: usize,
    min: Fig,
    median: Fig,
    min_ticks: Fig,
    median_ticks: Fig,
    samples_boot_ticks: Vec<(&'a str, Fig)>,
}

#[derive(Serialize)]
struct RatioOut<'a> {
    ratio: String,
    op: &'a str,
    min: Fig,
    median: Fig,
    by_pair: Vec<(u32, Fig)>,
    pair_spread: Option<Fig>,
}

#[derive(Serialize)]
struct TsyncOut<'a> {
    mech: &'a str,
    set: &'a str,
    threads: usize,
    busy: bool,
    n: usize,
    min: Fig,
    median: Fig,
    max: Fig,
    median_ticks: Fig,
    asleep_min: usize,
}

#[derive(Serialize)]
struct Goal {
    goal: String,
    holds: bool,
    detail: String,
}

#[derive(Serialize)]
struct Compare<'a> {
    previous: &'a str,
    max_abs_deviation_percent: Fig,
    tsync_max_abs_deviation_percent: Fig,
}

impl Report<'_> {
    /// bench.json, pretty-printed.
    pub(super) fn json(&self) -> String {
        let o = self.opts;
        let file = File {
            date: &self.date,
            command: o.command(),
            clock: match o.clock {
                Clock::Icount => "icount",
                Clock::Wall => "wall",
            },
            unit: self.unit(),
            options: Options {
                pairs: o.pairs,
                stacked_pairs: o.stacked_pairs,
                rounds: o.rounds,
                iters: o.iters,
                tsync_rounds: o.tsync_rounds,
                tsync_sets: &o.tsync_sets,
            },
            tsc_ghz: Fig(self.ghz),
            boots: self.boots.iter().map(boot_out).collect(),
            results: self.results(),
            ratios: self
                .ratios
                .iter()
                .map(|r| RatioOut {
                    ratio: format!("{}/{}", r.num, r.den),
                    op: &r.op,
                    min: Fig(r.min),
                    median: Fig(r.med),
                    by_pair: r.pairs.iter().map(|&(p, x)| (p, Fig(x))).collect(),
                    pair_spread: r.spread().map(Fig),
                })
                .collect(),
            tsync: self.tsync_out(),
            goals: self
                .goals()
                .into_iter()
                .map(|(goal, holds, detail)| Goal {
                    goal,
                    holds,
                    detail,
                })
                .collect(),
            compare: match (&self.prev, self.deviations()) {
                (Some(p), Some((cells, tsync))) => {
                    let max = |v: &[_]| Fig(largest(v).map_or(0.0, |d| d.percent.abs()));
                    Some(Compare {
                        previous: &p.path,
                        max_abs_deviation_percent: max(&cells),
                        tsync_max_abs_deviation_percent: max(&tsync),
                    })
                }
                _ => None,
            },
        };
        let mut s = serde_json::to_string_pretty(&file).expect("bench.json serializes");
        s.push('\n');
        s
    }

    /// The `results`: every (column, op) cell with its samples.
    fn results(&self) -> Vec<Cell<'_>> {
        self.cells
            .iter()
            .map(|((col, op), c)| {
                let column = find_col(col).expect("a column");
                Cell {
                    column: col,
                    state: column.0,
                    boots: column.1,
                    op,
                    n: c.n,
                    min: Fig(self.unit_value(c.min)),
                    median: Fig(self.unit_value(c.med)),
                    min_ticks: Fig(c.min),
                    median_ticks: Fig(c.med),
                    samples_boot_ticks: self
                        .boots
                        .iter()
                        .flat_map(|b| &b.samples)
                        .filter(|x| in_cell(x, column, op))
                        .map(|x| (x.boot.as_str(), Fig(x.ticks)))
                        .collect(),
                }
            })
            .collect()
    }

    /// The `tsync` entries: one a (set, mechanism).
    fn tsync_out(&self) -> Vec<TsyncOut<'_>> {
        self.tsync
            .iter()
            .flat_map(|r| {
                r.cells.iter().map(move |(m, c)| TsyncOut {
                    mech: m,
                    set: &r.set,
                    threads: r.threads,
                    busy: r.busy,
                    n: c.n,
                    min: Fig(self.unit_value(c.min)),
                    median: Fig(self.unit_value(c.med)),
                    max: Fig(self.unit_value(c.max)),
                    median_ticks: Fig(c.med),
                    asleep_min: r.asleep_min,
                })
            })
            .collect()
    }
}

fn boot_out(b: &Boot) -> BootOut<'_> {
    BootOut {
        label: &b.label,
        kernel: &b.kernel,
        append: &b.append,
        done: b.done,
        secs: Fig(b.secs),
        host_secs: Fig(b.wall_secs),
        info: &b.info,
        skips: &b.skips,
        errors: &b.errors,
    }
}
