//! The command line, declared once with clap's derive: every command, its
//! options, their checks (`--jobs 0` and the like are refused before any work
//! starts) and the help text (`cargo xtask help <command>`, `--help`).
//! Each command takes only the options it uses; anything else is an error.

use crate::jobs::bench::{self, BenchOpts, Clock};
use crate::jobs::ci::CiOpts;
use crate::jobs::vm_test::VmOpts;
use crate::kernel::config::Flavor;
use crate::kernel::fetch::{Base, SourceOpts};
use crate::kernel::line::Line;
use crate::kernel::KernelOpts;
use crate::util;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const ENVIRONMENT: &str = "\
Environment:
  PRCTL_NETWORK_BZIMAGE=PATH   use a prebuilt kernel: skip `make bzImage` (the tree,
                               config and headers are still prepared, for the kselftests)
  PRCTL_NETWORK_CACHE=DIR      cache directory (default $XDG_CACHE_HOME/prctl-network
                               or ~/.cache/prctl-network)
  PRCTL_NETWORK_PATCHES=DIR    take the series from DIR instead of the line's directory
  PRCTL_NETWORK_KERNEL_TARBALL, PRCTL_NETWORK_KERNEL_TREE
                               as --kernel-tarball, --kernel-tree";

/// The project's task runner: build the patched kernel, boot it in QEMU, run
/// the tests inside, and check the series the way a distribution would.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    disable_version_flag = true,
    after_help = ENVIRONMENT
)]
pub struct Xtask {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Fetch, patch, configure and build the test kernel (bzImage + headers);
    /// prints the bzImage path.
    #[command(long_about = "\
Build the patched test kernel: host deps, fetch + verify, pristine tree,
patched tree (the line's series), config, make bzImage, make headers.
Prints the bzImage path.")]
    Kernel(KernelArgs),
    /// Build the VM's initramfs (static /init, tests, kselftests, busybox);
    /// prints its path.
    #[command(long_about = "\
Build the VM initramfs (the kernel step runs first, a no-op when cached:
the kselftests come from the patched tree and its headers).
Prints the cpio path.")]
    Initramfs(KernelArgs),
    /// Kernel + initramfs, boot QEMU, run every test as root and as uid 1000.
    #[command(long_about = "\
Build kernel + initramfs, boot QEMU (2 vCPUs, TCG unless KVM really works),
run every test program as root and as uid 1000, check the kernel log.
Ends with `vm-test: N passed, N failed`; exits non-zero on any failure.
--flavor distro boots twice (lsm= AppArmor first, then SELinux first).")]
    VmTest(VmTestArgs),
    /// Boot the same kernel + initramfs with an interactive shell.
    #[command(long_about = "\
Boot the test kernel + initramfs with a shell on the serial console
(kernel command line pn.shell=1). Tests are in /tests, binaries in /usr/bin.
Ctrl-A X quits QEMU.")]
    Run(KernelArgs),
    /// Microbenchmarks in the VM: module off/on, flag set, seccomp, Landlock.
    #[command(long_about = bench::ABOUT)]
    Bench(BenchArgs),
    /// Check that the series applies (--fuzz=0) to the Debian and vanilla trees.
    #[command(long_about = "\
Trial-apply the line's series (patch -p1 --forward --fuzz=0, in order) to the
debian tree and the vanilla tree (fetched, or the verified --kernel-tarball).
A tree that cannot be obtained is reported as \"not checked\"; the exit status
is non-zero only if a check that ran failed, or with --strict also when a tree
could not be checked.")]
    CheckSeries(CheckSeriesArgs),
    /// The patched tree's scripts/checkpatch.pl --strict on each patch.
    #[command(long_about = "\
Run the patched tree's scripts/checkpatch.pl --strict on each patch of the
series (with --codespell when codespell is installed). Exits non-zero if
checkpatch reports errors, warnings or checks. ENOSYS is ignored, because
-ENOSYS is the task_prctl hook's \"not my option\" value, and
FILE_PATH_CHANGES for a patch whose new files the PRCTL_NETWORK MAINTAINERS
entry (added earlier in the series) already covers.")]
    Checkpatch(SourceArgs),
    /// W=1 + sparse builds of the series' objects under several configurations
    /// and per patch (6.12 line).
    #[command(long_about = crate::jobs::breadth::ABOUT)]
    BuildBreadth(BreadthArgs),
    /// make SPHINXDIRS=userspace-api htmldocs; scripts/kernel-doc -none -Wall.
    #[command(long_about = crate::jobs::docs::ABOUT)]
    KernelDocs(SourceArgs),
    /// quilt push -a --fuzz=0 / pop -a of the series on Debian's tree.
    #[command(long_about = crate::jobs::quilt::ABOUT)]
    QuiltCheck(LineArgs),
    /// Move a line pinned to a Debian suite (7.3) to the suite's newest version.
    #[command(long_about = crate::jobs::repin::ABOUT)]
    Repin(RepinArgs),
    /// Package the published crates, unpack each .crate and run its tests there.
    #[command(long_about = crate::jobs::package_check::ABOUT)]
    PackageCheck(PackageCheckArgs),
    /// Everything .ci/run runs: fmt, clippy, doc, host tests, the kernel
    /// checks and vm-test on every flavour and line.
    #[command(long_about = crate::jobs::ci::ABOUT)]
    Ci(CiArgs),
}

/// `--kernel`: which series and pinned base.
#[derive(Debug, Args)]
pub struct LineArgs {
    /// Kernel line: its series (6.12: patches/, 7.3: patches/7.3/) and pinned
    /// base (the line's BASE).
    #[arg(
        long = "kernel",
        value_enum,
        default_value = "6.12",
        value_name = "LINE"
    )]
    pub line: Line,
}

/// Where the pristine kernel source comes from.
#[derive(Debug, Args)]
pub struct SourceArgs {
    #[command(flatten)]
    pub line: LineArgs,
    #[command(flatten)]
    pub source: SourceOnly,
}

/// The source options without the line (`ci` runs every line).
#[derive(Debug, Args)]
pub struct SourceOnly {
    /// Kernel source. auto: vanilla, falling back loudly to debian when
    /// vanilla cannot be fetched.
    #[arg(long, value_enum)]
    pub base: Option<Base>,
    /// Use this tarball (env PRCTL_NETWORK_KERNEL_TARBALL); checked against
    /// vanilla.sha256 of the line's BASE.
    #[arg(long, value_name = "PATH", conflicts_with = "kernel_tree")]
    pub kernel_tarball: Option<PathBuf>,
    /// Accept a --kernel-tarball with another checksum.
    #[arg(long, requires = "kernel_tarball")]
    pub no_verify: bool,
    /// Use this source tree as the pristine tree, as-is (env
    /// PRCTL_NETWORK_KERNEL_TREE); it is copied before patching.
    #[arg(long, value_name = "DIR")]
    pub kernel_tree: Option<PathBuf>,
}

/// The options of every command that builds the kernel.
#[derive(Debug, Args)]
pub struct KernelArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Kernel configuration. std: qemu/kernel.config (the module next to
    /// Landlock and Yama); debug: + qemu/debug.config (KASAN, lockdep,
    /// kmemleak, ...); distro: + qemu/distro.config (AppArmor, SELinux, BPF
    /// LSM, lockdown, IMA, audit, netfilter, NFS/9p, cgroups).
    #[arg(long, value_enum, default_value = "std", conflicts_with = "debug")]
    pub flavor: Flavor,
    /// Same as --flavor debug.
    #[arg(long)]
    pub debug: bool,
    #[command(flatten)]
    pub jobs: JobsArg,
}

/// `--jobs N`.
#[derive(Debug, Args)]
pub struct JobsArg {
    /// make -jN (default: the number of CPUs).
    #[arg(long, value_name = "N", value_parser = positive::<usize>)]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct VmTestArgs {
    #[command(flatten)]
    pub kernel: KernelArgs,
    /// PROPTEST_CASES=N in the guest.
    #[arg(long, value_name = "N", value_parser = positive::<u32>)]
    pub cases: Option<u32>,
    /// Only Rust tests whose name contains SUBSTR (all tests of a program
    /// whose name contains it); kselftest programs whose name contains it.
    #[arg(long, value_name = "SUBSTR")]
    pub filter: Option<String>,
    /// Hard timeout for the whole VM run, in seconds (default 900, x3 with
    /// --debug).
    #[arg(long, value_name = "SECS", value_parser = positive::<u64>)]
    pub timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub kernel: KernelArgs,
    /// Instruction counts (the default; forces TCG even with KVM).
    #[arg(long, conflicts_with = "wall")]
    pub icount: bool,
    /// Wall-clock mode instead.
    #[arg(long)]
    pub wall: bool,
    /// Std boot pairs A+B.
    #[arg(long, value_name = "N", default_value_t = bench::DEFAULT_PAIRS, value_parser = positive::<u32>)]
    pub pairs: u32,
    /// Distro boot pairs SA+SB (0 skips them and the distro kernel).
    #[arg(long, value_name = "N", default_value_t = bench::DEFAULT_PAIRS)]
    pub stacked_pairs: u32,
    /// Rounds per boot, every state once per round (default 9 with --icount,
    /// 30 with --wall).
    #[arg(long, value_name = "N", value_parser = positive::<u32>)]
    pub rounds: Option<u32>,
    /// Iterations per op and round.
    #[arg(long, value_name = "N", default_value_t = bench::DEFAULT_ITERS, value_parser = positive::<u64>)]
    pub iters: u64,
    /// Samples per (mechanism, thread set) in boot T1 (0 skips the TSYNC boot).
    #[arg(long, value_name = "N", default_value_t = bench::DEFAULT_TSYNC_ROUNDS)]
    pub tsync_rounds: u32,
    /// Thread sets, N followed by s (sleeping) or b (busy).
    #[arg(long, value_name = "LIST", default_value = bench::DEFAULT_TSYNC_SETS,
          value_parser = bench::parse_sets)]
    pub tsync_sets: String,
    /// Per boot, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = positive::<u64>)]
    pub timeout: u64,
    /// A previous run's bench.json: adds the deviation of every median from
    /// it (ops, stacked, TSYNC) to the report; copy target/bench/bench.json
    /// away first, this run overwrites it.
    #[arg(long, value_name = "FILE")]
    pub compare: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckSeriesArgs {
    #[command(flatten)]
    pub line: LineArgs,
    /// Also fail when a tree could not be checked.
    #[arg(long)]
    pub strict: bool,
    /// The vanilla tarball to check against (env PRCTL_NETWORK_KERNEL_TARBALL),
    /// verified against the line's BASE.
    #[arg(long, value_name = "PATH")]
    pub kernel_tarball: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BreadthArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub jobs: JobsArg,
}

#[derive(Debug, Args)]
pub struct RepinArgs {
    /// The kernel line to move (one pinned to a Debian suite).
    #[arg(long = "kernel", value_enum, value_name = "LINE")]
    pub line: Line,
    /// Only say whether the pin is current (exit 1 if not).
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct PackageCheckArgs {
    /// Pass --locked to cargo package.
    #[arg(long)]
    pub locked: bool,
}

#[derive(Debug, Args)]
pub struct CiArgs {
    /// Skip vm-test-debug (it builds a second, slower kernel: about 12
    /// minutes cold on 2 cores, kernel and VM run; 3 minutes warm).
    #[arg(long)]
    pub no_debug: bool,
    /// Pass --locked to every cargo command (what .ci/run does).
    #[arg(long)]
    pub locked: bool,
    #[command(flatten)]
    pub source: SourceOnly,
    #[command(flatten)]
    pub jobs: JobsArg,
}

/// A value parser for counts that must be at least 1.
fn positive<T>(s: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + From<u8>,
{
    match s.parse::<T>() {
        Ok(n) if n >= T::from(1) => Ok(n),
        Ok(_) => Err("must be at least 1".into()),
        Err(_) => Err(format!("{s:?} is not a whole number")),
    }
}

impl SourceOnly {
    pub fn opts(&self) -> SourceOpts {
        SourceOpts {
            base: self.base,
            tarball: self.kernel_tarball.clone(),
            tree: self.kernel_tree.clone(),
            no_verify: self.no_verify,
        }
        .with_env()
    }
}

impl SourceArgs {
    /// Sets the kernel line for what follows and returns the source options.
    pub fn apply(&self) -> SourceOpts {
        crate::kernel::line::set(self.line.line);
        self.source.opts()
    }
}

impl JobsArg {
    pub fn get(&self) -> usize {
        self.jobs.unwrap_or_else(util::default_jobs)
    }
}

impl KernelArgs {
    /// Sets the kernel line for what follows and returns the kernel options.
    pub fn apply(&self) -> KernelOpts {
        KernelOpts {
            source: self.source.apply(),
            flavor: if self.debug {
                Flavor::Debug
            } else {
                self.flavor
            },
            jobs: self.jobs.get(),
        }
    }
}

impl VmTestArgs {
    pub fn apply(&self) -> VmOpts {
        VmOpts {
            kernel: self.kernel.apply(),
            cases: self.cases,
            filter: self.filter.clone(),
            timeout: self.timeout,
        }
    }
}

impl BenchArgs {
    pub fn apply(&self) -> BenchOpts {
        let clock = if self.wall {
            Clock::Wall
        } else {
            Clock::Icount
        };
        BenchOpts {
            kernel: self.kernel.apply(),
            clock,
            pairs: self.pairs,
            stacked_pairs: self.stacked_pairs,
            rounds: self.rounds.unwrap_or(match clock {
                Clock::Icount => bench::DEFAULT_ROUNDS_ICOUNT,
                Clock::Wall => bench::DEFAULT_ROUNDS_WALL,
            }),
            iters: self.iters,
            tsync_rounds: self.tsync_rounds,
            tsync_sets: self.tsync_sets.clone(),
            timeout: self.timeout,
            compare: self.compare.clone(),
        }
    }
}

impl CiArgs {
    pub fn apply(&self) -> CiOpts {
        CiOpts {
            kernel: KernelOpts {
                source: self.source.opts(),
                flavor: Flavor::Std,
                jobs: self.jobs.get(),
            },
            debug: !self.no_debug,
            locked: self.locked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Xtask, clap::Error> {
        Xtask::try_parse_from(std::iter::once("cargo xtask").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Xtask::command().debug_assert();
    }

    #[test]
    fn zero_counts_are_refused() {
        for bad in [
            &["vm-test", "--jobs", "0"][..],
            &["vm-test", "--timeout", "0"],
            &["vm-test", "--cases", "0"],
            &["bench", "--pairs", "0"],
            &["bench", "--rounds", "0"],
            &["bench", "--iters", "0"],
            &["kernel", "--jobs=0"],
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation, "{bad:?}");
        }
        // 0 is meaningful where it skips a part.
        assert!(parse(&["bench", "--stacked-pairs", "0", "--tsync-rounds", "0"]).is_ok());
    }

    #[test]
    fn options_a_command_does_not_take_are_refused() {
        for bad in [
            &["checkpatch", "--flavor", "debug"][..],
            &["quilt-check", "--jobs", "2"],
            &["ci", "--kernel", "7.3"],
            &["ci", "--debug"],
            &["repin", "--kernel", "7.3", "--timeout", "5"],
            &["vm-test", "--pairs", "2"],
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::UnknownArgument, "{bad:?}");
        }
    }

    #[test]
    fn values_are_checked_and_listed() {
        let e = parse(&["kernel", "--base", "ubuntu"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("auto") && e.contains("vanilla") && e.contains("debian"),
            "{e}"
        );
        let e = parse(&["vm-test", "--kernel", "6.1"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("6.12") && e.contains("7.3"), "{e}");
        assert!(parse(&["bench", "--tsync-sets", "16x"]).is_err());
        assert!(parse(&["bench", "--icount", "--wall"]).is_err());
        assert!(parse(&["vm-test", "--debug", "--flavor", "distro"]).is_err());
        assert!(parse(&["kernel", "--kernel-tree", "/a", "--kernel-tarball", "/b"]).is_err());
    }

    #[test]
    fn help_for_a_command() {
        let e = parse(&["help", "vm-test"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(e.to_string().contains("--filter"), "{e}");
    }

    #[test]
    fn options_reach_the_jobs() {
        let Cmd::Bench(b) = parse(&["bench", "--wall", "--tsync-rounds=0"]).unwrap().cmd else {
            panic!("not bench")
        };
        let o = b.apply();
        assert_eq!((o.clock, o.tsync_rounds), (Clock::Wall, 0));
        assert_eq!(o.rounds, bench::DEFAULT_ROUNDS_WALL);
        let Cmd::VmTest(v) = parse(&["vm-test", "--debug", "--jobs", "3"]).unwrap().cmd else {
            panic!("not vm-test")
        };
        let o = v.apply();
        assert_eq!((o.kernel.flavor, o.kernel.jobs), (Flavor::Debug, 3));
    }
}
