//! `cargo xtask bench`: the in-VM microbenchmarks of qemu/guest (its bench
//! mode).
//!
//! One std kernel (the xtask's kernel step) and, for the stacked rows, the
//! distro kernel (`--flavor distro`, AppArmor and the rest built in); one
//! tiny initramfs whose /init is the static guest binary (`init` of
//! `prctl-network-vm-guest`) in bench mode (it mounts, brings `lo` up and
//! reboots by itself: no test harness runs next to it). Boots, in this
//! order:
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
//!
//! Here: the options, `run` and the bench's initramfs.
//! [`plan`](mod@plan): the boots to make; [`boot`](mod@boot): one boot, its
//! console read into a `Boot`; [`stats`]: min, median, growth exponent;
//! [`report`]: the figures of a run; [`goals`], [`markdown`], [`json`]: what
//! is said and written of them; [`compare`]: `--compare` against a previous
//! bench.json; [`date`].

mod boot;
mod compare;
mod date;
mod goals;
mod json;
mod markdown;
mod plan;
mod report;
mod stats;
#[cfg(test)]
mod tests;

use crate::cache;
use crate::host_deps;
use crate::kernel::config::Flavor;
use crate::kernel::{self, KernelOpts};
use crate::util::{project_root, say, Result, Step};
use crate::vm::cpio::Cpio;
use crate::vm::initramfs;
use crate::vm::qemu;
use boot::{boot, Boot};
use plan::{plan, stacked_lsm};
use report::Report;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The guest crate and its binary, /init of the bench's initramfs (bench
/// mode: it gets options).
const PACKAGE: &str = "prctl-network-vm-guest";
const BIN: &str = "init";

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
Microbenchmarks of the prctl_network LSM in the VM (qemu/guest). Boots, in
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

/// Returns Ok(true) when every boot completed without a `BENCH-ERROR`.
pub fn run(opts: &BenchOpts) -> Result<bool> {
    let run_dir = cache::dir().join("run/bench");
    let t0 = Instant::now();
    let date = date::utc_now();
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
    let exe = initramfs::run_cargo(c, &format!("cargo build -p {PACKAGE}"))?
        .into_iter()
        .find(|a| a.bin && a.name == BIN)
        .map(|a| a.executable)
        .ok_or_else(|| anyhow::anyhow!("cargo built no {PACKAGE} binary {BIN}"))?;
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
