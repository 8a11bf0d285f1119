//! `cargo xtask bench`: the in-VM microbenchmarks of qemu/bench.
//!
//! One std kernel (the xtask's kernel step) and, for the stacked rows, the
//! distro kernel (`--flavor distro`, AppArmor and the rest built in); one
//! tiny initramfs whose /init is the static `prctl-network-bench` binary (it
//! mounts, brings `lo` up and reboots by itself: no test harness runs next
//! to it). Boots, in this order:
//!
//! * `A1 B1 A2 B2 ...` (`--pairs N`) on the std kernel: `A` with
//!   `lsm=landlock,yama` (prctl_network not enabled: state `a`; also `d` and
//!   `e`, reported as `d@A`, `e@A`), `B` with the default `CONFIG_LSM`
//!   (module enabled: states `b`, `c`, `d`, `e`), the states of a boot
//!   interleaved round by round inside the guest;
//! * `T1` on the std kernel, module enabled: the TSYNC table (one
//!   `PR_SET_NETWORK` with `PR_NETWORK_TSYNC`, or one seccomp
//!   `SECCOMP_FILTER_FLAG_TSYNC`, per forked child, with 0, 1, 16, 256, 1024
//!   sleeping or 16 busy sibling threads; `--tsync-rounds`);
//! * `SA1 SB1 SA2 SB2 ...` (`--stacked-pairs N`) on the distro kernel with
//!   AppArmor stacked, `lsm=` the distro flavour's AppArmor order without
//!   prctl_network (`SA`: states a′ and d′@A′) and with it (`SB`: b′, c′, d′).
//!
//! Clock: by default (`--icount`) QEMU runs TCG with `-icount
//! shift=0,sleep=off`, so the guest's TSC advances by one per guest
//! instruction: the cells are guest instructions per op, the same in every
//! boot of the same binary, whatever the host's load. `--wall` keeps the old
//! mode (KVM if usable, else TCG; the guest's `rdtsc` is the host's TSC;
//! boot-to-boot noise of ±20% under TCG).
//!
//! The guest prints `BENCH ... ticks_per_op=` and `BENCH-TSYNC ... ticks=`
//! lines; this module collects them per (state, boot kind) and op, takes min
//! and median, the ratios and, for `b/a` and `b′/a′`, the ratio of every
//! boot pair (its spread is the run-to-run spread), and writes
//! target/bench/bench.md and target/bench/bench.json.
//!
//! The cache lock is held only while the kernels and the initramfs are made;
//! the boots use private copies, so other xtask runs are not held up for the
//! minutes of benchmarking.

use crate::cache;
use crate::host_deps;
use crate::kernel::config::Flavor;
use crate::kernel::{self, KernelOpts};
use crate::util::{project_root, say, Result, Step};
use crate::vm::cpio::Cpio;
use crate::vm::initramfs;
use crate::vm::qemu;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const PACKAGE: &str = "prctl-network-bench";

/// A table column: (state, boot kind, name). Boots A run a, d, e; boots B
/// run b, c, d, e. `d@A`/`e@A` are seccomp and Landlock without the
/// module; against `d`/`e` (module enabled, flag clear) they are two more
/// "cost when unused" comparisons.
type Column = (char, &'static str, &'static str);
const COLUMNS: &[Column] = &[
    ('a', "A", "a"),
    ('b', "B", "b"),
    ('c', "B", "c"),
    ('d', "B", "d"),
    ('e', "B", "e"),
    ('d', "A", "d@A"),
    ('e', "A", "e@A"),
];
/// The stacked table (distro kernel, AppArmor in `lsm=`).
const STACKED_COLUMNS: &[Column] = &[
    ('a', "SA", "a′"),
    ('b', "SB", "b′"),
    ('c', "SB", "c′"),
    ('d', "SB", "d′"),
    ('d', "SA", "d′@A′"),
];
/// The order of the rows (the guest's op names).
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
const STACKED_RATIOS: &[(&str, &str)] = &[("b′", "a′"), ("c′", "d′"), ("d′", "d′@A′")];
/// The ops on which "c is faster than d" is judged: the denials both share.
const DENIAL_OPS: &[&str] = &["socket_denied", "tcp_attempt"];
/// The goal for the cost when unused: b/a (and b′/a′) per op.
const UNUSED_GOAL: f64 = 1.002;
/// Exponent of the TSYNC cost in the number of threads below which the
/// growth counts as linear.
const LINEAR_GOAL: f64 = 1.1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// TCG with `-icount shift=0,sleep=off`: TSC ticks = guest instructions.
    Icount,
    /// The host's clock (KVM if usable, else TCG): TSC ticks, shown as ns.
    Wall,
}

#[derive(Clone, Debug)]
pub struct BenchOpts {
    pub kernel: KernelOpts,
    pub clock: Clock,
    /// boot pairs (A, B)
    pub pairs: u32,
    /// boot pairs (SA, SB) on the distro kernel; 0: none
    pub stacked_pairs: u32,
    pub rounds: u32,
    pub iters: u64,
    /// rounds of the TSYNC boot; 0: no TSYNC boot
    pub tsync_rounds: u32,
    pub tsync_sets: String,
    /// per boot, seconds
    pub timeout: u64,
    /// a previous run's bench.json to compare the medians with
    pub compare: Option<PathBuf>,
}

// Wall clock: many short samples (2000 iterations: 1-25 ms each under TCG)
// rather than few long ones: on a shared host a long sample is almost always
// hit by a preemption of QEMU, and then min and median both drift; short
// ones give the min a chance to find quiet stretches. A first run with
// 10 x 10000 showed medians off by up to 25% between two boots of the same
// kind. Icount: the samples repeat to within a timer tick or two (250 Hz,
// i.e. one every 4M instructions, each a few thousand instructions), so a
// few long rounds suffice.
pub const DEFAULT_PAIRS: u32 = 3;
pub const DEFAULT_ROUNDS_WALL: u32 = 30;
pub const DEFAULT_ROUNDS_ICOUNT: u32 = 9;
pub const DEFAULT_ITERS: u64 = 2_000;
pub const DEFAULT_TSYNC_ROUNDS: u32 = 9;
pub const DEFAULT_TSYNC_SETS: &str = "0s,1s,16s,256s,1024s,16b";

pub const ABOUT: &str = "\
Microbenchmarks of the prctl_network LSM in the VM (qemu/bench). Boots, in
this order:
  A1 B1 A2 B2 ...   the std kernel without the module (lsm=landlock,yama:
                    state a) and with it (states b: flag clear,
                    c: PR_NETWORK_OFF, d: seccomp-bpf socket filter,
                    e: Landlock TCP rules); boots A also run d and e (d@A, e@A)
  T1                TSYNC: one PR_SET_NETWORK(PR_NETWORK_OFF, PR_NETWORK_TSYNC)
                    against one seccomp(SECCOMP_FILTER_FLAG_TSYNC) with 0, 1,
                    16, 256, 1024 sleeping (blocked in read()) or 16 busy
                    (spinning) sibling threads, one call per forked child
  SA1 SB1 ...       the distro kernel (--flavor distro) with AppArmor stacked:
                    lsm=lockdown,capability,landlock,yama,integrity,apparmor,bpf
                    (a', d'@A') and the same + prctl_network (b', c', d')
Writes min and median per op, the ratios (b/a, c/d, c/e, d/d@A, e/e@A,
b'/a', c'/d'), b/a and b'/a' per boot pair with their spread, the TSYNC table
(cost per thread, growth exponent) and the goals to target/bench/bench.md and
target/bench/bench.json.

Units: with --icount (the default) QEMU runs TCG with -icount
shift=0,sleep=off, the guest's TSC counts guest instructions, and every
figure is guest instructions per op (TSYNC: per call, all vCPUs, the
siblings' work included); the same binary gives the same figures in every
boot. With --wall the figures are ns per op from the TSC (under TCG, the
host's TSC: boot-to-boot noise of up to 20%).

Goals (reported, not enforced): b/a <= 1.002 and b'/a' <= 1.002 for every
socket op; c faster than d on the denials; TSYNC cost linear in the threads
(growth exponent <= 1.1).";

impl BenchOpts {
    /// The command line that reproduces this run (for the report).
    fn command(&self) -> String {
        let mut c = String::from("cargo xtask bench");
        c.push_str(match self.clock {
            Clock::Icount => " --icount",
            Clock::Wall => " --wall",
        });
        let _ = write!(
            c,
            " --pairs {} --stacked-pairs {} --rounds {} --iters {} --tsync-rounds {}",
            self.pairs, self.stacked_pairs, self.rounds, self.iters, self.tsync_rounds
        );
        if self.tsync_sets != DEFAULT_TSYNC_SETS {
            let _ = write!(c, " --tsync-sets {}", self.tsync_sets);
        }
        if self.kernel.flavor != Flavor::Std {
            let _ = write!(c, " --flavor {}", self.kernel.flavor.name());
        }
        c
    }
}

/// The `--tsync-sets` value parser: a comma-separated list of sets.
pub fn parse_sets(list: &str) -> Result<String, String> {
    if !list.is_empty() && list.split(',').all(|s| parse_set(s).is_some()) {
        Ok(list.to_string())
    } else {
        Err("a comma-separated list of N followed by s (sleeping) or b (busy), e.g. 0s,16b".into())
    }
}

/// `16b` -> (16, busy), `256s` -> (256, sleeping).
fn parse_set(s: &str) -> Option<(usize, bool)> {
    let busy = match s.as_bytes().last()? {
        b's' => false,
        b'b' => true,
        _ => return None,
    };
    Some((s[..s.len() - 1].parse().ok()?, busy))
}

/// The `lsm=` lists of the stacked boots: the distro flavour's AppArmor
/// order without prctl_network (SA) and as it is (SB).
fn stacked_lsm() -> Result<(String, String)> {
    let with = Flavor::Distro
        .lsm_boots()
        .into_iter()
        .flatten()
        .find(|(label, _)| *label == "apparmor")
        .map(|(_, lsm)| lsm.to_string())
        .ok_or_else(|| anyhow::anyhow!("the distro flavour has no AppArmor boot"))?;
    let without = with
        .split(',')
        .filter(|m| *m != "prctl_network")
        .collect::<Vec<_>>()
        .join(",");
    Ok((without, with))
}

/// One parsed `BENCH` line.
#[derive(Debug)]
struct Sample {
    boot: String,
    /// the boot label without its number: A, B, SA, SB
    kind: String,
    state: char,
    op: String,
    ticks: f64,
}

/// One parsed `BENCH-TSYNC` line.
#[derive(Debug)]
struct TsyncSample {
    mech: String,
    set: String,
    threads: usize,
    busy: bool,
    ticks: f64,
    asleep: usize,
}

#[derive(Default)]
struct Boot {
    label: String,
    kernel: String,
    append: String,
    info: Vec<String>,
    samples: Vec<Sample>,
    tsync: Vec<TsyncSample>,
    errors: Vec<String>,
    skips: Vec<String>,
    done: bool,
    secs: f64,
    wall_secs: f64,
}

/// A boot to make: label, kernel (index into the bzImages), extra kernel
/// command line, guest arguments.
struct Plan {
    label: String,
    kernel: usize,
    lsm: Option<String>,
    guest: String,
}

fn plan(opts: &BenchOpts, stacked: Option<&(String, String)>) -> Vec<Plan> {
    let ops = format!("--rounds {} --iters {}", opts.rounds, opts.iters);
    let mut v = Vec::new();
    for pair in 1..=opts.pairs {
        v.push(Plan {
            label: format!("A{pair}"),
            kernel: 0,
            lsm: Some("landlock,yama".into()),
            guest: ops.clone(),
        });
        v.push(Plan {
            label: format!("B{pair}"),
            kernel: 0,
            lsm: None,
            guest: ops.clone(),
        });
    }
    if opts.tsync_rounds > 0 {
        v.push(Plan {
            label: "T1".into(),
            kernel: 0,
            lsm: None,
            guest: format!(
                "--rounds 0 --iters 1 --tsync-rounds {} --tsync-sets {}",
                opts.tsync_rounds, opts.tsync_sets
            ),
        });
    }
    if let Some((without, with)) = stacked {
        for pair in 1..=opts.stacked_pairs {
            v.push(Plan {
                label: format!("SA{pair}"),
                kernel: 1,
                lsm: Some(without.clone()),
                guest: format!("{ops} --states a,d"),
            });
            v.push(Plan {
                label: format!("SB{pair}"),
                kernel: 1,
                lsm: Some(with.clone()),
                guest: format!("{ops} --states b,c,d"),
            });
        }
    }
    v
}

/// Returns Ok(true) when every boot completed without a `BENCH-ERROR`.
pub fn run(opts: &BenchOpts) -> Result<bool> {
    let run_dir = cache::dir().join("run/bench");
    let t0 = Instant::now();
    let date = utc_now();
    let stacked = if opts.stacked_pairs > 0 {
        Some(stacked_lsm()?)
    } else {
        None
    };
    let (kernels, cpio) = {
        let _lock = cache::lock()?;
        host_deps::ensure(&[host_deps::QEMU])?;
        std::fs::create_dir_all(&run_dir)?;
        let mut kernels = Vec::new();
        let mut flavors = vec![opts.kernel.flavor];
        if stacked.is_some() {
            flavors.push(Flavor::Distro);
        }
        for f in flavors {
            let k = kernel::ensure(&KernelOpts {
                flavor: f,
                ..opts.kernel.clone()
            })?;
            // A private copy: another run may rebuild the kernel while we boot.
            let bz = run_dir.join(format!("bzImage-{}", f.name()));
            std::fs::copy(&k.bzimage, &bz)
                .map_err(|e| anyhow::anyhow!("copy {}: {e}", k.bzimage.display()))?;
            kernels.push((f, bz, k.build.clone()));
        }
        let cpio = build_initramfs(&run_dir)?;
        (kernels, cpio)
    };

    let mut boots: Vec<Boot> = Vec::new();
    for p in plan(opts, stacked.as_ref()) {
        let (flavor, bz, _) = &kernels[p.kernel];
        let mut append = qemu::base_append();
        if let Some(lsm) = &p.lsm {
            append.push_str(&format!(" lsm={lsm}"));
        }
        // After `--` the kernel hands the words to /init as its argv.
        append.push_str(&format!(" -- {} --boot {}", p.guest, p.label));
        let mut b = boot(bz, &cpio, &append, &p.label, &run_dir, opts)?;
        b.kernel = flavor.name().to_string();
        boots.push(b);
    }

    let report = Report::new(&boots, opts, &date, &kernels);
    let md = report.markdown();
    let out_dir = project_root().join("target/bench");
    std::fs::create_dir_all(&out_dir)?;
    std::fs::write(out_dir.join("bench.md"), &md)?;
    std::fs::write(out_dir.join("bench.json"), report.json())?;
    println!("\n{md}");
    say(
        "bench",
        format!(
            "written {} and bench.json ({})",
            out_dir.join("bench.md").display(),
            crate::util::fmt_dur(t0.elapsed().as_secs_f64())
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
        .ok_or_else(|| anyhow::anyhow!("cargo built no prctl-network-bench binary"))?;
    step.done(&exe);
    let data = std::fs::read(&exe).map_err(|e| anyhow::anyhow!("reading {exe}: {e}"))?;
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
enum Line {
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
fn parse_line(line: &str) -> Option<Line> {
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
fn fields(line: &str) -> BTreeMap<String, String> {
    line.split_whitespace()
        .skip(1)
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The kind of a boot label: `SA12` -> `SA`.
fn boot_kind(label: &str) -> &str {
    label.trim_end_matches(|c: char| c.is_ascii_digit())
}

/// The pair number of a boot label: `SB2` -> 2.
fn boot_pair(label: &str) -> Option<u32> {
    label[boot_kind(label).len()..].parse().ok()
}

fn parse_sample(kv: &BTreeMap<String, String>) -> Option<Sample> {
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

fn parse_tsync(kv: &BTreeMap<String, String>) -> Option<TsyncSample> {
    Some(TsyncSample {
        mech: kv.get("mech")?.clone(),
        set: kv.get("set")?.clone(),
        threads: kv.get("threads")?.parse().ok()?,
        busy: kv.get("busy")? == "1",
        ticks: kv.get("ticks")?.parse().ok()?,
        asleep: kv.get("asleep")?.parse().ok()?,
    })
}

#[derive(Clone, Copy, Debug)]
struct Stats {
    n: usize,
    min: f64,
    med: f64,
    max: f64,
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

fn stats(mut t: Vec<f64>) -> Option<Stats> {
    if t.is_empty() {
        return None;
    }
    let min = t.iter().copied().fold(f64::INFINITY, f64::min);
    let max = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(Stats {
        n: t.len(),
        min,
        med: median(&mut t),
        max,
    })
}

/// Least-squares slope of ln y over ln x: the exponent k of y ~ x^k.
fn growth_exponent(points: &[(f64, f64)]) -> Option<f64> {
    let p: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if p.len() < 2 {
        return None;
    }
    let n = p.len() as f64;
    let (mx, my) = (
        p.iter().map(|q| q.0).sum::<f64>() / n,
        p.iter().map(|q| q.1).sum::<f64>() / n,
    );
    let sxx: f64 = p.iter().map(|q| (q.0 - mx).powi(2)).sum();
    let sxy: f64 = p.iter().map(|q| (q.0 - mx) * (q.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The TSC rate used to show ns in wall-clock mode: the median of the
/// boots' calibrations (`tsc_ghz=` in BENCH-INFO), those done on the `tsc`
/// clocksource preferred. Under icount it should read 1.000 (one tick per
/// instruction, the virtual clock one ns per instruction).
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

#[derive(Debug)]
struct Ratio {
    num: &'static str,
    den: &'static str,
    op: String,
    min: f64,
    med: f64,
    /// (pair, median num / median den of that boot pair)
    pairs: Vec<(u32, f64)>,
}

impl Ratio {
    /// max - min of the per-pair ratios (None with fewer than 2 pairs).
    fn spread(&self) -> Option<f64> {
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
    fn worst(&self) -> f64 {
        self.pairs.iter().map(|p| p.1).fold(self.med, f64::max)
    }
}

struct TsyncRow {
    set: String,
    threads: usize,
    busy: bool,
    /// by mechanism: prctl, seccomp
    cells: BTreeMap<String, Stats>,
    /// fewest siblings found asleep before a call (sleeping sets)
    asleep_min: usize,
}

/// The medians of a previous run (`--compare`), read back from its
/// bench.json.
#[derive(Default, Debug)]
struct Previous {
    path: String,
    date: String,
    command: String,
    /// (column, op) -> median
    cells: BTreeMap<(String, String), f64>,
    /// (mechanism, set) -> median
    tsync: BTreeMap<(String, String), f64>,
}

/// The value of `"key": ...` on one line of our own JSON output: a string
/// (without its quotes) or a number.
fn json_field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = &line[line.find(&format!("\"{key}\": "))? + key.len() + 4..];
    if let Some(r) = rest.strip_prefix('"') {
        return Some(&r[..r.find('"')?]);
    }
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(rest[..end].trim())
}

impl Previous {
    /// Reads what `Report::json` wrote (one result per line).
    fn parse(path: &str, text: &str) -> Previous {
        let mut p = Previous {
            path: path.to_string(),
            ..Previous::default()
        };
        for line in text.lines() {
            let num = |k| json_field(line, k).and_then(|v| v.parse::<f64>().ok());
            if let Some(d) = json_field(line, "date").filter(|_| line.starts_with("  \"date\"")) {
                p.date = d.to_string();
            } else if line.starts_with("  \"command\"") {
                p.command = json_field(line, "command").unwrap_or_default().to_string();
            } else if let (Some(c), Some(op), Some(m)) = (
                json_field(line, "column"),
                json_field(line, "op"),
                num("median_ticks"),
            ) {
                p.cells.insert((c.to_string(), op.to_string()), m);
            } else if let (Some(mech), Some(set), Some(m)) = (
                json_field(line, "mech"),
                json_field(line, "set"),
                num("median_ticks"),
            ) {
                p.tsync.insert((mech.to_string(), set.to_string()), m);
            }
        }
        p
    }
}

struct Report<'a> {
    boots: &'a [Boot],
    prev: Option<Previous>,
    opts: &'a BenchOpts,
    date: String,
    kernels: Vec<String>,
    ghz: f64,
    /// (column, op) -> ticks
    cells: BTreeMap<(&'static str, String), Stats>,
    ops: Vec<String>,
    ratios: Vec<Ratio>,
    tsync: Vec<TsyncRow>,
}

fn find_col(col: &str) -> Option<&'static Column> {
    COLUMNS.iter().chain(STACKED_COLUMNS).find(|c| c.2 == col)
}

impl<'a> Report<'a> {
    fn new(
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
        for &(st, kind, col) in COLUMNS.iter().chain(STACKED_COLUMNS) {
            for op in &ops {
                let v = all
                    .iter()
                    .filter(|s| s.state == st && s.kind == kind && &s.op == op)
                    .map(|s| s.ticks)
                    .collect();
                if let Some(x) = stats(v) {
                    cells.insert((col, op.clone()), x);
                }
            }
        }
        ops.retain(|op| cells.keys().any(|(_, o)| o == op));
        let prev = opts.compare.as_ref().and_then(|p| {
            let text = std::fs::read_to_string(p)
                .map_err(|e| say("bench", format!("--compare {}: {e}", p.display())))
                .ok()?;
            Some(Previous::parse(&p.display().to_string(), &text))
        });
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
    fn pair_ratios(&self, num: &str, den: &str, op: &str) -> Vec<(u32, f64)> {
        let (n, d) = (self.boot_meds(num, op), self.boot_meds(den, op));
        n.iter()
            .filter_map(|(p, x)| d.iter().find(|(q, _)| q == p).map(|(_, y)| (*p, x / y)))
            .collect()
    }

    /// Per-boot median ticks of a column for an op, by pair number.
    fn boot_meds(&self, col: &str, op: &str) -> Vec<(u32, f64)> {
        let Some(&(st, kind, _)) = find_col(col) else {
            return Vec::new();
        };
        self.boots
            .iter()
            .filter(|b| boot_kind(&b.label) == kind)
            .filter_map(|b| {
                let v = b
                    .samples
                    .iter()
                    .filter(|x| x.state == st && x.op == op)
                    .map(|x| x.ticks)
                    .collect();
                Some((boot_pair(&b.label)?, stats(v)?.med))
            })
            .collect()
    }

    fn ratio(&self, num: &str, den: &str, op: &str) -> Option<&Ratio> {
        self.ratios
            .iter()
            .find(|r| r.num == num && r.den == den && r.op == op)
    }

    /// A figure in the report's unit: instructions (icount) or ns (wall).
    fn unit_value(&self, ticks: f64) -> f64 {
        match self.opts.clock {
            Clock::Icount => ticks,
            Clock::Wall => ticks / self.ghz,
        }
    }

    fn unit(&self) -> &'static str {
        match self.opts.clock {
            Clock::Icount => "guest instructions",
            Clock::Wall => "ns",
        }
    }

    /// b/a-style goal over the socket ops: (statement, holds, detail).
    fn unused_goal(&self, num: &str, den: &str) -> Option<(String, bool, String)> {
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
    fn goals(&self) -> Vec<(String, bool, String)> {
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
    fn tsync_exponent(&self, mech: &str) -> Option<(f64, String)> {
        let base = self
            .tsync
            .iter()
            .find(|r| r.threads == 0)
            .and_then(|r| r.cells.get(mech))
            .map_or(0.0, |s| s.med);
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

    fn table(
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

    fn tsync_table(&self, s: &mut String) {
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
        let base = |m: &str| {
            self.tsync
                .iter()
                .find(|r| r.threads == 0)
                .and_then(|r| r.cells.get(m))
                .copied()
        };
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
            let per = |m: &str| match (r.cells.get(m), base(m)) {
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

    /// Deviations of this run's medians from the previous run's, in
    /// percent: (ops and stacked cells, TSYNC cells), each as
    /// (name, previous, now, deviation).
    #[allow(clippy::type_complexity)]
    fn deviations(&self) -> Option<(Vec<(String, f64, f64, f64)>, Vec<(String, f64, f64, f64)>)> {
        let p = self.prev.as_ref()?;
        let dev = |a: f64, b: f64| (b / a - 1.0) * 100.0;
        let cells = self
            .cells
            .iter()
            .filter_map(|((col, op), c)| {
                let old = *p.cells.get(&(col.to_string(), op.clone()))?;
                Some((format!("{op} {col}"), old, c.med, dev(old, c.med)))
            })
            .collect();
        let tsync = self
            .tsync
            .iter()
            .flat_map(|r| {
                r.cells.iter().filter_map(|(m, c)| {
                    let old = *p.tsync.get(&(m.clone(), r.set.clone()))?;
                    Some((format!("{m} {}", r.set), old, c.med, dev(old, c.med)))
                })
            })
            .collect();
        Some((cells, tsync))
    }

    fn comparison(&self, s: &mut String) {
        let (Some(p), Some((cells, tsync))) = (&self.prev, self.deviations()) else {
            return;
        };
        let worst = |v: &[(String, f64, f64, f64)]| {
            v.iter()
                .max_by(|a, b| a.3.abs().total_cmp(&b.3.abs()))
                .map_or("-".to_string(), |w| format!("{:+.3}% ({})", w.3, w.0))
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
        for (name, old, now, d) in cells.iter().chain(&tsync) {
            let _ = writeln!(
                s,
                "| {name} | {:.0} | {:.0} | {d:+.3}% |",
                self.unit_value(*old),
                self.unit_value(*now)
            );
        }
    }

    fn markdown(&self) -> String {
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

    fn json(&self) -> String {
        let mut s = String::from("{\n");
        let o = self.opts;
        let _ = writeln!(
            s,
            "  \"date\": {},\n  \"command\": {},\n  \"clock\": \"{}\",\n  \"unit\": {},",
            jstr(&self.date),
            jstr(&o.command()),
            match o.clock {
                Clock::Icount => "icount",
                Clock::Wall => "wall",
            },
            jstr(self.unit())
        );
        let _ = writeln!(
            s,
            "  \"options\": {{\"pairs\": {}, \"stacked_pairs\": {}, \"rounds\": {}, \"iters\": {}, \"tsync_rounds\": {}, \"tsync_sets\": {}}},",
            o.pairs, o.stacked_pairs, o.rounds, o.iters, o.tsync_rounds, jstr(&o.tsync_sets)
        );
        let _ = writeln!(s, "  \"tsc_ghz\": {},", jnum(self.ghz));
        s.push_str("  \"boots\": [\n");
        let boots: Vec<String> = self
            .boots
            .iter()
            .map(|b| {
                format!(
                    "    {{\"label\": {}, \"kernel\": {}, \"append\": {}, \"done\": {}, \"secs\": {}, \"host_secs\": {}, \"info\": [{}], \"skips\": [{}], \"errors\": [{}]}}",
                    jstr(&b.label),
                    jstr(&b.kernel),
                    jstr(&b.append),
                    b.done,
                    jnum(b.secs),
                    jnum(b.wall_secs),
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
                let &(st, kind, _) = find_col(col).expect("a column");
                let raw: Vec<String> = self
                    .boots
                    .iter()
                    .flat_map(|b| &b.samples)
                    .filter(|x| x.state == st && x.kind == kind && &x.op == op)
                    .map(|x| format!("[{}, {}]", jstr(&x.boot), jnum(x.ticks)))
                    .collect();
                format!(
                    "    {{\"column\": {}, \"state\": \"{st}\", \"boots\": \"{kind}\", \"op\": {}, \"n\": {}, \
                     \"min\": {}, \"median\": {}, \"min_ticks\": {}, \"median_ticks\": {}, \"samples_boot_ticks\": [{}]}}",
                    jstr(col),
                    jstr(op),
                    c.n,
                    jnum(self.unit_value(c.min)),
                    jnum(self.unit_value(c.med)),
                    jnum(c.min),
                    jnum(c.med),
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
                    "    {{\"ratio\": {}, \"op\": {}, \"min\": {}, \"median\": {}, \"by_pair\": [{}], \"pair_spread\": {}}}",
                    jstr(&format!("{}/{}", r.num, r.den)),
                    jstr(&r.op),
                    jnum(r.min),
                    jnum(r.med),
                    r.pairs
                        .iter()
                        .map(|(p, x)| format!("[{p}, {}]", jnum(*x)))
                        .collect::<Vec<_>>()
                        .join(", "),
                    r.spread().map_or("null".into(), jnum)
                )
            })
            .collect();
        s.push_str(&ratios.join(",\n"));
        s.push_str("\n  ],\n  \"tsync\": [\n");
        let rows: Vec<String> = self
            .tsync
            .iter()
            .flat_map(|r| {
                r.cells.iter().map(move |(m, c)| {
                    format!(
                        "    {{\"mech\": {}, \"set\": {}, \"threads\": {}, \"busy\": {}, \"n\": {}, \"min\": {}, \"median\": {}, \"max\": {}, \"median_ticks\": {}, \"asleep_min\": {}}}",
                        jstr(m),
                        jstr(&r.set),
                        r.threads,
                        r.busy,
                        c.n,
                        jnum(self.unit_value(c.min)),
                        jnum(self.unit_value(c.med)),
                        jnum(self.unit_value(c.max)),
                        jnum(c.med),
                        r.asleep_min
                    )
                })
            })
            .collect();
        s.push_str(&rows.join(",\n"));
        s.push_str("\n  ],\n  \"goals\": [\n");
        let goals: Vec<String> = self
            .goals()
            .iter()
            .map(|(what, holds, detail)| {
                format!(
                    "    {{\"goal\": {}, \"holds\": {holds}, \"detail\": {}}}",
                    jstr(what),
                    jstr(detail)
                )
            })
            .collect();
        s.push_str(&goals.join(",\n"));
        s.push_str("\n  ],\n  \"compare\": ");
        match (&self.prev, self.deviations()) {
            (Some(p), Some((cells, tsync))) => {
                let max = |v: &[(String, f64, f64, f64)]| {
                    jnum(v.iter().map(|x| x.3.abs()).fold(0.0, f64::max))
                };
                let _ = write!(
                    s,
                    "{{\"previous\": {}, \"max_abs_deviation_percent\": {}, \"tsync_max_abs_deviation_percent\": {}}}",
                    jstr(&p.path),
                    max(&cells),
                    max(&tsync)
                );
            }
            _ => s.push_str("null"),
        }
        s.push_str("\n}\n");
        s
    }
}

/// The TSYNC rows, in the order of the sets as first seen.
fn tsync_rows(boots: &[Boot]) -> Vec<TsyncRow> {
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

/// The current UTC time, `YYYY-MM-DD HH:MM UTC` (for the report's date).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Days since 1970-01-01 -> (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(line: &str) -> Sample {
        match parse_line(line) {
            Some(Line::Sample(s)) => s,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    #[test]
    fn parses_samples_after_kernel_noise() {
        let s = sample(
            "[   12.3] random: crng init done BENCH boot=SB2 state=b op=sendto round=3 iters=2000 ticks_per_op=5678.5 ns_per_op=5678.5",
        );
        assert_eq!((s.boot.as_str(), s.kind.as_str()), ("SB2", "SB"));
        assert_eq!((s.state, s.op.as_str(), s.ticks), ('b', "sendto", 5678.5));
        assert_eq!(boot_pair(&s.boot), Some(2));
        assert_eq!(boot_kind("A10"), "A");
        assert_eq!(boot_pair("A10"), Some(10));
    }

    #[test]
    fn malformed_lines_are_errors_not_samples() {
        for l in [
            "BENCH boot=B1 state=b op=sendto ticks_per_op=abc",
            "BENCH boot=B1 state=b op=sendto",
            "BENCH boot=1 state=b op=sendto ticks_per_op=1",
            "BENCH-TSYNC boot=T1 mech=prctl set=16s threads=x busy=0 ticks=5 asleep=16",
        ] {
            assert!(matches!(parse_line(l), Some(Line::Error(_))), "{l}");
        }
        assert!(parse_line("no marker here").is_none());
        assert!(parse_line("BENCHMARK of something").is_none());
    }

    #[test]
    fn parses_tsync_done_and_info() {
        match parse_line("BENCH-TSYNC boot=T1 mech=seccomp set=16b threads=16 busy=1 round=0 ticks=123456 asleep=0") {
            Some(Line::Tsync(t)) => {
                assert_eq!((t.mech.as_str(), t.set.as_str()), ("seccomp", "16b"));
                assert_eq!((t.threads, t.busy, t.ticks, t.asleep), (16, true, 123456.0, 0));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_line("BENCH-DONE boot=A1 ok=true secs=12.5"),
            Some(Line::Done(x)) if x == 12.5
        ));
        assert!(matches!(
            parse_line("BENCH-INFO boot=A1 tsc_ghz=1.000"),
            Some(Line::Info(i)) if i == "boot=A1 tsc_ghz=1.000"
        ));
        assert!(matches!(
            parse_line("BENCH-ERROR boot=B1 state=c op=x msg=y"),
            Some(Line::Error(_))
        ));
    }

    #[test]
    fn thread_sets_and_exponents() {
        assert_eq!(parse_set("1024s"), Some((1024, false)));
        assert_eq!(parse_set("16b"), Some((16, true)));
        assert_eq!(parse_set("16"), None);
        assert_eq!(parse_set("s"), None);
        assert!(DEFAULT_TSYNC_SETS
            .split(',')
            .all(|s| parse_set(s).is_some()));
        let lin = growth_exponent(&[(1.0, 10.0), (16.0, 160.0), (1024.0, 10240.0)]).unwrap();
        assert!((lin - 1.0).abs() < 1e-9, "{lin}");
        let quad = growth_exponent(&[(16.0, 256.0), (256.0, 65536.0)]).unwrap();
        assert!((quad - 2.0).abs() < 1e-9, "{quad}");
        assert!(growth_exponent(&[(16.0, 1.0)]).is_none());
    }

    fn boot(label: &str, samples: &[(char, &str, f64)]) -> Boot {
        Boot {
            label: label.into(),
            done: true,
            samples: samples
                .iter()
                .map(|&(state, op, ticks)| Sample {
                    boot: label.into(),
                    kind: boot_kind(label).into(),
                    state,
                    op: op.into(),
                    ticks,
                })
                .collect(),
            ..Boot::default()
        }
    }

    fn opts() -> BenchOpts {
        use clap::Parser;
        let x = crate::flags::Xtask::try_parse_from(["cargo xtask", "bench"]).unwrap();
        let crate::flags::Cmd::Bench(b) = x.cmd else {
            unreachable!()
        };
        b.apply()
    }

    #[test]
    fn ratios_pairs_and_goals() {
        let boots = vec![
            boot("A1", &[('a', "sendto", 1000.0), ('a', "sendto", 1010.0)]),
            boot("B1", &[('b', "sendto", 1001.0), ('b', "sendto", 1011.0)]),
            boot("A2", &[('a', "sendto", 1000.0)]),
            boot("B2", &[('b', "sendto", 1004.0)]),
            boot("SA1", &[('a', "sendto", 2000.0)]),
            boot("SB1", &[('b', "sendto", 2002.0)]),
        ];
        let o = opts();
        let r = Report::new(&boots, &o, "today", &[]);
        let ba = r.ratio("b", "a", "sendto").unwrap();
        assert_eq!(ba.pairs.len(), 2);
        assert!((ba.pairs[0].1 - 1006.0 / 1005.0).abs() < 1e-12);
        assert!((ba.pairs[1].1 - 1.004).abs() < 1e-12);
        assert!((ba.spread().unwrap() - (1.004 - 1006.0 / 1005.0)).abs() < 1e-12);
        // Pair 2 is over 1.002: the goal fails although the median is under.
        let g = r.goals();
        let (what, holds, _) = g.iter().find(|g| g.0.starts_with("b/a")).unwrap();
        assert!(!holds, "{what}");
        let sb = r.ratio("b′", "a′", "sendto").unwrap();
        assert!((sb.med - 1.001).abs() < 1e-12);
        let (_, holds, _) = g.iter().find(|g| g.0.starts_with("b′/a′")).unwrap();
        assert!(holds);
        let md = r.markdown();
        assert!(md.contains("## Stacked with AppArmor"), "{md}");
        assert!(md.contains("| sendto |"), "{md}");
    }

    #[test]
    fn options() {
        let o = opts();
        assert_eq!((o.clock, o.rounds), (Clock::Icount, DEFAULT_ROUNDS_ICOUNT));
        assert!(parse_sets("0s,16b").is_ok());
        assert!(parse_sets("16x").is_err() && parse_sets("").is_err());
        let p = plan(&o, Some(&("x".into(), "x,prctl_network".into())));
        let labels: Vec<&str> = p.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(
            labels,
            ["A1", "B1", "A2", "B2", "A3", "B3", "T1", "SA1", "SB1", "SA2", "SB2", "SA3", "SB3"]
        );
    }

    #[test]
    fn compare_reads_our_json() {
        let boots = vec![
            boot("A1", &[('a', "sendto", 1000.0)]),
            boot("B1", &[('b', "sendto", 1003.0)]),
        ];
        let o = opts();
        let json = Report::new(&boots, &o, "day one", &[]).json();
        let p = Previous::parse("old.json", &json);
        assert_eq!(p.date, "day one");
        assert!(
            p.command.starts_with("cargo xtask bench --icount"),
            "{}",
            p.command
        );
        assert_eq!(p.cells.get(&("a".into(), "sendto".into())), Some(&1000.0));
        assert_eq!(p.cells.get(&("b".into(), "sendto".into())), Some(&1003.0));
        assert_eq!(p.cells.len(), 2);
        let boots2 = vec![
            boot("A1", &[('a', "sendto", 1010.0)]),
            boot("B1", &[('b', "sendto", 1003.0)]),
        ];
        let mut r = Report::new(&boots2, &o, "day two", &[]);
        r.prev = Some(p);
        let (cells, _) = r.deviations().unwrap();
        let a = cells.iter().find(|c| c.0 == "sendto a").unwrap();
        assert!((a.3 - 1.0).abs() < 1e-9, "{a:?}");
        assert!(r.markdown().contains("+1.000% (sendto a)"));
        assert_eq!(json_field(r#"{"x": 1.5, "y": "z"}"#, "x"), Some("1.5"));
        assert_eq!(json_field(r#"{"x": 1.5, "y": "z"}"#, "y"), Some("z"));
        assert_eq!(json_field(r#"{"x": 1.5}"#, "w"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn stacked_lsm_lists() {
        let (without, with) = stacked_lsm().unwrap();
        assert!(with.contains("apparmor") && with.contains("prctl_network"));
        assert!(without.contains("apparmor") && !without.contains("prctl_network"));
    }
}
