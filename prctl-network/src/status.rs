//! [`Status`]: what a successful restriction actually covers.

use std::fmt;

use crate::ThreadScope;

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
    /// # fn f(status: Status) {
    /// if !status.is_complete() {
    ///     eprintln!("warning: network restriction incomplete: {status}");
    /// }
    /// # }
    /// ```
    pub fn is_complete(&self) -> bool {
        self.enforcement == Enforcement::FullyEnforced && self.threads.is_whole_process()
    }
}

/// A one-line, human-readable summary.
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.enforcement)?;
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
/// Even with every part in place the fallback is weaker than the prctl:
/// descriptors inherited from before (or passed over `AF_UNIX` later) can
/// still `sendto()` any address, be redirected by socket options and
/// control messages, autobind with `listen()` and join multicast groups;
/// UDP `bind()`/`connect()` is not checked; raw, packet and netlink
/// sockets can still send; TUN/TAP devices and `TIOCSTI` stay available;
/// binding abstract `AF_UNIX` names stays possible. Its `Display`
/// output names each of these as not enforced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Fallback {
    /// A seccomp filter makes `socket()` and `socketpair()` fail with
    /// `EPERM` for every family but `AF_UNIX`, and `io_uring_setup()`
    /// fail with `EPERM` (io_uring can create sockets without those
    /// calls), and `ptrace()`, `process_vm_readv()`/`writev()` and
    /// `pidfd_getfd()` too, whatever the target (another process's network
    /// access is not to be borrowed).
    pub seccomp_socket_filter: bool,
    /// Landlock (ABI ≥ 4) denies TCP `bind()` and `connect()` on every
    /// socket, inherited ones included.
    pub landlock_tcp: bool,
    /// Landlock (ABI ≥ 6) denies connecting to abstract `AF_UNIX` sockets
    /// created outside the restricted process tree.
    pub landlock_abstract_unix: bool,
    /// The running kernel's Landlock ABI version (0: no Landlock).
    pub landlock_abi: i32,
    /// io_uring rings the process held when the fallback was applied
    /// (`None`: `/proc/self/fd` could not be read). The seccomp filter
    /// stops new rings only: these can still create sockets
    /// (`IORING_OP_SOCKET`), and are named as not enforced.
    pub io_uring_rings_before: Option<usize>,
}

impl Fallback {
    /// Whether any part of the fallback is in place.
    ///
    /// ```
    /// assert!(!prctl_network::Fallback::default().any());
    /// ```
    pub fn any(&self) -> bool {
        self.seccomp_socket_filter || self.landlock_tcp || self.landlock_abstract_unix
    }
}

/// Lists what is and what is not enforced.
impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut on = Vec::new();
        let mut off: Vec<std::borrow::Cow<'static, str>> = vec![
            "sendto() addresses on inherited sockets".into(),
            "UDP, packet and netlink bind/connect on inherited sockets".into(),
            "binding abstract unix names".into(),
            "redirecting inherited sockets (source routes, IPv6 routing headers, \
             interface and fwmark options or control messages)"
                .into(),
            "sends on inherited raw, packet and netlink sockets".into(),
            "listen() autobind and multicast joins on inherited sockets".into(),
            "attaching TUN/TAP devices".into(),
            "TIOCSTI/TIOCLINUX input into terminals".into(),
        ];
        // Any Landlock domain keeps the process from tracing processes
        // outside it, /proc/PID/mem included; the seccomp filter denies
        // the tracing system calls, not that open().
        let domain = self.landlock_tcp || self.landlock_abstract_unix;
        match (self.seccomp_socket_filter, domain) {
            (_, true) => {}
            (true, false) => off.push("writing /proc/PID/mem of processes outside".into()),
            (false, false) => off.push(
                "tracing processes outside (ptrace, /proc/PID/mem, process_vm_writev, pidfd_getfd)"
                    .into(),
            ),
        }
        if self.seccomp_socket_filter {
            on.push("new non-unix sockets and io_uring rings denied (seccomp)");
            on.push("ptrace, process_vm_readv/writev and pidfd_getfd denied (seccomp)");
        } else {
            off.push("creating non-unix sockets".into());
        }
        if self.landlock_tcp {
            on.push("TCP bind/connect denied (Landlock, with EACCES)");
            off.push("TCP fast open (sendto with MSG_FASTOPEN) on inherited sockets".into());
        } else {
            off.push("TCP bind/connect on inherited sockets".into());
        }
        if self.landlock_abstract_unix {
            on.push("connecting to outside abstract unix sockets denied (Landlock)");
        } else {
            off.push("connecting to abstract unix sockets".into());
        }
        match self.io_uring_rings_before {
            Some(0) => {}
            Some(n) => off.push(
                format!("sockets made through the {n} io_uring ring(s) opened before").into(),
            ),
            None => off.push(
                "sockets made through io_uring rings opened before (they could not be counted)"
                    .into(),
            ),
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
