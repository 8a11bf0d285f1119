//! `cargo xtask ci`: every check the project has, in one command — the
//! README's "run all tests" command, and the one `.ci/run` calls.
//!
//! Steps, cheapest first: `cargo fmt --check`, `cargo clippy -D warnings`,
//! `cargo doc` with warnings denied, the host tests (`cargo test
//! --workspace`, and the safe crate's again without its `landlock`
//! feature), checkpatch on the series, the apply check of the series,
//! then the VM tests (`vm-test`), the distribution flavour's
//! (`vm-test --flavor distro`, two `lsm=` orders) and the same suite on the debug kernel
//! (`vm-test --debug`: KASAN, lockdep, kmemleak). Every step runs even when
//! an earlier one failed, so one run reports everything; the exit status is
//! non-zero if any step failed, and the last line is
//! `ci: N passed, N failed` (steps).

use crate::jobs::{breadth, check_series, checkpatch, docs, package_check, quilt, vm_test};
use crate::kernel::config::Flavor;
use crate::kernel::line::{self, Line};
use crate::kernel::KernelOpts;
use crate::util::{fmt_dur, project_root, say, Result};
use std::time::Instant;

pub const ABOUT: &str = "\
Run every check, in this order, and report each:
  fmt           cargo fmt --all -- --check
  clippy        cargo clippy --workspace --all-targets -- -D warnings
  doc           RUSTDOCFLAGS=-D warnings cargo doc --workspace --no-deps
  host-tests    cargo test --workspace (kernel tests show as ignored)
  host-tests-no-landlock
                cargo test -p prctl-network --no-default-features --tests
                (the best-effort fallback built without Landlock)
  package-check cargo xtask package-check (each published .crate unpacked:
                licence files, README, changelog, its tests alone)
  checkpatch    cargo xtask checkpatch (scripts/checkpatch.pl --strict)
  quilt-check   cargo xtask quilt-check (quilt push -a / pop -a, Debian's tree)
  build-breadth cargo xtask build-breadth (W=1 + sparse, config variants, per patch)
  kernel-docs   cargo xtask kernel-docs (Sphinx htmldocs, kernel-doc -none)
  check-series  cargo xtask check-series (apply check, --fuzz=0)
  vm-test       cargo xtask vm-test (the main job)
  vm-test-distro
                cargo xtask vm-test --flavor distro (AppArmor, SELinux, BPF
                LSM, ... stacked: two boots, lsm= AppArmor then SELinux first)
  checkpatch-7.3, check-series-7.3, quilt-check-7.3, kernel-docs-7.3, vm-test-7.3
                the same on the 7.3 line (--kernel 7.3: patches/7.3/;
                build-breadth is 6.12 only: Debian 12's sparse is too old
                for 7.3)
  vm-test-debug cargo xtask vm-test --debug (KASAN, lockdep, kmemleak kernel)

Every step runs even if an earlier one failed. Exits non-zero if any step
failed; the last line is `ci: N passed, N failed`.";

pub struct CiOpts {
    pub kernel: KernelOpts,
    pub debug: bool,
    pub locked: bool,
}

struct Outcome {
    name: &'static str,
    ok: bool,
    secs: f64,
    detail: String,
}

/// Runs one cargo command in the workspace root; Ok(true) on success.
fn cargo(args: &[&str], env: &[(&str, &str)], locked: bool) -> Result<bool> {
    let mut cmd = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    // `--locked` goes right after the subcommand: after a `--` it would
    // reach clippy-driver or rustfmt instead of cargo.
    cmd.current_dir(project_root()).arg(args[0]);
    if locked {
        cmd.arg("--locked");
    }
    cmd.args(&args[1..]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    say("ci", format!("$ cargo {}", args.join(" ")));
    Ok(cmd.status()?.success())
}

pub fn run(opts: &CiOpts) -> Result<bool> {
    let mut results: Vec<Outcome> = Vec::new();
    let mut step = |name: &'static str, f: &mut dyn FnMut() -> Result<bool>| {
        say("ci", format!("== {name}"));
        let start = Instant::now();
        let (ok, detail) = match f() {
            Ok(ok) => (ok, String::new()),
            Err(e) => (false, e.to_string()),
        };
        if !detail.is_empty() {
            eprintln!("error: {detail}");
        }
        let secs = start.elapsed().as_secs_f64();
        say(
            "ci",
            format!(
                "== {name}: {} ({})",
                if ok { "ok" } else { "FAILED" },
                fmt_dur(secs)
            ),
        );
        results.push(Outcome {
            name,
            ok,
            secs,
            detail,
        });
    };
    let locked = opts.locked;
    step("fmt", &mut || {
        cargo(&["fmt", "--all", "--", "--check"], &[], false)
    });
    step("clippy", &mut || {
        cargo(
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            &[],
            locked,
        )
    });
    step("doc", &mut || {
        cargo(
            &["doc", "--workspace", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
            locked,
        )
    });
    step("host-tests", &mut || {
        cargo(&["test", "--workspace"], &[], locked)
    });
    // The best-effort fallback without Landlock: its Status must still
    // name what it does not enforce (the host tests check each claim).
    step("host-tests-no-landlock", &mut || {
        cargo(
            &[
                "test",
                "-p",
                "prctl-network",
                "--no-default-features",
                "--tests",
            ],
            &[],
            locked,
        )
    });
    step("package-check", &mut || package_check::run(locked));
    step("checkpatch", &mut || checkpatch::run(&opts.kernel.source));
    step("quilt-check", &mut quilt::run);
    step("build-breadth", &mut || {
        breadth::run(&opts.kernel.source, opts.kernel.jobs)
    });
    step("kernel-docs", &mut || docs::run(&opts.kernel.source));
    // The kernel options already took PRCTL_NETWORK_KERNEL_TARBALL in.
    step("check-series", &mut || {
        check_series::run(false, opts.kernel.source.tarball.as_deref())
    });
    let vm = |flavor: Flavor| vm_test::VmOpts {
        kernel: KernelOpts {
            flavor,
            ..opts.kernel.clone()
        },
        cases: None,
        filter: None,
        timeout: None,
    };
    step("vm-test", &mut || vm_test::run(&vm(Flavor::Std)));
    step("vm-test-distro", &mut || vm_test::run(&vm(Flavor::Distro)));
    // The newest-kernel line: its own series, base and kernel, the same
    // crates and tests. checkpatch (with that tree's script) and the
    // apply check first, then the suite.
    line::set(Line::V7_3);
    step("checkpatch-7.3", &mut || {
        checkpatch::run(&opts.kernel.source)
    });
    step("check-series-7.3", &mut || check_series::run(false, None));
    step("quilt-check-7.3", &mut quilt::run);
    step("kernel-docs-7.3", &mut || docs::run(&opts.kernel.source));
    step("vm-test-7.3", &mut || vm_test::run(&vm(Flavor::Std)));
    line::set(Line::V6_12);
    if opts.debug {
        step("vm-test-debug", &mut || vm_test::run(&vm(Flavor::Debug)));
    } else {
        say("ci", "vm-test-debug skipped (--no-debug)");
    }

    println!();
    println!("ci summary:");
    for r in &results {
        println!(
            "  {:<14} {:<6} {:>8}  {}",
            r.name,
            if r.ok { "ok" } else { "FAILED" },
            fmt_dur(r.secs),
            r.detail.lines().next().unwrap_or("")
        );
    }
    let passed = results.iter().filter(|r| r.ok).count();
    let failed = results.len() - passed;
    println!("ci: {passed} passed, {failed} failed");
    Ok(failed == 0)
}
