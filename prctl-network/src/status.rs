//! [`Status`]: what a successful restriction actually covers.

use std::fmt;

use crate::threads::ThreadScope;

/// The outcome of a successful [`Restriction::restrict`](crate::Restriction::restrict)
/// or [`set_off`](crate::set_off).
///
/// A restriction can succeed and still not cover everything: other threads
/// may have existed ([`Status::threads`]), or best-effort mode may have had
/// to fall back to weaker mechanisms ([`Status::enforcement`]). Check
/// [`Status::is_complete`], or look at both fields.
///
/// ```no_run
/// let status = prctl_network::set_off()?;
/// assert!(status.is_complete());
/// # Ok::<(), prctl_network::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "the restriction may cover only this thread or be partial: check Status::is_complete()"]
#[non_exhaustive]
pub struct Status {
    /// Which mechanism enforces the restriction, and how completely.
    pub enforcement: Enforcement,
    /// Which threads of the process are covered.
    pub threads: ThreadScope,
    /// Whether `no_new_privs` is set on the calling thread afterwards.
    pub no_new_privs: bool,
}

impl Status {
    /// `true` when the kernel's `PR_SET_NETWORK` enforces the restriction
    /// and every thread of the process is covered.
    ///
    /// ```
    /// use prctl_network::Status;
    ///
    /// fn warn_if_incomplete(status: &Status) {
    ///     if !status.is_complete() {
    ///         eprintln!("warning: network restriction incomplete: {status}");
    ///     }
    /// }
    /// # let _ = warn_if_incomplete;
    /// ```
    pub fn is_complete(&self) -> bool {
        self.enforcement == Enforcement::FullyEnforced && self.threads.is_whole_process()
    }
}

/// A one-line, human-readable summary.
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.enforcement)?;
        if matches!(self.enforcement, Enforcement::PartiallyEnforced(_)) {
            // The fallback names the threads of each mechanism itself.
            return Ok(());
        }
        match self.threads {
            ThreadScope::WholeProcess => {}
            ThreadScope::ThisThreadOnly { other_threads } => write!(
                f,
                "; only the calling thread is covered, {other_threads} other thread(s) are not"
            )?,
            ThreadScope::Unknown => {
                f.write_str("; other threads may exist and not be covered (/proc unavailable)")?
            }
        }
        Ok(())
    }
}

/// How completely the restriction is enforced, in the style of
/// rust-landlock's `RulesetStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Enforcement {
    /// The kernel's `PR_SET_NETWORK` is in force: every rule of the
    /// prctl-network semantics applies.
    FullyEnforced,
    /// Best-effort mode on a kernel without `PR_SET_NETWORK`: weaker
    /// mechanisms (seccomp, Landlock) enforce part of it. Never full:
    /// seccomp cannot see the addresses used on inherited sockets.
    PartiallyEnforced(Fallback),
    /// Best-effort mode found no mechanism at all: nothing is restricted.
    NotEnforced,
}

/// A one-line, human-readable summary.
impl fmt::Display for Enforcement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Enforcement::FullyEnforced => f.write_str("fully enforced by PR_SET_NETWORK"),
            Enforcement::PartiallyEnforced(fb) => write!(f, "partially enforced: {fb}"),
            Enforcement::NotEnforced => f.write_str("not enforced: no mechanism available"),
        }
    }
}

/// What the best-effort fallback put in place when the kernel lacks
/// `PR_SET_NETWORK`.
///
/// Each mechanism covers every thread where the kernel can: the seccomp
/// filter with `SECCOMP_FILTER_FLAG_TSYNC`, the Landlock domain with
/// `LANDLOCK_RESTRICT_SELF_TSYNC` (Landlock ABI ≥ 8); the two
/// scopes are reported apart, and [`Status::threads`](crate::Status::threads)
/// is the narrower of them.
///
/// Errno of each denial: the seccomp filter answers `EPERM`; Landlock
/// answers `EACCES` for TCP `bind()`/`connect()` (`EPERM` under the
/// kernel series) and `EPERM` for `ptrace()`, `/proc/PID/mem` and
/// abstract `AF_UNIX` `connect()`.
///
/// Even with every part in place the fallback is weaker than the prctl:
/// descriptors inherited from before (or passed over `AF_UNIX` later) can
/// still `sendto()` any address, be redirected by socket options and
/// control messages, autobind with `listen()` and join multicast groups;
/// UDP `bind()`/`connect()` is not checked; raw, packet and netlink
/// sockets can still send; TUN/TAP devices and `TIOCSTI` stay available;
/// binding abstract `AF_UNIX` names stays possible. Its `Display`
/// output names each of these as not enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fallback {
    /// A seccomp filter makes `socket()` and `socketpair()` fail with
    /// `EPERM` for every family but `AF_UNIX`, and `io_uring_setup()`,
    /// `io_uring_enter()` and `io_uring_register()` fail with `EPERM`
    /// (io_uring can create sockets without those calls), and `ptrace()`, `process_vm_readv()`/`writev()` and
    /// `pidfd_getfd()` too, whatever the target (another process's network
    /// access is not to be borrowed).
    pub seccomp_socket_filter: bool,
    /// Landlock (ABI ≥ 4) denies TCP `bind()` and `connect()` on every
    /// socket, inherited ones included.
    pub landlock_tcp: bool,
    /// Landlock (ABI ≥ 6) denies connecting to abstract `AF_UNIX` sockets
    /// created outside the restricted process tree.
    pub landlock_abstract_unix: bool,
    /// A Landlock domain is in force (any Landlock ABI): the process can no
    /// longer trace processes outside it (`ptrace()`, opening
    /// `/proc/PID/mem`, `process_vm_writev()`, `pidfd_getfd()` are denied
    /// with `EPERM`), whatever else the ABI offers.
    pub landlock_domain: bool,
    /// The running kernel's Landlock ABI version (0: no Landlock).
    pub landlock_abi: i32,
    /// Threads the seccomp filter covers.
    pub seccomp_threads: ThreadScope,
    /// Threads the Landlock domain covers: before Landlock ABI 8 only the
    /// calling thread (and what it starts later). Without a domain, no
    /// thread is left out of it: [`ThreadScope::WholeProcess`].
    pub landlock_threads: ThreadScope,
    /// The process ran as uid 0 (effective) when the fallback was applied:
    /// without a capability it can still write `/proc/sys` and point
    /// `kernel.core_pattern` or `kernel.modprobe` at a program the kernel
    /// starts unrestricted. Named as not enforced; run as another user.
    pub uid0: bool,
    /// io_uring rings the process held when the fallback was applied
    /// (`None`: `/proc/self/fd` could not be read). The seccomp filter
    /// denies `io_uring_enter()`, so they no longer take submissions, but
    /// the kernel thread of a ring set up with `IORING_SETUP_SQPOLL`
    /// submits without that call while it is awake: such rings, opened
    /// before or received later over a unix socket, are named as not
    /// enforced.
    pub io_uring_rings_before: Option<usize>,
}

impl Fallback {
    /// Whether any part of the fallback is in place.
    ///
    /// ```
    /// assert!(!prctl_network::Fallback::default().any());
    /// ```
    pub fn any(&self) -> bool {
        self.seccomp_socket_filter
            || self.landlock_domain
            || self.landlock_tcp
            || self.landlock_abstract_unix
    }

    /// The threads every mechanism in force covers: the narrower of
    /// [`seccomp_threads`](Fallback::seccomp_threads) and
    /// [`landlock_threads`](Fallback::landlock_threads).
    ///
    /// ```
    /// use prctl_network::{Fallback, ThreadScope};
    ///
    /// let mut fb = Fallback::default();
    /// fb.seccomp_socket_filter = true;
    /// fb.landlock_domain = true;
    /// fb.landlock_threads = ThreadScope::ThisThreadOnly { other_threads: 3 };
    /// assert_eq!(fb.threads(), ThreadScope::ThisThreadOnly { other_threads: 3 });
    /// ```
    pub fn threads(&self) -> ThreadScope {
        let mut scope = ThreadScope::WholeProcess;
        for (in_force, s) in [
            (self.seccomp_socket_filter, self.seccomp_threads),
            (self.landlock_domain, self.landlock_threads),
        ] {
            if in_force && scope.is_whole_process() {
                scope = s;
            }
        }
        scope
    }
}

/// Nothing in force, every scope the whole process.
impl Default for Fallback {
    fn default() -> Self {
        Fallback {
            seccomp_socket_filter: false,
            landlock_tcp: false,
            landlock_abstract_unix: false,
            landlock_domain: false,
            landlock_abi: 0,
            seccomp_threads: ThreadScope::WholeProcess,
            landlock_threads: ThreadScope::WholeProcess,
            uid0: false,
            io_uring_rings_before: None,
        }
    }
}

/// The words for the threads a mechanism leaves out (`None`: all covered).
fn left_out(scope: ThreadScope) -> Option<String> {
    match scope {
        ThreadScope::WholeProcess => None,
        ThreadScope::ThisThreadOnly { other_threads } => {
            Some(format!("in the {other_threads} other thread(s)"))
        }
        ThreadScope::Unknown => Some("in other threads, if any (/proc unavailable)".into()),
    }
}

/// Lists what is and what is not enforced, and which threads each
/// mechanism leaves out.
impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut on = Vec::new();
        let mut off: Vec<std::borrow::Cow<'static, str>> = vec![
            "sendto() addresses on inherited sockets".into(),
            "bind/connect on inherited sockets that are not plain TCP (UDP, MPTCP, SCTP, \
             ICMP, vsock, packet, netlink)"
                .into(),
            "binding abstract unix names".into(),
            "redirecting inherited sockets (source routes, IPv6 routing headers, \
             interface and fwmark options or control messages)"
                .into(),
            "sends on inherited raw, packet and netlink sockets".into(),
            "listen() autobind and multicast joins on inherited sockets".into(),
            "attaching TUN/TAP devices".into(),
            "TIOCSTI/TIOCLINUX input into terminals".into(),
            "new peers accepted on inherited listening sockets (as under PR_SET_NETWORK)".into(),
        ];
        if self.uid0 {
            off.push(
                "as uid 0, even without capabilities: kernel helpers set through /proc/sys \
                 (core_pattern, modprobe), which run unrestricted"
                    .into(),
            );
        }
        // Any Landlock domain keeps the process from tracing processes
        // outside it, /proc/PID/mem included; the seccomp filter denies
        // the tracing system calls, not that open().
        let domain = self.landlock_domain;
        match (self.seccomp_socket_filter, domain) {
            (_, true) => {}
            (true, false) => off.push("writing /proc/PID/mem of processes outside".into()),
            (false, false) => off.push(
                "tracing processes outside (ptrace, /proc/PID/mem, process_vm_writev, pidfd_getfd)"
                    .into(),
            ),
        }
        if self.seccomp_socket_filter {
            on.push("socket()/socketpair() of non-unix families and io_uring system calls denied (seccomp)");
            on.push("ptrace, process_vm_readv/writev and pidfd_getfd denied (seccomp)");
            on.push("request_key() denied: no key upcall such as a dns_resolver lookup (seccomp)");
            if let Some(which) = left_out(self.seccomp_threads) {
                off.push(format!("everything the seccomp filter denies, {which}").into());
            }
        } else {
            off.push("creating non-unix sockets".into());
        }
        if self.landlock_tcp {
            on.push("plain TCP bind/connect denied (Landlock, with EACCES)");
            off.push("TCP fast open (sendto with MSG_FASTOPEN) on inherited sockets".into());
        } else {
            off.push("plain TCP bind/connect on inherited sockets".into());
        }
        if self.landlock_abstract_unix {
            on.push("connecting to outside abstract unix sockets denied (Landlock)");
        } else {
            off.push("connecting to abstract unix sockets".into());
        }
        if domain {
            on.push("tracing processes outside and opening their /proc/PID/mem denied (Landlock)");
            if let Some(which) = left_out(self.landlock_threads) {
                off.push(
                    format!(
                        "what Landlock denies, {which} (Landlock ABI {} covers the calling \
                         thread only; ABI 8 covers all)",
                        self.landlock_abi
                    )
                    .into(),
                );
            }
        }
        // io_uring_enter() is denied, so a ring opened before (or received
        // later) no longer submits; an SQPOLL ring's kernel thread does,
        // while it is awake.
        let sqpoll = "sockets made through an SQPOLL io_uring ring received later";
        match self.io_uring_rings_before {
            Some(0) => off.push(sqpoll.into()),
            Some(n) => off.push(format!("{sqpoll} or among the {n} ring(s) opened before").into()),
            None => {
                off.push(format!("{sqpoll} or opened before (rings could not be counted)").into())
            }
        }
        write!(
            f,
            "in force: {}; NOT enforced: {}",
            if on.is_empty() {
                "nothing".to_string()
            } else {
                on.join(", ")
            },
            off.join(", ")
        )
    }
}
