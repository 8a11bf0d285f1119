//! Model-based property tests of the prctl-network LSM.
//!
//! The specification is `Documentation/userspace-api/prctl-network.rst`
//! (in `patches/0004-*`): `prctl(PR_SET_NETWORK,
//! PR_NETWORK_OFF)` irrevocably removes a thread's ability to open new
//! network channels. This crate holds
//!
//! * a pure reference model of those semantics ([`model`]: per-task flags,
//!   the option and control-message tables of [`channels`],
//!   inheritance by fork, thread and exec, and the outcome — success or
//!   exact errno — of every operation), with host-run unit and property
//!   tests (`tests/model.rs`) that need no kernel;
//! * generated operation sequences ([`ops`], [`addr`]) and their execution
//!   against the kernel ([`exec`]), with a differential oracle: each
//!   sequence also runs in an unrestricted process, and where the model says
//!   "the restriction does not apply" the restricted kernel must answer
//!   exactly what the unrestricted one did ([`check`]);
//! * kernel tests for what sequences do not cover well: io_uring
//!   ([`uring`]), real programs (busybox `nc`/`wget`, a unix-socket
//!   server), SCTP socket options, user/net namespaces, setuid exec, and
//!   threads racing `PR_SET_NETWORK` against socket creation and fork.
//!
//! # Running
//!
//! On the host (`cargo test -p prctl-network-tests`) only the pure model
//! tests run; every test that needs the patched kernel is
//! `#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]`.
//! `cargo xtask vm-test` boots the patched kernel in QEMU and runs every test
//! binary of this crate but the pure `model` one (host-only: it makes no
//! system call the series changes) with `--include-ignored
//! --test-threads=1`, once as root and once as uid 1000. Every kernel test body runs in a forked child
//! ([`fork`]); the test process itself is never restricted.
//!
//! # Tests
//!
//! | file | what | needs the kernel |
//! | --- | --- | --- |
//! | `tests/model.rs` | the model against the specification rule by rule; invariants over generated sequences; the comparison fails on a wrong kernel | no |
//! | `tests/oracle_determinism.rs` | two unrestricted runs of a sequence agree (the oracle is not noise) | no (runs anywhere) |
//! | `tests/sequences.rs` | **the property**: generated sequences, kernel = model; plus hand-written scenario sequences | yes |
//! | `tests/uring.rs` | io_uring socket/connect/bind/sendmsg, inline and `IOSQE_ASYNC`, rings and personalities before/after | yes |
//! | `tests/ptrace.rs` | attach/seize/`/proc/PID/mem`/process_vm_readv/writev/pidfd_getfd/TRACEME across flags | yes |
//! | `tests/exec_setuid.rs` | flag kept across exec, setuid probe with and without no_new_privs | yes |
//! | `tests/programs.rs` | busybox `nc`/`wget`, pathname unix server (X11 case), pre-restriction TCP connection | yes |
//! | `tests/race.rs` | threads racing `PR_SET_NETWORK` against socket creation and fork | yes |
//! | `tests/sctp.rs` | SCTP bindx/connectx options on pre-restriction sockets | yes |
//! | `tests/channels.rs` | the option table ([`channels`]) classifies every option of the pinned kernel's uapi headers; the kernel refuses exactly its `Deny` options | yes (the headers too) |
//! | `tests/userns.rs` | `unshare(CLONE_NEWUSER\|CLONE_NEWNET)` keeps the restriction; own userns grants the privilege | yes |
//!
//! # Case counts
//!
//! Defaults are sized so that a warm `cargo xtask vm-test` (nothing
//! changed: boot, every test program as root and as uid 1000, kselftests)
//! stays under a minute under QEMU TCG on two vCPUs. Measured on
//! 2026-11-29 (2 cores, TCG): about 0.1 to 0.15 s per generated sequence
//! for both worlds, depending on what the sequence does (exec, fork and
//! ptrace ops cost most); with 128 sequences the warm run took 57 s to 68 s,
//! hence 80; `sequences` then takes about 10 s to 16 s per user.
//! Every run draws new seeds, so coverage grows across runs; raise the
//! counts for long runs:
//!
//! | test | default | raise with |
//! | --- | --- | --- |
//! | `sequences::kernel_matches_model` (0..=3 sockets + ≤ 24 ops per case) | 80 cases | `PROPTEST_CASES` |
//! | `uring::uring_matches_model` (≤ 8 ring ops per case) | 32 cases | `PROPTEST_CASES` |
//! | `oracle_determinism` | 16 cases (a sanity check of the oracle, not a search) | `PROPTEST_CASES` |
//! | `model.rs` properties (pure) | 256 cases | `PROPTEST_CASES` |
//! | `race.rs` | 5 threads × 300 rounds, fork every 16th | `PN_RACE_ROUNDS` |
//!
//! `PROPTEST_CASES` sets every property's count at once:
//! `cargo xtask vm-test --cases 1000` (it sets `PROPTEST_CASES` in the
//! guest). 1000 cases of `kernel_matches_model` take about two minutes per
//! user under TCG.
//!
//! # Failures
//!
//! The first (unshrunk) failure of a property is written to stderr
//! directly, so it is visible even if the VM's per-program timeout kills the
//! test while shrinking. `PN_TRACE=1` (or `pn_trace=1` on the VM kernel
//! command line) adds progress lines and makes every world print each
//! operation before running it (to find a hanging operation).
//!
//! A failing property names its seed (`PN_SEED=<seed>` replays the run),
//! and prints the shrunk sequence (one readable line per
//! operation with the model's prediction, the unrestricted outcome and the
//! kernel's) and the seed. Seeds are persisted in
//! `tests/proptest-regressions/<property>.txt` when the source tree is
//! writable (replayed first on the next run), else in
//! `$TMPDIR/pn-proptest-regressions-<property>.txt` (as in the VM, where the
//! seed lines printed in the failure message are what to copy back).
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

pub mod abi;
pub mod addr;
pub mod channels;
pub mod check;
pub mod exec;
pub mod fork;
pub mod model;
pub mod ops;
pub mod outcome;
pub mod probe;
pub mod runner;
pub mod sys;
pub mod uring;

/// The `#[ignore]` reason of every test that needs the patched kernel.
pub const NEEDS_KERNEL: &str = "needs the prctl-network kernel: run by cargo xtask vm-test";

/// The project README's Rust snippets, compiled as doctests (warnings
/// denied): the README is part of no published crate, so its check lives
/// in this unpublished one.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ProjectReadmeDoctests;
