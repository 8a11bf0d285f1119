//! `/init` of the prctl-network VMs: one static binary with two modes, both
//! reporting on the console in the lines of `prctl-network-vm-protocol`.
//!
//! - **Test mode** (`cargo xtask vm-test`, `cargo xtask run`; [`tests`]):
//!   as PID 1, mounts proc, sysfs, securityfs, devtmpfs, devpts and /tmp,
//!   initialises the CRNG, brings up `lo` and `dummy0`, then runs every
//!   program under /tests as root and as uid 1000 (`VMTEST...` lines),
//!   checks the kernel log and powers off. Options come from `pn.*` words
//!   on the kernel command line (read from /proc/cmdline).
//! - **Bench mode** (`cargo xtask bench`; [`bench`](mod@bench), [`tsync`]): as PID 1,
//!   mounts proc, sysfs, /tmp and securityfs, brings up `lo`, measures
//!   (`BENCH...` lines) and powers off; run by hand (not PID 1) it measures
//!   and exits.
//!
//! # Mode selection
//!
//! Bench mode when `/init` gets an option: any argument that starts with
//! `-` (`--rounds`, `--boot`, ..., `--help`). The kernel hands the words
//! after `--` on its command line to `/init` as arguments, and
//! `cargo xtask bench` always passes `-- ... --boot LABEL`; `vm-test`
//! passes no `--` (its `pn.*` words contain a dot, so the kernel keeps them
//! from `/init`'s arguments). Test mode otherwise.
//!
//! The PID 1 setup both modes share (the console line, mounts, interfaces,
//! the power-off) is in [`pid1`].

mod bench;
mod pid1;
mod tests;
mod tsync;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if bench_mode(&args) {
        bench::main(&args)
    } else {
        tests::main()
    }
}

/// Bench mode: some argument is an option (see the crate docs).
fn bench_mode(args: &[String]) -> bool {
    args.iter().any(|a| a.starts_with('-'))
}

#[cfg(test)]
mod mode {
    use super::bench_mode;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn options_select_the_bench() {
        // What `cargo xtask bench` puts after `--` (bench.rs plan()).
        assert!(bench_mode(&args("--rounds 10 --iters 2000 --boot A1")));
        assert!(bench_mode(&args(
            "--rounds 0 --iters 1 --tsync-rounds 5 --tsync-sets 0s,16b --boot T1"
        )));
        assert!(bench_mode(&args("--rounds=3 --states a,d --boot SA1")));
        assert!(bench_mode(&args("-h")));
        // vm-test and `run`: no arguments; a stray non-option word the
        // kernel passes on does not switch modes.
        assert!(!bench_mode(&args("")));
        assert!(!bench_mode(&args("single")));
    }
}
