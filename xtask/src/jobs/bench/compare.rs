//! `--compare`: the medians of a previous run, read back from its
//! bench.json, and this run's deviations from them (a section of bench.md,
//! the `compare` object of bench.json).

use super::report::Report;
use crate::util::say;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The medians of a previous run (`--compare`), read back from its
/// bench.json.
#[derive(Default, Debug)]
pub(super) struct Previous {
    pub(super) path: String,
    pub(super) date: String,
    pub(super) command: String,
    /// (column, op) -> median
    pub(super) cells: BTreeMap<(String, String), f64>,
    /// (mechanism, set) -> median
    pub(super) tsync: BTreeMap<(String, String), f64>,
}

impl Previous {
    /// Reads the `--compare` file; says why and gives None where it cannot.
    pub(super) fn read(path: &Path) -> Option<Previous> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| say("bench", format!("--compare {}: {e}", path.display())))
            .ok()?;
        Previous::parse(&path.display().to_string(), &text)
            .map_err(|e| say("bench", format!("--compare {}: {e}", path.display())))
            .ok()
    }

    /// Reads a bench.json: what json.rs writes, or what the hand-written
    /// writer before it wrote (the same fields, one object a line). An entry
    /// without its names or with a null median is passed over.
    pub(super) fn parse(path: &str, text: &str) -> serde_json::Result<Previous> {
        let v: Value = serde_json::from_str(text)?;
        let text_of = |o: &Value, key: &str| o.get(key)?.as_str().map(str::to_string);
        // `list`: [{a: .., b: .., median_ticks: ..}] -> (a, b) -> median_ticks
        let medians = |list: &str, a: &str, b: &str| {
            v.get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    let key = (text_of(e, a)?, text_of(e, b)?);
                    Some((key, e.get("median_ticks")?.as_f64()?))
                })
                .collect()
        };
        Ok(Previous {
            path: path.to_string(),
            date: text_of(&v, "date").unwrap_or_default(),
            command: text_of(&v, "command").unwrap_or_default(),
            cells: medians("results", "column", "op"),
            tsync: medians("tsync", "mech", "set"),
        })
    }
}

/// This run's median of a cell against the previous run's.
#[derive(Debug)]
pub(super) struct Deviation {
    /// `sendto a`, `prctl 16s`
    pub(super) cell: String,
    pub(super) old: f64,
    pub(super) now: f64,
    /// (now / old - 1), in percent
    pub(super) percent: f64,
}

/// `now` against the previous median under `key`, if there was one.
fn against(
    old: &BTreeMap<(String, String), f64>,
    key: (String, String),
    cell: String,
    now: f64,
) -> Option<Deviation> {
    let old = *old.get(&key)?;
    Some(Deviation {
        cell,
        old,
        now,
        percent: (now / old - 1.0) * 100.0,
    })
}

/// The deviation of the largest magnitude.
pub(super) fn largest(v: &[Deviation]) -> Option<&Deviation> {
    v.iter()
        .max_by(|a, b| a.percent.abs().total_cmp(&b.percent.abs()))
}

impl Report<'_> {
    /// Deviations of this run's medians from the previous run's: (ops and
    /// stacked cells, TSYNC cells). None without `--compare`.
    pub(super) fn deviations(&self) -> Option<(Vec<Deviation>, Vec<Deviation>)> {
        let p = self.prev.as_ref()?;
        let cells = self
            .cells
            .iter()
            .filter_map(|((col, op), c)| {
                let key = (col.to_string(), op.clone());
                against(&p.cells, key, format!("{op} {col}"), c.med)
            })
            .collect();
        let tsync = self
            .tsync
            .iter()
            .flat_map(|r| {
                r.cells.iter().filter_map(|(m, c)| {
                    let key = (m.clone(), r.set.clone());
                    against(&p.tsync, key, format!("{m} {}", r.set), c.med)
                })
            })
            .collect();
        Some((cells, tsync))
    }

    /// The bench.md section "Against a previous run" (nothing without
    /// `--compare`).
    pub(super) fn comparison(&self, s: &mut String) {
        let (Some(p), Some((cells, tsync))) = (&self.prev, self.deviations()) else {
            return;
        };
        let worst = |v: &[Deviation]| {
            largest(v).map_or("-".to_string(), |w| {
                format!("{:+.3}% ({})", w.percent, w.cell)
            })
        };
        let _ = writeln!(
            s,
            "\n## Against a previous run\n\n`{}` ({}, `{}`): largest deviation of a per-op median \
             {} over {} cells; of a TSYNC median {} over {} cells.\n",
            p.path,
            p.date,
            p.command,
            worst(&cells),
            cells.len(),
            worst(&tsync),
            tsync.len()
        );
        let _ = writeln!(s, "| cell | previous median | this median | deviation |");
        let _ = writeln!(s, "|----|---:|---:|---:|");
        for d in cells.iter().chain(&tsync) {
            let _ = writeln!(
                s,
                "| {} | {:.0} | {:.0} | {:+.3}% |",
                d.cell,
                self.unit_value(d.old),
                self.unit_value(d.now),
                d.percent
            );
        }
    }
}
