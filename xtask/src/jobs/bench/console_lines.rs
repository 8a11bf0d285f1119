//! One boot's console, read line by line: `boot()` starts QEMU and collects
//! what the guest's `BENCH`, `BENCH-TSYNC`, `BENCH-INFO`, `BENCH-SKIP`,
//! `BENCH-ERROR` and `BENCH-DONE` lines say (`parse_line`) into a [`Boot`].

use super::{BenchOpts, Clock};
use crate::util::{say, Result, Step};
use crate::vm::qemu;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::Stdio;
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
    let mut log = std::fs::File::create(&log_path)?;
    let step = Step::start(
        "bench",
        format!(
            "boot {label}: {} -append \"{append}\" (log {})",
            bz.display(),
            log_path.display()
        ),
    );
    let (reader, writer) = std::io::pipe()?;
    let mut cmd = match opts.clock {
        Clock::Icount => qemu::command_icount(bz, cpio, append),
        Clock::Wall => qemu::command(bz, cpio, append),
    };
    cmd.stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let started = Instant::now();
    let mut child = cmd.spawn()?;
    drop(cmd); // it holds copies of the write end: EOF comes once QEMU exits
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut r = BufReader::new(reader);
        let mut buf = Vec::new();
        while matches!(r.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
            let s = String::from_utf8_lossy(&buf).replace('\r', "");
            if tx.send(s.trim_end_matches('\n').to_string()).is_err() {
                break;
            }
            buf.clear();
        }
    });
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let mut b = Boot {
        label: label.to_string(),
        append: append.to_string(),
        ..Boot::default()
    };
    let mut timed_out = false;
    let mut last_progress = Instant::now();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(l) => l,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                timed_out = true;
                break;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        writeln!(log, "{line}")?;
        if line.contains("Kernel panic") {
            b.errors.push(format!("boot {label}: {line}"));
        }
        match parse_line(&line) {
            None => {}
            Some(Line::Sample(s)) => {
                b.samples.push(s);
                if last_progress.elapsed() > Duration::from_secs(20) {
                    say(
                        "bench",
                        format!("boot {label}: {} measurement(s) so far", b.samples.len()),
                    );
                    last_progress = Instant::now();
                }
            }
            Some(Line::Tsync(t)) => {
                say(
                    "bench",
                    format!(
                        "boot {label}: TSYNC {} {} {:.0} ticks",
                        t.mech, t.set, t.ticks
                    ),
                );
                b.tsync.push(t);
            }
            Some(Line::Info(i)) => {
                say("bench", format!("BENCH-INFO {i}"));
                b.info.push(i);
            }
            Some(Line::Skip(s)) => {
                say("bench", format!("BENCH-SKIP {s}"));
                b.skips.push(s);
            }
            Some(Line::Error(e)) => {
                println!("FAIL {e}");
                b.errors.push(format!("boot {label}: {e}"));
            }
            Some(Line::Done(secs)) => {
                b.done = true;
                b.secs = secs;
            }
        }
    }
    if timed_out {
        let _ = child.kill(); // our own QEMU child, by pid
        b.errors.push(format!(
            "boot {label}: timeout after {timeout}s (QEMU killed)"
        ));
    }
    let status = child.wait()?;
    b.wall_secs = started.elapsed().as_secs_f64();
    step.done(format!(
        "{} measurement(s), {} TSYNC sample(s), qemu {status}",
        b.samples.len(),
        b.tsync.len()
    ));
    Ok(b)
}

/// What a console line says to the host.
#[derive(Debug)]
pub(super) enum Line {
    Sample(Sample),
    Tsync(TsyncSample),
    Info(String),
    Skip(String),
    Error(String),
    /// BENCH-DONE, with the guest's seconds of measuring
    Done(f64),
}

/// Parses a console line; the marker may follow kernel noise on the same
/// line. None: not a BENCH line. A BENCH or BENCH-TSYNC line that does not
/// parse becomes an error.
pub(super) fn parse_line(line: &str) -> Option<Line> {
    let l = &line[line.find("BENCH")?..];
    let kv = fields(l);
    let bad = || Line::Error(format!("unparsable line {l:?}"));
    Some(if l.starts_with("BENCH ") {
        parse_sample(&kv).map_or_else(bad, Line::Sample)
    } else if l.starts_with("BENCH-TSYNC ") {
        parse_tsync(&kv).map_or_else(bad, Line::Tsync)
    } else if let Some(rest) = l.strip_prefix("BENCH-INFO ") {
        Line::Info(rest.to_string())
    } else if let Some(rest) = l.strip_prefix("BENCH-SKIP ") {
        Line::Skip(rest.to_string())
    } else if l.starts_with("BENCH-ERROR ") {
        Line::Error(l.to_string())
    } else if l.starts_with("BENCH-DONE ") {
        Line::Done(kv.get("secs").and_then(|s| s.parse().ok()).unwrap_or(0.0))
    } else {
        return None;
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

pub(super) fn parse_sample(kv: &BTreeMap<String, String>) -> Option<Sample> {
    let boot = kv.get("boot")?.clone();
    let kind = boot_kind(&boot).to_string();
    if kind.is_empty() {
        return None;
    }
    Some(Sample {
        kind,
        boot,
        state: kv.get("state")?.chars().next()?,
        op: kv.get("op")?.clone(),
        ticks: kv.get("ticks_per_op")?.parse().ok()?,
    })
}

pub(super) fn parse_tsync(kv: &BTreeMap<String, String>) -> Option<TsyncSample> {
    Some(TsyncSample {
        mech: kv.get("mech")?.clone(),
        set: kv.get("set")?.clone(),
        threads: kv.get("threads")?.parse().ok()?,
        busy: kv.get("busy")? == "1",
        ticks: kv.get("ticks")?.parse().ok()?,
        asleep: kv.get("asleep")?.parse().ok()?,
    })
}
