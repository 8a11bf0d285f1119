//! `cargo xtask bench`: the in-VM microbenchmarks of qemu/bench.
//!
//! One kernel (the xtask's kernel step), one tiny initramfs whose /init is
//! the static `prctl-network-bench` binary (it mounts, brings `lo` up and
//! reboots by itself: no test harness runs next to it), booted alternately
//!
//! * `A`: with `lsm=landlock,yama` on the command line: prctl_network is not
//!   enabled (state `a`; also `d` and `e`, reported as `d@A`, `e@A`);
//! * `B`: with the default `CONFIG_LSM` (module enabled): states `b`, `c`,
//!   `d`, `e`;
//!
//! the states of a boot interleaved round by round inside the guest,
//! `A1 B1 A2 B2 ...` (`--pairs N`). The guest prints `BENCH ... ticks_per_op=
//! ns_per_op=` lines; this module collects them per (state, boot kind) and
//! op over all boots, takes min and median, and writes a Markdown table
//! (op x state) with the ratios `b/a`, `c/d`, `c/e`, `d/d@A`, `e/e@A`
//! (`null`, a hook-free getppid, gives the cross-boot noise floor), from TSC
//! ticks (under TCG the guest's `rdtsc` is the host's TSC, the same clock in
//! both boots). Results: target/bench/bench.md and target/bench/bench.json.
//!
//! The cache lock is held only while the kernel and the initramfs are made;
//! the boots use private copies, so other xtask runs are not held up for the
//! minutes of benchmarking.

use crate::cache;
use crate::cpio::Cpio;
use crate::host_deps;
use crate::initramfs;
use crate::kernel::{self, KernelOpts};
use crate::qemu;
use crate::util::{project_root, say, Result, Step};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const PACKAGE: &str = "prctl-network-bench";
/// The table's columns: (state, boot kind, name). Boots A run a, d, e;
/// boots B run b, c, d, e. `d@A`/`e@A` are seccomp and Landlock without the
/// module; against `d`/`e` (module enabled, flag clear) they are two more
/// "cost when unused" comparisons.
const COLUMNS: &[(char, char, &str)] = &[
    ('a', 'A', "a"),
    ('b', 'B', "b"),
    ('c', 'B', "c"),
    ('d', 'B', "d"),
    ('e', 'B', "e"),
    ('d', 'A', "d@A"),
    ('e', 'A', "e@A"),
];
/// The order of its rows (the guest's op names).
const OPS: &[&str] = &[
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
const RATIOS: &[(&str, &str)] = &[
    ("b", "a"),
    ("c", "d"),
    ("c", "e"),
    ("d", "d@A"),
    ("e", "e@A"),
];
/// The ops on which "c is faster than d" is judged: the denials both share.
const DENIAL_OPS: &[&str] = &["socket_denied", "tcp_attempt"];

#[derive(Clone, Debug)]
pub struct BenchOpts {
    pub kernel: KernelOpts,
    /// boot pairs (A, B)
    pub pairs: u32,
    pub rounds: u32,
    pub iters: u64,
    /// per boot, seconds
    pub timeout: u64,
}

// Many short samples (2000 iterations: 1-25 ms each under TCG) rather than
// few long ones: on a shared host a long sample is almost always hit by a
// preemption of QEMU, and then min and median both drift; short ones give
// the min a chance to find quiet stretches. A first run with 10 x 10000
// showed medians off by up to 25% between two boots of the same kind.
pub const DEFAULT_PAIRS: u32 = 3;
pub const DEFAULT_ROUNDS: u32 = 30;
pub const DEFAULT_ITERS: u64 = 2_000;

pub const HELP: &str = "\
cargo xtask bench [options]

Microbenchmarks of the prctl_network LSM in the VM (qemu/bench): one kernel,
booted alternately without the module (lsm=landlock,yama: state a) and with
it (states b: flag clear, c: PR_NETWORK_OFF, d: seccomp-bpf socket filter,
e: Landlock TCP rules), A1 B1 A2 B2 ... Prints and writes a Markdown table
(min and median ns/op, ratios b/a, c/d, c/e from TSC ticks) to
target/bench/bench.md and target/bench/bench.json.
Goals (reported, not enforced): b/a <= 1.01 for every op; c faster than d.

  --pairs N     boot pairs A+B (default 3)
  --rounds N    rounds per boot, every state once per round (default 30)
  --iters N     iterations per op and round (default 2000)
  --timeout S   per boot (default 600)
";

/// One parsed `BENCH` line.
struct Sample {
    boot: String,
    /// 'A' or 'B', the first letter of the boot label
    kind: char,
    state: char,
    op: String,
    ticks: f64,
    ns: f64,
}

#[derive(Default)]
struct Boot {
    label: String,
    info: Vec<String>,
    samples: Vec<Sample>,
    errors: Vec<String>,
    skips: Vec<String>,
    done: bool,
    secs: f64,
}

/// Returns Ok(true) when every boot completed without a `BENCH-ERROR`.
pub fn run(opts: &BenchOpts) -> Result<bool> {
    let run_dir = cache::dir().join("run/bench");
    let (bzimage, cpio) = {
        let _lock = cache::lock()?;
        host_deps::ensure(&[host_deps::QEMU])?;
        let k = kernel::ensure(&opts.kernel)?;
        std::fs::create_dir_all(&run_dir)?;
        // A private copy: another run may rebuild the kernel while we boot.
        let bz = run_dir.join("bzImage");
        std::fs::copy(&k.bzimage, &bz).map_err(|e| format!("copy {}: {e}", k.bzimage.display()))?;
        let cpio = build_initramfs(&run_dir)?;
        (bz, cpio)
    };

    let mut boots: Vec<Boot> = Vec::new();
    for pair in 1..=opts.pairs {
        for kind in ['A', 'B'] {
            let label = format!("{kind}{pair}");
            let mut append = qemu::base_append();
            if kind == 'A' {
                append.push_str(" lsm=landlock,yama");
            }
            // After `--` the kernel hands the words to /init as its argv.
            append.push_str(&format!(
                " -- --rounds {} --iters {} --boot {label}",
                opts.rounds, opts.iters
            ));
            boots.push(boot(
                &bzimage,
                &cpio,
                &append,
                &label,
                &run_dir,
                opts.timeout,
            )?);
        }
    }

    let report = Report::new(&boots, opts);
    let md = report.markdown();
    let out_dir = project_root().join("target/bench");
    std::fs::create_dir_all(&out_dir)?;
    std::fs::write(out_dir.join("bench.md"), &md)?;
    std::fs::write(out_dir.join("bench.json"), report.json())?;
    println!("\n{md}");
    say(
        "bench",
        format!(
            "written {} and bench.json",
            out_dir.join("bench.md").display()
        ),
    );
    let ok = boots.iter().all(|b| b.done && b.errors.is_empty());
    if !ok {
        for b in &boots {
            if !b.done {
                println!(
                    "FAIL bench: boot {} did not finish (console log in {})",
                    b.label,
                    run_dir.display()
                );
            }
            for e in &b.errors {
                println!("FAIL bench: {e}");
            }
        }
    }
    Ok(ok)
}

/// A static release build of the bench binary as the only file of an
/// initramfs (plus /dev/console, which the kernel opens before /init runs).
fn build_initramfs(run_dir: &Path) -> Result<PathBuf> {
    let step = Step::start(
        "bench",
        format!(
            "static {PACKAGE} (cargo build --release --target {})",
            initramfs::TARGET
        ),
    );
    let mut c = initramfs::cargo("build");
    c.args(["--release", "-p", PACKAGE]);
    let exe = initramfs::run_cargo(c, "cargo build -p prctl-network-bench")?
        .into_iter()
        .find(|a| a.bin && a.name == PACKAGE)
        .map(|a| a.executable)
        .ok_or("cargo built no prctl-network-bench binary")?;
    step.done(&exe);
    let data = std::fs::read(&exe).map_err(|e| format!("reading {exe}: {e}"))?;
    let path = run_dir.join("initramfs.cpio");
    let mut a = Cpio::new(std::io::BufWriter::new(std::fs::File::create(&path)?));
    for d in ["dev", "proc", "sys"] {
        a.dir(d, 0o755)?;
    }
    a.dir("tmp", 0o1777)?;
    a.chardev("dev/console", 0o600, 5, 1)?;
    a.file("init", 0o755, 0, 0, &data)?;
    a.finish()?;
    Ok(path)
}

/// Boot once; collect the `BENCH` lines; the whole console goes to a log.
fn boot(
    bz: &Path,
    cpio: &Path,
    append: &str,
    label: &str,
    run_dir: &Path,
    timeout: u64,
) -> Result<Boot> {
    let log_path = run_dir.join(format!("console-{label}.log"));
    let mut log = std::fs::File::create(&log_path)?;
    let step = Step::start(
        "bench",
        format!(
            "boot {label}: -append \"{append}\" (log {})",
            log_path.display()
        ),
    );
    let (reader, writer) = std::io::pipe()?;
    let mut cmd = qemu::command(bz, cpio, append);
    cmd.stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
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
        // The marker may follow kernel noise on the same console line.
        let Some(i) = line.find("BENCH") else {
            if line.contains("Kernel panic") {
                b.errors.push(format!("boot {label}: {line}"));
            }
            continue;
        };
        let l = &line[i..];
        let kv = fields(l);
        if l.starts_with("BENCH ") {
            match parse_sample(&kv) {
                Some(s) => b.samples.push(s),
                None => b
                    .errors
                    .push(format!("boot {label}: unparsable line {l:?}")),
            }
            if last_progress.elapsed() > Duration::from_secs(20) {
                say(
                    "bench",
                    format!("boot {label}: {} measurement(s) so far", b.samples.len()),
                );
                last_progress = Instant::now();
            }
        } else if let Some(rest) = l.strip_prefix("BENCH-INFO ") {
            say("bench", l);
            b.info.push(rest.to_string());
        } else if let Some(rest) = l.strip_prefix("BENCH-SKIP ") {
            say("bench", l);
            b.skips.push(rest.to_string());
        } else if l.starts_with("BENCH-ERROR ") {
            println!("FAIL {l}");
            b.errors.push(format!("boot {label}: {l}"));
        } else if l.starts_with("BENCH-DONE ") {
            b.done = true;
            b.secs = kv.get("secs").and_then(|s| s.parse().ok()).unwrap_or(0.0);
        }
    }
    if timed_out {
        let _ = child.kill(); // our own QEMU child, by pid
        b.errors.push(format!(
            "boot {label}: timeout after {timeout}s (QEMU killed)"
        ));
    }
    let status = child.wait()?;
    step.done(format!("{} measurement(s), qemu {status}", b.samples.len()));
    Ok(b)
}

/// `KEY=VALUE` words of a line (the first word, the marker, is skipped).
fn fields(line: &str) -> BTreeMap<String, String> {
    line.split_whitespace()
        .skip(1)
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse_sample(kv: &BTreeMap<String, String>) -> Option<Sample> {
    let boot = kv.get("boot")?.clone();
    Some(Sample {
        kind: boot.chars().next()?,
        boot,
        state: kv.get("state")?.chars().next()?,
        op: kv.get("op")?.clone(),
        ticks: kv.get("ticks_per_op")?.parse().ok()?,
        ns: kv.get("ns_per_op")?.parse().ok()?,
    })
}

#[derive(Clone, Copy)]
struct Stats {
    n: usize,
    min_ticks: f64,
    med_ticks: f64,
    min_ns: f64,
    med_ns: f64,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `ghz`: TSC ticks per ns, one rate for every boot (see `common_ghz`).
fn stats(samples: &[&Sample], ghz: f64) -> Option<Stats> {
    if samples.is_empty() {
        return None;
    }
    let mut t: Vec<f64> = samples.iter().map(|s| s.ticks).collect();
    let min_ticks = t.iter().copied().fold(f64::INFINITY, f64::min);
    let med_ticks = median(&mut t);
    Some(Stats {
        n: samples.len(),
        min_ticks,
        med_ticks,
        min_ns: min_ticks / ghz,
        med_ns: med_ticks / ghz,
    })
}

/// The TSC rate used to show ns: the median of the boots' calibrations
/// (`tsc_ghz=` in BENCH-INFO), those done on the `tsc` clocksource preferred.
/// A boot still on `refined-jiffies` can be a few percent off; one common
/// rate keeps the ns columns consistent with the tick ratios.
fn common_ghz(boots: &[Boot]) -> f64 {
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

struct Ratio {
    num: &'static str,
    den: &'static str,
    op: String,
    min: f64,
    med: f64,
}

struct Report<'a> {
    boots: &'a [Boot],
    opts: &'a BenchOpts,
    /// TSC ticks per ns used for the ns columns
    ghz: f64,
    /// (column name, op) -> stats over every boot of the column's kind
    cells: BTreeMap<(&'static str, String), Stats>,
    ops: Vec<String>,
    ratios: Vec<Ratio>,
}

impl<'a> Report<'a> {
    fn new(boots: &'a [Boot], opts: &'a BenchOpts) -> Report<'a> {
        let all: Vec<&Sample> = boots.iter().flat_map(|b| &b.samples).collect();
        let mut ops: Vec<String> = OPS.iter().map(|s| s.to_string()).collect();
        for s in &all {
            if !ops.contains(&s.op) {
                ops.push(s.op.clone());
            }
        }
        let ghz = common_ghz(boots);
        let mut cells = BTreeMap::new();
        for &(st, kind, col) in COLUMNS {
            for op in &ops {
                let v: Vec<&Sample> = all
                    .iter()
                    .copied()
                    .filter(|s| s.state == st && s.kind == kind && &s.op == op)
                    .collect();
                if let Some(x) = stats(&v, ghz) {
                    cells.insert((col, op.clone()), x);
                }
            }
        }
        ops.retain(|op| {
            COLUMNS
                .iter()
                .any(|&(_, _, col)| cells.contains_key(&(col, op.clone())))
        });
        let mut ratios = Vec::new();
        for &(num, den) in RATIOS {
            for op in &ops {
                if let (Some(n), Some(d)) =
                    (cells.get(&(num, op.clone())), cells.get(&(den, op.clone())))
                {
                    ratios.push(Ratio {
                        num,
                        den,
                        op: op.clone(),
                        min: n.min_ticks / d.min_ticks,
                        med: n.med_ticks / d.med_ticks,
                    });
                }
            }
        }
        Report {
            boots,
            opts,
            ghz,
            cells,
            ops,
            ratios,
        }
    }

    fn ratio(&self, num: &str, den: &str, op: &str) -> Option<&Ratio> {
        self.ratios
            .iter()
            .find(|r| r.num == num && r.den == den && r.op == op)
    }

    /// The same ratio for `null` (getppid, no hook): how far two boots
    /// differ when nothing differs, i.e. the resolution of a cross-boot ratio.
    fn floor(&self, num: &str, den: &str) -> String {
        match self.ratio(num, den, "null") {
            Some(r) => format!(
                "; noise floor: null {num}/{den} {:.3}/{:.3}, a cross-boot ratio closer to 1 than that is not resolved",
                r.min, r.med
            ),
            None => String::new(),
        }
    }

    /// Per-boot minimum ticks of a column for an op, in boot order.
    fn boot_mins(&self, col: &str, op: &str) -> Vec<(String, f64)> {
        let Some(&(st, kind, _)) = COLUMNS.iter().find(|c| c.2 == col) else {
            return Vec::new();
        };
        let mut v: Vec<(String, f64)> = Vec::new();
        for b in self.boots {
            let m = b
                .samples
                .iter()
                .filter(|x| x.state == st && x.kind == kind && x.op == op)
                .map(|x| x.ticks)
                .fold(f64::INFINITY, f64::min);
            if m.is_finite() {
                v.push((b.label.clone(), m));
            }
        }
        v
    }

    /// Whether the per-boot minima of `num` and `den` do not overlap:
    /// Some(true) every `num` boot slower than every `den` boot, Some(false)
    /// every one faster, None overlapping (or fewer than 2 boots a side).
    fn disjoint(&self, num: &str, den: &str, op: &str) -> Option<bool> {
        let n = self.boot_mins(num, op);
        let d = self.boot_mins(den, op);
        if n.len() < 2 || d.len() < 2 {
            return None;
        }
        let lo = |v: &[(String, f64)]| v.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
        let hi = |v: &[(String, f64)]| v.iter().map(|x| x.1).fold(0.0, f64::max);
        if lo(&n) > hi(&d) {
            Some(true)
        } else if hi(&n) < lo(&d) {
            Some(false)
        } else {
            None
        }
    }

    fn disjoint_note(&self, num: &str, den: &str) -> String {
        let ops: Vec<&str> = self
            .ops
            .iter()
            .map(String::as_str)
            .filter(|op| *op != "null" && self.disjoint(num, den, op) == Some(true))
            .collect();
        if ops.is_empty() {
            format!("; per-boot minima of {num} and {den} overlap for every socket op")
        } else {
            format!(
                "; every {num} boot slower than every {den} boot (per-boot minima, see below) for: {}",
                ops.join(", ")
            )
        }
    }

    /// (statement, holds by min, holds by median, detail)
    fn goals(&self) -> Vec<(String, Option<bool>, Option<bool>, String)> {
        let mut g = Vec::new();
        let ba: Vec<&Ratio> = self
            .ratios
            .iter()
            .filter(|r| r.num == "b" && r.den == "a" && r.op != "null")
            .collect();
        let detail = ba
            .iter()
            .map(|r| format!("{} {:.3}/{:.3}", r.op, r.min, r.med))
            .collect::<Vec<_>>()
            .join(", ")
            + &self.floor("b", "a");
        let (bmin, bmed) = if ba.is_empty() {
            (None, None)
        } else {
            (
                Some(ba.iter().all(|r| r.min <= 1.01)),
                Some(ba.iter().all(|r| r.med <= 1.01)),
            )
        };
        g.push((
            "b/a <= 1.01 for every socket op".to_string(),
            bmin,
            bmed,
            format!("min/median: {detail}{}", self.disjoint_note("b", "a")),
        ));
        let cd: Vec<&Ratio> = DENIAL_OPS
            .iter()
            .filter_map(|op| self.ratio("c", "d", op))
            .collect();
        let detail = cd
            .iter()
            .map(|r| format!("{} {:.3}/{:.3}", r.op, r.min, r.med))
            .collect::<Vec<_>>()
            .join(", ");
        let (cmin, cmed) = if cd.is_empty() {
            (None, None)
        } else {
            (
                Some(cd.iter().all(|r| r.min < 1.0)),
                Some(cd.iter().all(|r| r.med < 1.0)),
            )
        };
        g.push((
            format!(
                "c faster than d (c/d < 1 on the denials: {})",
                DENIAL_OPS.join(", ")
            ),
            cmin,
            cmed,
            format!("min/median: {detail}"),
        ));
        // Not a stated goal, the same question under seccomp and Landlock:
        // the module enabled with the flag clear vs absent.
        let un: Vec<&Ratio> = self
            .ratios
            .iter()
            .filter(|r| r.den.ends_with("@A") && r.op != "null")
            .collect();
        if !un.is_empty() {
            let detail = un
                .iter()
                .map(|r| format!("{}/{} {} {:.3}/{:.3}", r.num, r.den, r.op, r.min, r.med))
                .collect::<Vec<_>>()
                .join(", ")
                + &self.floor("d", "d@A")
                + &self.floor("e", "e@A");
            g.push((
                "(also) d/d@A and e/e@A <= 1.01 for every socket op".to_string(),
                Some(un.iter().all(|r| r.min <= 1.01)),
                Some(un.iter().all(|r| r.med <= 1.01)),
                format!("min/median: {detail}"),
            ));
        }
        g
    }

    fn markdown(&self) -> String {
        let mut s = String::new();
        let yn = |b: Option<bool>| match b {
            Some(true) => "holds",
            Some(false) => "does NOT hold",
            None => "not measured",
        };
        let _ = writeln!(s, "# prctl_network microbenchmarks\n");
        let _ = writeln!(
            s,
            "`cargo xtask bench --pairs {} --rounds {} --iters {}`: boots {}.",
            self.opts.pairs,
            self.opts.rounds,
            self.opts.iters,
            self.boots
                .iter()
                .map(|b| b.label.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let _ = writeln!(
            s,
            "States: a = module not enabled (`lsm=landlock,yama`, boots A); b = enabled, flag clear; \
             c = PR_SET_NETWORK(PR_NETWORK_OFF); d = seccomp-bpf socket(!AF_UNIX) -> EPERM; \
             e = Landlock TCP bind/connect denied. Boots A run a, d, e; boots B run b, c, d, e, the states \
             interleaved round by round. d@A, e@A: d and e in boots A (no module).\n"
        );
        let _ = writeln!(
            s,
            "Cells: min / median ns per op over all rounds of all boots (n samples).\n"
        );
        let mut hdr = String::from("| op |");
        let mut sep = String::from("|----|");
        for &(_, _, col) in COLUMNS {
            let _ = write!(hdr, " {col} |");
            sep.push_str("---:|");
        }
        for &(n, d) in RATIOS {
            let _ = write!(hdr, " {n}/{d} min (med) |");
            sep.push_str("---:|");
        }
        let _ = writeln!(s, "{hdr}\n{sep}");
        for op in &self.ops {
            let _ = write!(s, "| {op} |");
            for &(_, _, col) in COLUMNS {
                match self.cells.get(&(col, op.clone())) {
                    Some(c) => {
                        let _ = write!(s, " {:.0} / {:.0} ({}) |", c.min_ns, c.med_ns, c.n);
                    }
                    None => s.push_str(" - |"),
                }
            }
            for &(n, d) in RATIOS {
                match self.ratio(n, d, op) {
                    Some(r) => {
                        let _ = write!(s, " {:.3} ({:.3}) |", r.min, r.med);
                    }
                    None => s.push_str(" - |"),
                }
            }
            s.push('\n');
        }
        let _ = writeln!(s, "\n## Goals (reported, not enforced)\n");
        for (what, min, med, detail) in self.goals() {
            let _ = writeln!(
                s,
                "- {what}: by min {}, by median {} ({detail})",
                yn(min),
                yn(med)
            );
        }
        let _ = writeln!(
            s,
            "\n## Notes\n\n\
             - Ratios are computed from TSC ticks (`rdtsc`; under QEMU TCG the host's TSC, the same clock in \
             every boot); ns are ticks divided by one TSC rate, {:.3} GHz, the median of the boots' \
             calibrations against CLOCK_MONOTONIC.\n\
             - Under TCG absolute times mean little (every guest instruction is translated); the ratios of one \
             run are the result. `null` (getppid) touches no socket hook: its b/a (and d/d@A, e/e@A) is the \
             noise floor between boots. b/a compares two boots; c/d and c/e compare states interleaved \
             within the same boots.\n\
             - Instruction counts: not available, there is no `perf` in the guest (tinyconfig, no PERF_EVENTS).\n\
             - `socket_denied` in c and d, `sendto_denied` in c, `tcp_connect_denied` and `tcp_attempt` are \
             denials (EPERM, or EACCES from Landlock); `tcp_attempt` is socket(AF_INET, SOCK_STREAM) plus, \
             where that succeeds (Landlock), connect + close: what a denied client pays.",
            self.ghz
        );
        let _ = writeln!(
            s,
            "\n## Per-boot minima (ticks) of the cross-boot comparisons\n\n\
             Same-kind spread = max/min of a column's per-boot minima (boot-to-boot noise); \
             \"disjoint\" = every boot of one side slower than every boot of the other.\n"
        );
        let _ = writeln!(
            s,
            "| op | num/den | num per boot | den per boot | spread num, den | disjoint |"
        );
        let _ = writeln!(s, "|----|----|----|----|---:|----|");
        for &(num, den) in RATIOS.iter().filter(|r| r.1 == "a" || r.1.ends_with("@A")) {
            for op in &self.ops {
                let (n, d) = (self.boot_mins(num, op), self.boot_mins(den, op));
                if n.is_empty() || d.is_empty() {
                    continue;
                }
                let list = |v: &[(String, f64)]| {
                    v.iter()
                        .map(|(b, m)| format!("{b} {m:.0}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let spread = |v: &[(String, f64)]| {
                    let lo = v.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
                    v.iter().map(|x| x.1).fold(0.0, f64::max) / lo
                };
                let dis = match self.disjoint(num, den, op) {
                    Some(true) => format!("{num} slower"),
                    Some(false) => format!("{num} faster"),
                    None => "overlap".to_string(),
                };
                let _ = writeln!(
                    s,
                    "| {op} | {num}/{den} | {} | {} | {:.3}, {:.3} | {dis} |",
                    list(&n),
                    list(&d),
                    spread(&n),
                    spread(&d)
                );
            }
        }
        let _ = writeln!(s, "\n## Boots\n");
        for b in self.boots {
            let _ = writeln!(
                s,
                "- {}: {} samples, {}{:.1}s of measuring; {}",
                b.label,
                b.samples.len(),
                if b.done { "" } else { "INCOMPLETE, " },
                b.secs,
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

    fn json(&self) -> String {
        let mut s = String::from("{\n");
        let _ = writeln!(
            s,
            "  \"options\": {{\"pairs\": {}, \"rounds\": {}, \"iters\": {}}},",
            self.opts.pairs, self.opts.rounds, self.opts.iters
        );
        let _ = writeln!(s, "  \"tsc_ghz\": {},", jnum(self.ghz));
        s.push_str("  \"boots\": [\n");
        let boots: Vec<String> = self
            .boots
            .iter()
            .map(|b| {
                format!(
                    "    {{\"label\": {}, \"done\": {}, \"secs\": {}, \"info\": [{}], \"skips\": [{}], \"errors\": [{}]}}",
                    jstr(&b.label),
                    b.done,
                    jnum(b.secs),
                    b.info.iter().map(|x| jstr(x)).collect::<Vec<_>>().join(", "),
                    b.skips.iter().map(|x| jstr(x)).collect::<Vec<_>>().join(", "),
                    b.errors.iter().map(|x| jstr(x)).collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        s.push_str(&boots.join(",\n"));
        s.push_str("\n  ],\n  \"results\": [\n");
        let cells: Vec<String> = self
            .cells
            .iter()
            .map(|((col, op), c)| {
                let &(st, kind, _) = COLUMNS.iter().find(|c| c.2 == *col).expect("a column");
                let raw: Vec<String> = self
                    .boots
                    .iter()
                    .flat_map(|b| &b.samples)
                    .filter(|x| x.state == st && x.kind == kind && &x.op == op)
                    .map(|x| format!("[{}, {}, {}]", jstr(&x.boot), jnum(x.ticks), jnum(x.ns)))
                    .collect();
                format!(
                    "    {{\"column\": \"{col}\", \"state\": \"{st}\", \"boots\": \"{kind}\", \"op\": {}, \"n\": {}, \"min_ns\": {}, \"median_ns\": {}, \
                     \"min_ticks\": {}, \"median_ticks\": {}, \"samples_boot_ticks_guest_ns\": [{}]}}",
                    jstr(op),
                    c.n,
                    jnum(c.min_ns),
                    jnum(c.med_ns),
                    jnum(c.min_ticks),
                    jnum(c.med_ticks),
                    raw.join(", ")
                )
            })
            .collect();
        s.push_str(&cells.join(",\n"));
        s.push_str("\n  ],\n  \"ratios\": [\n");
        let ratios: Vec<String> = self
            .ratios
            .iter()
            .map(|r| {
                format!(
                    "    {{\"ratio\": \"{}/{}\", \"op\": {}, \"min\": {}, \"median\": {}}}",
                    r.num,
                    r.den,
                    jstr(&r.op),
                    jnum(r.min),
                    jnum(r.med)
                )
            })
            .collect();
        s.push_str(&ratios.join(",\n"));
        s.push_str("\n  ],\n  \"goals\": [\n");
        let jb = |b: Option<bool>| b.map_or("null".to_string(), |b| b.to_string());
        let goals: Vec<String> = self
            .goals()
            .iter()
            .map(|(what, min, med, detail)| {
                format!(
                    "    {{\"goal\": {}, \"holds_by_min\": {}, \"holds_by_median\": {}, \"detail\": {}}}",
                    jstr(what),
                    jb(*min),
                    jb(*med),
                    jstr(detail)
                )
            })
            .collect();
        s.push_str(&goals.join(",\n"));
        s.push_str("\n  ],\n  \"instruction_counts\": null,\n");
        s.push_str("  \"instruction_counts_note\": \"no perf in the guest (tinyconfig, no PERF_EVENTS)\"\n}\n");
        s
    }
}

fn jstr(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn jnum(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "null".into()
    }
}
