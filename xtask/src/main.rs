//! The project's task runner (`cargo xtask <job>`), following the
//! rust-analyzer xtask pattern: plain Rust, one module per job, commands
//! run through xshell/std::process, no shell scripts that grow logic.

mod bench;
mod breadth;
mod build;
mod cache;
mod check_series;
mod checkpatch;
mod ci;
mod config;
mod cover_letter;
mod cpio;
mod docs;
mod fetch;
mod flags;
mod host_deps;
mod initramfs;
mod kernel;
mod line;
mod pin;
mod qemu;
mod quilt;
mod repin;
mod tree;
mod util;
mod vm_test;

use flags::Args;
use util::Result;

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  kernel         fetch, patch, configure and build the test kernel (bzImage + headers)
  initramfs      build the VM's initramfs (static /init, tests, kselftests, busybox)
  vm-test        kernel + initramfs, boot QEMU, run every test as root and as uid 1000
  run            boot the same kernel+initramfs with an interactive shell
  bench          microbenchmarks in the VM: module off/on, flag set, seccomp, Landlock
  check-series   check that patches/series applies (--fuzz=0) to the debian and vanilla trees
  checkpatch     the patched tree's scripts/checkpatch.pl --strict on each patch (ENOSYS ignored)
  build-breadth  W=1 + sparse builds of the series' objects under allmodconfig, allnoconfig
                 variants (IO_URING, IPV6, IP_SCTP off) and per patch
  kernel-docs    make SPHINXDIRS=userspace-api htmldocs; scripts/kernel-doc -none -Wall
  quilt-check    quilt push -a --fuzz=0 / pop -a of patches/series on Debian's tree
  repin          move a line pinned to a Debian suite (7.3) to the suite's newest version
  ci             everything: fmt, clippy, doc, host tests, checkpatch, check-series,
                 vm-test, vm-test --debug (what .ci/run runs)

Every command takes --kernel 6.12|7.3, the kernel line (default 6.12:
patches/; 7.3: patches/7.3/, Debian's trixie-backports tree), and has
--help. Cache: $PRCTL_NETWORK_CACHE, default
$XDG_CACHE_HOME/prctl-network or ~/.cache/prctl-network.
";

const KERNEL_OPTS: &str = "\
Kernel options:
  --kernel 6.12|7.3           kernel line (default 6.12): its series (patches/,
                              patches/7.3/) and pinned base (the line's BASE)
  --base auto|vanilla|debian  kernel source (default auto: vanilla, falling back
                              loudly to debian when vanilla cannot be fetched)
  --kernel-tarball PATH       use this tarball (env PRCTL_NETWORK_KERNEL_TARBALL);
                              checked against vanilla.sha256 of patches/BASE
  --no-verify                 accept a --kernel-tarball with another checksum
  --kernel-tree DIR           use this source tree as the pristine tree, as-is
                              (env PRCTL_NETWORK_KERNEL_TREE); it is copied before patching
  --flavor std|debug|distro   which kernel configuration (default std):
                                std     qemu/kernel.config: the module next to
                                        Landlock and Yama
                                debug   + qemu/debug.config (KASAN, lockdep,
                                        kmemleak, ...)
                                distro  + qemu/distro.config (AppArmor, SELinux,
                                        BPF LSM, lockdown, IMA, audit, netfilter,
                                        NFS/9p, cgroups); vm-test boots it twice,
                                        lsm= AppArmor first, then SELinux first
  --debug                     same as --flavor debug
  --jobs N                    make -jN (default: number of CPUs)
Environment:
  PRCTL_NETWORK_BZIMAGE=PATH  use a prebuilt kernel: skip `make bzImage` (the tree,
                              config and headers are still prepared, for the kselftests)
  PRCTL_NETWORK_CACHE=DIR     cache directory
  PRCTL_NETWORK_PATCHES=DIR   take the series from DIR instead of patches/
";

fn kernel_opts(args: &mut Args) -> Result<kernel::KernelOpts> {
    let source = fetch::SourceOpts {
        base: args.parsed("--base")?,
        tarball: args.value("--kernel-tarball")?.map(Into::into),
        tree: args.value("--kernel-tree")?.map(Into::into),
        no_verify: args.flag("--no-verify"),
    }
    .with_env();
    if source.tree.is_some() && source.tarball.is_some() {
        bail!("--kernel-tree and --kernel-tarball exclude each other");
    }
    Ok(kernel::KernelOpts {
        source,
        flavor: {
            let debug = args.flag("--debug");
            match (args.parsed::<config::Flavor>("--flavor")?, debug) {
                (Some(f), true) if f != config::Flavor::Debug => {
                    bail!(
                        "--debug is --flavor debug; it cannot go with --flavor {}",
                        f.name()
                    )
                }
                (Some(f), _) => f,
                (None, true) => config::Flavor::Debug,
                (None, false) => config::Flavor::Std,
            }
        },
        jobs: args.parsed("--jobs")?.unwrap_or_else(util::default_jobs),
    })
}

fn main() {
    match try_main() {
        Ok(0) => {}
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

fn try_main() -> Result<i32> {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() {
        print!("{HELP}");
        return Ok(2);
    }
    let cmd = argv.remove(0);
    let mut args = Args::new(argv);
    let help = args.help();
    // The kernel line applies to every command that touches the series.
    if let Some(l) = args.parsed::<line::Line>("--kernel")? {
        line::set(l);
    }
    let code = |ok: bool| if ok { 0 } else { 1 };
    match cmd.as_str() {
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(0)
        }
        "kernel" => {
            if help {
                print!("cargo xtask kernel [options]\n\nBuild the patched test kernel: host deps, fetch + verify, pristine tree,\npatched tree (patches/series), config, make bzImage, make headers.\nPrints the bzImage path.\n\n{KERNEL_OPTS}");
                return Ok(0);
            }
            let opts = kernel_opts(&mut args)?;
            args.finish()?;
            let _lock = cache::lock()?;
            let k = kernel::ensure(&opts)?;
            println!("{}", k.bzimage.display());
            Ok(0)
        }
        "initramfs" => {
            if help {
                print!("cargo xtask initramfs [kernel options]\n\nBuild the VM initramfs (the kernel step runs first, a no-op when cached:\nthe kselftests come from the patched tree and its headers).\nPrints the cpio path.\n\n{KERNEL_OPTS}");
                return Ok(0);
            }
            let opts = kernel_opts(&mut args)?;
            args.finish()?;
            let _lock = cache::lock()?;
            let k = kernel::ensure(&opts)?;
            let i = initramfs::build(&k)?;
            println!("{}", i.path.display());
            Ok(0)
        }
        "vm-test" => {
            if help {
                print!("cargo xtask vm-test [options]\n\nBuild kernel + initramfs, boot QEMU (2 vCPUs, TCG unless KVM really works),\nrun every test program as root and as uid 1000, check the kernel log.\nEnds with `vm-test: N passed, N failed`; exits non-zero on any failure.\n\n  --cases N        PROPTEST_CASES=N in the guest\n  --filter SUBSTR  only Rust tests whose name contains SUBSTR (all tests of a\n                   program whose name contains it); kselftest programs whose\n                   name contains it\n  --timeout SECS   hard timeout for the whole VM run (default 900, x3 with --debug)\n\n{KERNEL_OPTS}");
                return Ok(0);
            }
            let opts = vm_test::VmOpts {
                kernel: kernel_opts(&mut args)?,
                cases: args.parsed("--cases")?,
                filter: args.value("--filter")?,
                timeout: args.parsed("--timeout")?,
            };
            args.finish()?;
            Ok(code(vm_test::run(&opts)?))
        }
        "run" => {
            if help {
                print!("cargo xtask run [kernel options]\n\nBoot the test kernel + initramfs with a shell on the serial console\n(kernel command line pn.shell=1). Tests are in /tests, binaries in /usr/bin.\nCtrl-A X quits QEMU.\n\n{KERNEL_OPTS}");
                return Ok(0);
            }
            let opts = kernel_opts(&mut args)?;
            args.finish()?;
            vm_test::run_interactive(&opts)?;
            Ok(0)
        }
        "bench" => {
            if help {
                print!("{}\n{KERNEL_OPTS}", bench::HELP);
                return Ok(0);
            }
            let kernel = kernel_opts(&mut args)?;
            let opts = bench::BenchOpts::from_args(&mut args, kernel)?;
            args.finish()?;
            Ok(code(bench::run(&opts)?))
        }
        "check-series" => {
            if help {
                print!("cargo xtask check-series [--strict] [--kernel-tarball PATH]\n\nTrial-apply patches/series (patch -p1 --forward --fuzz=0, in order) to the\ndebian tree and the vanilla tree (fetched, or the verified --kernel-tarball /\nPRCTL_NETWORK_KERNEL_TARBALL). A tree that cannot be obtained is reported\nas \"not checked\"; the exit status is non-zero only if a check that ran failed,\nor with --strict also when a tree could not be checked.\n");
                return Ok(0);
            }
            let strict = args.flag("--strict");
            let tarball: Option<std::path::PathBuf> =
                args.value("--kernel-tarball")?.map(Into::into).or_else(|| {
                    std::env::var_os("PRCTL_NETWORK_KERNEL_TARBALL")
                        .filter(|v| !v.is_empty())
                        .map(Into::into)
                });
            args.finish()?;
            Ok(code(check_series::run(strict, tarball.as_deref())?))
        }
        "checkpatch" => {
            if help {
                print!("cargo xtask checkpatch [--base ...|--kernel-tarball ...|--kernel-tree ...]\n\nRun the patched tree's scripts/checkpatch.pl --strict on each patch of\npatches/series (with --codespell when codespell is installed). Exits non-zero\nif checkpatch reports errors, warnings or checks. ENOSYS is ignored,\nbecause -ENOSYS is the task_prctl hook's \"not my option\" value, and\nFILE_PATH_CHANGES for a patch whose new files the PRCTL_NETWORK MAINTAINERS\nentry (added earlier in the series) already covers.\n\n{KERNEL_OPTS}");
                return Ok(0);
            }
            let opts = kernel_opts(&mut args)?;
            args.finish()?;
            Ok(code(checkpatch::run(&opts.source)?))
        }
        "build-breadth" => {
            if help {
                print!("{}\n{KERNEL_OPTS}", breadth::HELP);
                return Ok(0);
            }
            let opts = kernel_opts(&mut args)?;
            args.finish()?;
            Ok(code(breadth::run(&opts.source, opts.jobs)?))
        }
        "kernel-docs" => {
            if help {
                print!("{}\n{KERNEL_OPTS}", docs::HELP);
                return Ok(0);
            }
            let opts = kernel_opts(&mut args)?;
            args.finish()?;
            Ok(code(docs::run(&opts.source)?))
        }
        "repin" => {
            if help {
                print!("{}", repin::HELP);
                return Ok(0);
            }
            let check = args.flag("--check");
            args.finish()?;
            Ok(code(repin::run(check)?))
        }
        "quilt-check" => {
            if help {
                print!("{}", quilt::HELP);
                return Ok(0);
            }
            args.finish()?;
            Ok(code(quilt::run()?))
        }
        "ci" => {
            if help {
                print!("{}\n{KERNEL_OPTS}", ci::HELP);
                return Ok(0);
            }
            let opts = ci::CiOpts {
                debug: !args.flag("--no-debug"),
                locked: args.flag("--locked"),
                kernel: kernel_opts(&mut args)?,
            };
            args.finish()?;
            if opts.kernel.flavor != config::Flavor::Std {
                bail!("ci runs vm-test on every flavour; --debug/--flavor mean nothing here (--no-debug skips the debug one)");
            }
            Ok(code(ci::run(&opts)?))
        }
        other => bail!("unknown command {other:?}\n\n{HELP}"),
    }
}
