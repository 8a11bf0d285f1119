//! Irrevocably drop a process's ability to open new network channels.
//!
//! Safe API for the `PR_SET_NETWORK` / `PR_GET_NETWORK` Linux prctl
//! options (the `prctl_network` LSM, carrying forward Michael Stone's 2009
//! series). After [`set_off`], every thread of the process and everything
//! they start later can no longer:
//!
//! * create sockets other than `AF_UNIX` (`EPERM`),
//! * `bind()`, `connect()` or `sendto()` with a non-`AF_UNIX` address, or an
//!   abstract `AF_UNIX` name, including on descriptors inherited from
//!   before (`EPERM`),
//! * point an inherited socket elsewhere (source routes, IPv6 routing
//!   headers, interface or fwmark choices, by socket option or control
//!   message), send on raw, packet or netlink sockets, `listen()` on a
//!   socket without a port, join multicast groups (`EPERM`),
//! * attach to a TUN/TAP device, push input into a terminal with
//!   `TIOCSTI`, or trace a process any thread of which is less restricted
//!   (`EPERM`).
//!
//! Already connected sockets keep working towards their own peer, as do
//! filesystem `AF_UNIX` sockets. The restriction survives `execve()` and
//! can never be lifted. The full list, and what it leaves open on purpose,
//! is `Documentation/userspace-api/prctl-network.rst` in the kernel series.
//!
//! ```no_run
//! use prctl_network::Error;
//!
//! fn main() -> Result<(), Error> {
//!     match prctl_network::set_off() {
//!         Ok(status) => assert!(status.is_complete(), "{status}"),
//!         Err(Error::Unsupported) => eprintln!("kernel lacks PR_SET_NETWORK"),
//!         Err(e) => return Err(e),
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Threads
//!
//! Like seccomp and Landlock, the restriction is per thread: it is stored
//! in the thread's credentials and inherited by threads and processes
//! created afterwards. [`set_off`] asks the kernel to restrict every thread
//! of the process at once (`PR_NETWORK_TSYNC`, the counterpart of
//! seccomp's `SECCOMP_FILTER_FLAG_TSYNC`); the best-effort fallback puts
//! its seccomp filter on every thread the same way
//! (`SECCOMP_FILTER_FLAG_TSYNC`). Only with
//! [`Restriction::all_threads`]`(false)`, where just the calling thread is
//! restricted, is a process that already has other threads refused
//! ([`Error::MultiThreaded`]), unless
//! [`Restriction::require_single_thread`]`(false)` allows it.
//! [`Status::threads`] reports what is covered (in best-effort mode per
//! mechanism: a Landlock domain below ABI 8 covers the calling thread
//! only, and the report says so).
//!
//! # Older kernels: best-effort mode
//!
//! [`set_off_best_effort`] (or [`Restriction::best_effort`]) uses
//! `PR_SET_NETWORK` when the kernel has it and otherwise falls back to a
//! seccomp filter and Landlock, reporting
//! [`Enforcement::PartiallyEnforced`] with what is and is not covered.
//! The `landlock` cargo feature (default) enables the Landlock part.
//!
//! # Privileges
//!
//! The kernel requires `no_new_privs` or `CAP_SYS_ADMIN`, as for seccomp
//! and Landlock; [`set_off`] sets `no_new_privs` first. See
//! [`Restriction::no_new_privs`].
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod error;
mod fallback;
mod landlock_fallback;
mod observe;
mod restriction;
mod seccomp;
mod state;
mod status;
mod support;
mod threads;

pub use error::Error;
pub use observe::{observe, Observed};
pub use restriction::{set_off, set_off_best_effort, Restriction};
pub use state::NetworkState;
pub use status::{Enforcement, Fallback, Status};
pub use support::{get, is_supported, probe, Support, UnknownReason};
pub use threads::{thread_count, ThreadScope};

/// The README's examples, compiled as doctests (warnings denied).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
