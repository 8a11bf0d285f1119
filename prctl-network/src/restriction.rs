//! [`Restriction`] builder and the [`set_off`] shortcut.

use nix::errno::Errno;
use nix::sys::prctl;
use prctl_network_sys::{set_network, NetworkFlags, SetOptions};

use crate::error::Error;
use crate::fallback;
use crate::state::NetworkState;
#[cfg(doc)]
use crate::status::Fallback;
use crate::status::{Enforcement, Status};
use crate::support::{probe, Support, UnknownReason};
use crate::threads::{thread_count, ThreadScope};

/// Turns the process's network off: sets `no_new_privs`, then
/// `PR_SET_NETWORK(PR_NETWORK_OFF, PR_NETWORK_TSYNC)`. Same as
/// `Restriction::new().restrict()`.
///
/// Afterwards every thread of the process, and every thread and process
/// they create later, can no longer create sockets other than `AF_UNIX`,
/// nor bind, connect or send to non-`AF_UNIX` or abstract `AF_UNIX`
/// addresses. Already connected sockets and filesystem `AF_UNIX` sockets
/// keep working. This cannot be undone.
///
/// Fails without changing anything when the kernel lacks the series
/// ([`Error::Unsupported`]): see [`Restriction`] for the options.
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let status = prctl_network::set_off()?;
///     assert!(status.is_complete());
///     // From here on, only AF_UNIX sockets can be created.
///     assert!(std::net::TcpStream::connect("127.0.0.1:80").is_err());
///     Ok(())
/// }
/// ```
pub fn set_off() -> Result<Status, Error> {
    Restriction::new().restrict()
}

/// Like [`set_off`], but on a kernel without `PR_SET_NETWORK` falls back
/// to seccomp and Landlock instead of failing. Same as
/// `Restriction::new().best_effort(true).restrict()`.
///
/// Check [`Status::enforcement`]: the fallback is never full, and may be
/// [`Enforcement::NotEnforced`]. See [`Restriction::best_effort`].
///
/// ```no_run
/// use prctl_network::Enforcement;
///
/// let status = prctl_network::set_off_best_effort()?;
/// match &status.enforcement {
///     Enforcement::FullyEnforced => {}
///     Enforcement::PartiallyEnforced(fallback) => eprintln!("warning: {fallback}"),
///     Enforcement::NotEnforced => panic!("no network restriction possible"),
///     _ => unreachable!(),
/// }
/// # Ok::<(), prctl_network::Error>(())
/// ```
pub fn set_off_best_effort() -> Result<Status, Error> {
    Restriction::new().best_effort(true).restrict()
}

/// Builder for turning the network off, with options.
///
/// Defaults ([`Restriction::new`]):
///
/// * **`no_new_privs(true)`**: the kernel only lets a thread restrict
///   itself if it has `no_new_privs` set or `CAP_SYS_ADMIN` in its user
///   namespace, exactly as for seccomp filters and Landlock; otherwise it
///   answers `EACCES` ([`Error::NoNewPrivsRequired`]). The reason is that a
///   restriction kept across `execve()` of a setuid program could make that
///   program fail in ways an attacker controls. Setting `no_new_privs`
///   (which itself is irrevocable and inherited) is what unprivileged
///   callers need; a `CAP_SYS_ADMIN` caller that must still run setuid
///   programs can opt out with `no_new_privs(false)`.
/// * **`all_threads(true)`**: the restriction lives in each thread's
///   credentials. With `PR_NETWORK_TSYNC` the kernel gives it to every
///   thread of the process (and `no_new_privs` with it, as seccomp's TSYNC
///   does), so [`Status::threads`] is [`ThreadScope::WholeProcess`]. With
///   `all_threads(false)` only the calling thread (and what it creates
///   later) is restricted, and the next rule applies.
/// * **`require_single_thread(true)`**: when the restriction would cover
///   only the calling thread (`all_threads(false)`), a restriction that
///   silently leaves another thread with full network access is a trap.
///   So [`restrict`](Restriction::restrict) counts the threads in
///   `/proc/self/task` and fails with [`Error::MultiThreaded`] *before
///   changing anything* if there is more than one, or with
///   [`Error::ThreadsUnknown`] if `/proc` is unavailable (fail closed).
///   With `require_single_thread(false)` it goes ahead and reports the
///   situation in [`Status::threads`]. In best-effort mode with
///   `all_threads(true)` the seccomp filter covers every thread, so other
///   threads are not refused; a Landlock domain that covers the calling
///   thread only (Landlock ABI < 8) is named in the [`Fallback`] report
///   (see [`Fallback::landlock_threads`]).
///
/// The order is: probe the kernel (`PR_GET_NETWORK`), check the threads
/// (when needed), set `no_new_privs`, set the restriction. So on an
/// unsupported kernel or a refused multi-threaded process nothing, not even
/// `no_new_privs`, is changed.
///
/// ```no_run
/// use prctl_network::{Restriction, ThreadScope};
///
/// // A CAP_SYS_ADMIN supervisor that must keep setuid programs working,
/// // and accepts that a helper thread keeps its network access.
/// let status = Restriction::new()
///     .no_new_privs(false)
///     .all_threads(false)
///     .require_single_thread(false)
///     .restrict()?;
/// if let ThreadScope::ThisThreadOnly { other_threads } = status.threads {
///     eprintln!("{other_threads} thread(s) keep network access");
/// }
/// # Ok::<(), prctl_network::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a Restriction does nothing until restrict() is called"]
pub struct Restriction {
    no_new_privs: bool,
    all_threads: bool,
    require_single_thread: bool,
    best_effort: bool,
}

impl Default for Restriction {
    fn default() -> Self {
        Self::new()
    }
}

impl Restriction {
    /// The defaults: set `no_new_privs`, all threads, require a single
    /// thread where only the calling one can be covered, strict (not
    /// best-effort).
    ///
    /// ```
    /// let r = prctl_network::Restriction::new();
    /// assert_eq!(r, prctl_network::Restriction::default());
    /// ```
    pub fn new() -> Self {
        Restriction {
            no_new_privs: true,
            all_threads: true,
            require_single_thread: true,
            best_effort: false,
        }
    }

    /// Whether to set `no_new_privs` before restricting (default `true`).
    /// Without it the caller needs `CAP_SYS_ADMIN`, or `no_new_privs`
    /// already set, else [`Error::NoNewPrivsRequired`].
    ///
    /// ```
    /// let r = prctl_network::Restriction::new().no_new_privs(false);
    /// # let _ = r;
    /// ```
    pub fn no_new_privs(mut self, set: bool) -> Self {
        self.no_new_privs = set;
        self
    }

    /// Whether to restrict every thread of the process with
    /// `PR_NETWORK_TSYNC` (default `true`), or only the calling thread.
    ///
    /// The kernel has every sibling take the restriction before it next
    /// returns to user space. It returns once no thread can run user code
    /// without it: every sibling has taken it, or waits in `vfork()` and
    /// takes it before it resumes (a sibling that is stopped, traced or in
    /// another uninterruptible sleep delays the call). A sibling's
    /// interruptible wait is cut short as by a signal without a handler:
    /// `read()` or a blocking `connect()` is restarted (the connect then
    /// fails with `EPERM`), `epoll_wait()` fails with `EINTR`; a system
    /// call that does not wait interruptibly completes unrestricted. See
    /// "Threads" in `Documentation/userspace-api/prctl-network.rst`.
    /// Without this option, a restricted thread beside unrestricted ones
    /// is no boundary: they share its memory.
    ///
    /// ```
    /// let r = prctl_network::Restriction::new().all_threads(false);
    /// # let _ = r;
    /// ```
    pub fn all_threads(mut self, all: bool) -> Self {
        self.all_threads = all;
        self
    }

    /// Whether to fail with [`Error::MultiThreaded`] when other threads
    /// exist and the restriction would cover only the calling thread
    /// (default `true`). That is only the case with
    /// [`all_threads(false)`](Restriction::all_threads), in strict and in
    /// best-effort mode alike; with `all_threads(true)` (the default)
    /// `PR_NETWORK_TSYNC`, or in best-effort mode seccomp's TSYNC, covers
    /// every thread and this setting is not consulted. With `false`, the
    /// restriction is applied to the calling thread anyway and
    /// [`Status::threads`] reports it.
    ///
    /// ```
    /// let r = prctl_network::Restriction::new().require_single_thread(false);
    /// # let _ = r;
    /// ```
    pub fn require_single_thread(mut self, require: bool) -> Self {
        self.require_single_thread = require;
        self
    }

    /// Whether to fall back to weaker mechanisms when the kernel lacks
    /// `PR_SET_NETWORK` (default `false`: fail with
    /// [`Error::Unsupported`]).
    ///
    /// When the kernel has it, best-effort mode uses it exactly like strict
    /// mode ([`Enforcement::FullyEnforced`]). Otherwise it installs:
    ///
    /// * a seccomp filter making `socket()` / `socketpair()` fail with
    ///   `EPERM` for every family but `AF_UNIX`; `io_uring_setup()`,
    ///   `io_uring_enter()` and `io_uring_register()` (io_uring can create
    ///   sockets on its own), `ptrace()`, `process_vm_readv()`/`writev()`
    ///   and `pidfd_getfd()` fail with `EPERM`; a system call of a foreign
    ///   ABI (i386 on x86_64, arm32 on arm64) kills the process, since the
    ///   filter cannot recognise socket calls there. With
    ///   [`all_threads(true)`](Restriction::all_threads) it is put on every
    ///   thread (`SECCOMP_FILTER_FLAG_TSYNC`);
    /// * a Landlock domain wherever the kernel has Landlock (any ABI, Linux
    ///   5.13): it keeps the process from tracing processes outside it,
    ///   `/proc/PID/mem` included; it denies TCP `bind()`/`connect()` with
    ///   `EACCES` (Landlock ABI ≥ 4, Linux 6.7) and scopes abstract
    ///   `AF_UNIX` sockets (ABI ≥ 6, Linux 6.12), and covers every thread
    ///   (ABI ≥ 8), as far as the running kernel has them. On
    ///   Landlock ABI 1 (Linux 5.13–5.18) the domain also makes renaming or
    ///   linking a file into another directory fail with `EXDEV` (the
    ///   kernel's rule for that ABI); nothing else on the filesystem
    ///   changes. A process inside 16 nested domains gets
    ///   [`Error::LandlockNestingLimit`];
    ///
    /// and reports [`Enforcement::PartiallyEnforced`] with what is in place
    /// (or [`Enforcement::NotEnforced`] if nothing could be). This is never
    /// reported as full: seccomp cannot see the addresses used with
    /// sockets inherited from before, so e.g. `sendto()` on an inherited
    /// UDP socket still reaches the network.
    ///
    /// ```no_run
    /// let status = prctl_network::Restriction::new().best_effort(true).restrict()?;
    /// if !status.is_complete() {
    ///     eprintln!("warning: {status}");
    /// }
    /// # Ok::<(), prctl_network::Error>(())
    /// ```
    pub fn best_effort(mut self, best_effort: bool) -> Self {
        self.best_effort = best_effort;
        self
    }

    /// Applies the restriction: to every thread of the process, or to the
    /// calling thread (see [`all_threads`](Restriction::all_threads)).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] (kernel lacks the series; not in best-effort
    /// mode),
    /// [`Error::MultiThreaded`] (only with `all_threads(false)`),
    /// [`Error::NoNewPrivsRequired`] (with
    /// `no_new_privs(false)` and no `CAP_SYS_ADMIN`), [`Error::Os`] (e.g.
    /// `ENOMEM`). The first two leave the process unchanged.
    ///
    /// ```no_run
    /// let status = prctl_network::Restriction::new().restrict()?;
    /// println!("{status}");
    /// # Ok::<(), prctl_network::Error>(())
    /// ```
    pub fn restrict(&self) -> Result<Status, Error> {
        let current = match probe() {
            Support::Available { state } => state,
            Support::Missing
            | Support::Unknown {
                error: UnknownReason::Errno(_),
            } if self.best_effort => return self.restrict_fallback(),
            Support::Missing => return Err(Error::Unsupported),
            Support::Unknown {
                error: UnknownReason::Errno(errno),
            } => return Err(Error::from_get_errno(errno)),
        };
        // Flags a newer kernel reported and this crate does not know are
        // passed back as they are: the kernel accepts its own bits, and
        // dropping one would be refused (EPERM).
        let wanted = NetworkFlags::from_bits(current.union(NetworkState::OFF).bits());
        if self.all_threads {
            if self.no_new_privs {
                set_no_new_privs()?;
            }
            if set_network(wanted, SetOptions::TSYNC) != 0 {
                return Err(Error::from_prctl_errno(
                    "prctl(PR_SET_NETWORK, PR_NETWORK_TSYNC)",
                    Errno::last_raw(),
                ));
            }
            return Ok(Status {
                enforcement: Enforcement::FullyEnforced,
                threads: ThreadScope::WholeProcess,
                no_new_privs: no_new_privs_is_set(),
            });
        }
        let before = self.check_threads()?;
        if self.no_new_privs {
            set_no_new_privs()?;
        }
        if set_network(wanted, SetOptions::NONE) != 0 {
            return Err(Error::from_prctl_errno(
                "prctl(PR_SET_NETWORK)",
                Errno::last_raw(),
            ));
        }
        Ok(Status {
            enforcement: Enforcement::FullyEnforced,
            threads: scope_after(before),
            no_new_privs: no_new_privs_is_set(),
        })
    }

    /// Best-effort mode on a kernel without `PR_SET_NETWORK`. With
    /// `all_threads` the seccomp filter covers every thread (TSYNC), so
    /// other threads are no reason to refuse; a Landlock domain that
    /// cannot cover them (ABI < 8) is reported per mechanism.
    fn restrict_fallback(&self) -> Result<Status, Error> {
        let before = if self.all_threads {
            thread_count()
        } else {
            self.check_threads()?
        };
        if self.no_new_privs {
            set_no_new_privs()?;
        }
        let enforcement = fallback::apply(self.all_threads, || scope_after(before))?;
        let threads = match &enforcement {
            Enforcement::PartiallyEnforced(fb) => fb.threads(),
            _ => scope_after(before),
        };
        Ok(Status {
            enforcement,
            threads,
            no_new_privs: no_new_privs_is_set(),
        })
    }

    /// Counts threads; fails if more than one, or if they cannot be
    /// counted, and that is not allowed.
    fn check_threads(&self) -> Result<Option<usize>, Error> {
        check_thread_count(thread_count(), self.require_single_thread)
    }
}

/// Where only the calling thread can be restricted: `threads` (None: not
/// countable) is fine if it is one, or if the caller accepts more.
fn check_thread_count(
    threads: Option<usize>,
    require_single: bool,
) -> Result<Option<usize>, Error> {
    match threads {
        Some(n) if n > 1 && require_single => Err(Error::MultiThreaded { threads: n }),
        None if require_single => Err(Error::ThreadsUnknown),
        _ => Ok(threads),
    }
}

/// The thread scope, counting again after the change: a thread created by
/// a concurrent `pthread_create()` between the check and the prctl is not
/// covered, and must be reported.
fn scope_after(before: Option<usize>) -> ThreadScope {
    let after = thread_count();
    let n = match (before, after) {
        (Some(b), Some(a)) => Some(b.max(a)),
        (b, a) => b.or(a),
    };
    ThreadScope::from_count(n)
}

fn set_no_new_privs() -> Result<(), Error> {
    prctl::set_no_new_privs().map_err(|errno| Error::Os {
        operation: "prctl(PR_SET_NO_NEW_PRIVS)",
        errno: errno as i32,
    })
}

fn no_new_privs_is_set() -> bool {
    prctl::get_no_new_privs().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_check_fails_closed() {
        assert_eq!(check_thread_count(Some(1), true), Ok(Some(1)));
        assert_eq!(
            check_thread_count(Some(3), true),
            Err(Error::MultiThreaded { threads: 3 })
        );
        assert_eq!(check_thread_count(None, true), Err(Error::ThreadsUnknown));
        assert_eq!(check_thread_count(None, false), Ok(None));
        assert_eq!(check_thread_count(Some(3), false), Ok(Some(3)));
    }
}
