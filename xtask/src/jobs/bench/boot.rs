//! One boot of the benchmark: QEMU started through the shared
//! [`Console`], and what the guest's protocol lines ([`Event::Bench`],
//! [`Event::Tsync`], `BenchInfo`, `BenchSkip`, `BenchError`, `BenchDone`)
//! say, collected into a [`Boot`].

use super::{BenchOpts, Clock};
use crate::jobs::vm_test;
use crate::util::{say, Result, Step};
use crate::vm::console::Console;
use crate::vm::qemu;
use prctl_network_vm_protocol::Event;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// One parsed `BENCH` line.
#[derive(Debug)]
pub(super) struct Sample {
    pub(super) boot: String,
    /// the boot label without its number: A, B, SA, SB
    pub(super) kind: String,
    pub(super) state: char,
    pub(super) op: String,
    pub(super) ticks: f64,
}

/// One parsed `BENCH-TSYNC` line.
#[derive(Debug)]
pub(super) struct TsyncSample {
    pub(super) mech: String,
    pub(super) set: String,
    pub(super) threads: usize,
    pub(super) busy: bool,
    pub(super) ticks: f64,
    pub(super) asleep: usize,
}

#[derive(Default)]
pub(super) struct Boot {
    pub(super) label: String,
    pub(super) kernel: String,
    pub(super) append: String,
    pub(super) info: Vec<String>,
    pub(super) samples: Vec<Sample>,
    pub(super) tsync: Vec<TsyncSample>,
    pub(super) errors: Vec<String>,
    pub(super) skips: Vec<String>,
    pub(super) done: bool,
    pub(super) secs: f64,
    pub(super) wall_secs: f64,
}

/// Boot once; collect the `BENCH` lines; the whole console goes to a log.
pub(super) fn boot(
    bz: &Path,
    cpio: &Path,
    append: &str,
    label: &str,
    run_dir: &Path,
    opts: &BenchOpts,
) -> Result<Boot> {
    let timeout = opts.timeout;
    let log_path = run_dir.join(format!("console-{label}.log"));
    let step = Step::start(
        "bench",
        format!(
            "boot {label}: {} -append \"{append}\" (log {})",
            bz.display(),
            log_path.display()
        ),
    );
    let qemu = match opts.clock {
        Clock::Icount => qemu::command_icount(bz, cpio, append),
        Clock::Wall => qemu::command(bz, cpio, append),
    };
    let mut console = Console::start(qemu, &log_path, Duration::from_secs(timeout))?;
    let mut b = Boot {
        label: label.to_string(),
        append: append.to_string(),
        ..Boot::default()
    };
    let mut last_progress = Instant::now();
    while let Some(line) = console.next_line()? {
        let kernel = vm_test::kernel_text(&line, Event::find(&line).is_some());
        if kernel.contains("Kernel panic") || vm_test::kernel_issues().any(|p| kernel.contains(p)) {
            println!("[console] {line}");
            b.errors.push(format!("boot {label}: {line}"));
        }
        let Some(l) = parse_line(&line) else {
            continue;
        };
        if matches!(l, Line::Sample(_)) && last_progress.elapsed() > Duration::from_secs(20) {
            say(
                "bench",
                format!(
                    "boot {label}: {} measurement(s) so far",
                    b.samples.len() + 1
                ),
            );
            last_progress = Instant::now();
        }
        b.take(l);
    }
    if console.timed_out() {
        b.errors.push(format!(
            "boot {label}: timeout after {timeout}s (QEMU killed)"
        ));
    }
    let status = console.finish()?;
    b.wall_secs = console.elapsed();
    step.done(format!(
        "{} measurement(s), {} TSYNC sample(s), qemu {status}",
        b.samples.len(),
        b.tsync.len()
    ));
    Ok(b)
}

impl Boot {
    /// Records one parsed line, saying what the user should see of it.
    pub(super) fn take(&mut self, l: Line) {
        let label = &self.label;
        match l {
            Line::Sample(s) => self.samples.push(s),
            Line::Tsync(t) => {
                say(
                    "bench",
                    format!(
                        "boot {label}: TSYNC {} {} {:.0} ticks",
                        t.mech, t.set, t.ticks
                    ),
                );
                self.tsync.push(t);
            }
            Line::Info(i) => {
                say("bench", format!("BENCH-INFO {i}"));
                self.info.push(i);
            }
            Line::Skip(s) => {
                say("bench", format!("BENCH-SKIP {s}"));
                self.skips.push(s);
            }
            Line::Error(e) => {
                println!("FAIL {e}");
                self.errors.push(format!("boot {label}: {e}"));
            }
            Line::Done { secs, ok } => {
                self.done = true;
                self.secs = secs;
                if !ok {
                    println!("FAIL boot {label}: the guest ended with ok=false");
                    self.errors
                        .push(format!("boot {label}: the guest ended with ok=false"));
                }
            }
        }
    }
}

/// What a console line says to the benchmark.
#[derive(Debug)]
pub(super) enum Line {
    Sample(Sample),
    Tsync(TsyncSample),
    Info(String),
    /// `boot=B state=S reason=...`, as bench.json keeps it
    Skip(String),
    /// the line from its tag on (`BENCH-ERROR ...`), or why it did not parse
    Error(String),
    /// BENCH-DONE, with the guest's seconds of measuring and whether it
    /// saw no error (it may have seen one it could not describe)
    Done {
        secs: f64,
        ok: bool,
    },
}

/// Reads a console line through the protocol; the tag may follow kernel
/// noise on the same line. None: not a benchmark line. A benchmark line
/// that does not parse becomes an error.
pub(super) fn parse_line(line: &str) -> Option<Line> {
    Some(match Event::find(line)? {
        Err(e) => Line::Error(e.to_string()),
        Ok(Event::Bench(s)) => {
            let kind = boot_kind(&s.boot).to_string();
            if kind.is_empty() {
                Line::Error(format!(
                    "unparsable line {:?} (a boot label names its kind)",
                    Event::Bench(s).to_string()
                ))
            } else {
                Line::Sample(Sample {
                    kind,
                    boot: s.boot,
                    state: s.state,
                    op: s.op,
                    ticks: s.ticks_per_op,
                })
            }
        }
        Ok(Event::Tsync(t)) => Line::Tsync(TsyncSample {
            mech: t.mech,
            set: t.set,
            threads: t.threads,
            busy: t.busy,
            ticks: t.ticks as f64,
            asleep: t.asleep,
        }),
        Ok(Event::BenchInfo(i)) => Line::Info(i),
        Ok(Event::BenchSkip {
            boot,
            state,
            reason,
        }) => Line::Skip(format!("boot={boot} state={state} reason={reason}")),
        Ok(e @ Event::BenchError { .. }) => Line::Error(e.to_string()),
        Ok(Event::BenchDone { ok, secs, .. }) => Line::Done { secs, ok },
        // The test runner's lines have no business here.
        Ok(_) => return None,
    })
}

/// `KEY=VALUE` words of a line (the first word, the marker, is skipped).
pub(super) fn fields(line: &str) -> BTreeMap<String, String> {
    line.split_whitespace()
        .skip(1)
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The kind of a boot label: `SA12` -> `SA`.
pub(super) fn boot_kind(label: &str) -> &str {
    label.trim_end_matches(|c: char| c.is_ascii_digit())
}

/// The pair number of a boot label: `SB2` -> 2.
pub(super) fn boot_pair(label: &str) -> Option<u32> {
    label[boot_kind(label).len()..].parse().ok()
}
