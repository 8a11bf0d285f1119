//! The [`Error`] type and the mapping from `prctl()` errno values.

use std::fmt;
use std::io;

use libc::c_ulong;

/// Why a network restriction could not be read or applied.
///
/// Every message tells what to do about it. Errors that come from a system
/// call keep their errno: see [`Error::raw_os_error`] and the conversion
/// into [`std::io::Error`].
///
/// ```
/// use prctl_network::Error;
///
/// let e = Error::Unsupported;
/// assert!(e.to_string().contains("CONFIG_LSM"));
/// assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
/// let io: std::io::Error = e.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::Unsupported);
/// assert!(io.to_string().starts_with("kernel lacks PR_SET_NETWORK"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The running kernel does not know `PR_SET_NETWORK` / `PR_GET_NETWORK`
    /// (`prctl()` answered `EINVAL`).
    ///
    /// On a patched kernel `EINVAL` can also mean bad arguments, but this
    /// crate only ever passes valid ones, so `EINVAL` means the option
    /// itself is unknown: the series is missing, or the `prctl_network`
    /// LSM is not enabled (it must be listed in `CONFIG_LSM` or `lsm=`).
    Unsupported,
    /// The kernel refused with `EPERM`: a restriction that is in force can
    /// never be lifted.
    NotPermitted,
    /// The kernel refused with `EACCES`: the caller has neither
    /// `no_new_privs` nor `CAP_SYS_ADMIN` (the same rule as for seccomp
    /// filters and Landlock).
    NoNewPrivsRequired,
    /// A flags word given to [`NetworkState::from_bits`] has bits this
    /// crate does not know. (What the kernel reports is never refused for
    /// that: see [`NetworkState::unknown_bits`].)
    ///
    /// [`NetworkState::from_bits`]: crate::NetworkState::from_bits
    /// [`NetworkState::unknown_bits`]: crate::NetworkState::unknown_bits
    InvalidFlags {
        /// The flags word as received.
        bits: c_ulong,
    },
    /// The process has more than one thread and the restriction would only
    /// cover the calling thread, as [`Restriction::all_threads`]`(false)`
    /// asks (in strict or best-effort mode; with the default
    /// `all_threads(true)` every thread is covered and this is never
    /// returned). Nothing was changed.
    ///
    /// [`Restriction::all_threads`]: crate::Restriction::all_threads
    MultiThreaded {
        /// Number of threads in the process (including the caller).
        threads: usize,
    },
    /// The restriction would only cover the calling thread
    /// ([`Restriction::all_threads`]`(false)`) and the process's threads
    /// cannot be counted (`/proc/self/task` is not
    /// readable, e.g. `/proc` is not mounted): other threads may exist.
    /// Nothing was changed; fails closed unless
    /// [`Restriction::require_single_thread`]`(false)` accepts it.
    ///
    /// [`Restriction::all_threads`]: crate::Restriction::all_threads
    /// [`Restriction::require_single_thread`]: crate::Restriction::require_single_thread
    ThreadsUnknown,
    /// Best-effort mode with [`Restriction::all_threads`]`(true)`: the
    /// seccomp filter could not be put on every thread at once
    /// (`SECCOMP_FILTER_FLAG_TSYNC`), because another thread has seccomp
    /// filters the calling thread lacks. Nothing was installed (the
    /// kernel's TSYNC is all or nothing), but `no_new_privs` may be set.
    ///
    /// [`Restriction::all_threads`]: crate::Restriction::all_threads
    SeccompThreadsDiffer {
        /// The thread in the way, where the kernel names it (before Linux
        /// 5.7); `None` when it answered `ESRCH` instead.
        thread: Option<libc::pid_t>,
    },
    /// Best-effort mode: the process is already inside as many nested
    /// Landlock domains as the kernel allows (16), e.g. `nonet
    /// --best-effort` run inside itself 16 times; `landlock_restrict_self()`
    /// answered `E2BIG`. Nothing of Landlock's part was added; the seccomp
    /// filter is in place.
    LandlockNestingLimit,
    /// Any other failure of a system call.
    Os {
        /// The call that failed, e.g. `"prctl(PR_SET_NO_NEW_PRIVS)"`.
        operation: &'static str,
        /// The errno it returned.
        errno: i32,
    },
}

impl Error {
    /// Maps the errno of a failed `PR_SET_NETWORK` / `PR_GET_NETWORK` call.
    ///
    /// `EINVAL` ⇒ [`Error::Unsupported`] (this crate never passes invalid
    /// arguments, so the option itself must be unknown), `EPERM` ⇒
    /// [`Error::NotPermitted`], `EACCES` ⇒ [`Error::NoNewPrivsRequired`],
    /// anything else ⇒ [`Error::Os`] with the errno kept.
    pub(crate) fn from_prctl_errno(operation: &'static str, errno: i32) -> Self {
        match errno {
            libc::EINVAL => Error::Unsupported,
            libc::EPERM => Error::NotPermitted,
            libc::EACCES => Error::NoNewPrivsRequired,
            errno => Error::Os { operation, errno },
        }
    }

    /// Maps the errno of a failed `PR_GET_NETWORK`: `EINVAL` ⇒
    /// [`Error::Unsupported`], anything else (e.g. `EPERM` from a seccomp
    /// filter denying `prctl()`) ⇒ [`Error::Os`]. `EPERM` and `EACCES` mean
    /// something else here than for `PR_SET_NETWORK`.
    pub(crate) fn from_get_errno(errno: i32) -> Self {
        match errno {
            libc::EINVAL => Error::Unsupported,
            errno => Error::Os {
                operation: "prctl(PR_GET_NETWORK)",
                errno,
            },
        }
    }

    /// The errno behind this error, if it came from a system call.
    ///
    /// ```
    /// use prctl_network::Error;
    ///
    /// assert_eq!(Error::NotPermitted.raw_os_error(), Some(libc::EPERM));
    /// assert_eq!(Error::MultiThreaded { threads: 2 }.raw_os_error(), None);
    /// ```
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Unsupported => Some(libc::EINVAL),
            Error::NotPermitted => Some(libc::EPERM),
            Error::NoNewPrivsRequired => Some(libc::EACCES),
            Error::Os { errno, .. } => Some(*errno),
            Error::SeccompThreadsDiffer { .. } => Some(libc::ESRCH),
            Error::LandlockNestingLimit => Some(libc::E2BIG),
            Error::InvalidFlags { .. } | Error::MultiThreaded { .. } | Error::ThreadsUnknown => {
                None
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unsupported => f.write_str(
                "kernel lacks PR_SET_NETWORK: the running kernel does not carry the \
                 prctl-network series (it is not in upstream Linux), or its prctl_network \
                 LSM is not enabled (lsm= / CONFIG_LSM); Restriction::best_effort(true) \
                 falls back to seccomp and Landlock",
            ),
            Error::NotPermitted => f.write_str(
                "the network restriction cannot be lifted once set (EPERM); \
                 start the program from an unrestricted parent instead",
            ),
            Error::NoNewPrivsRequired => f.write_str(
                "PR_SET_NETWORK refused (EACCES): set no_new_privs or have CAP_SYS_ADMIN",
            ),
            Error::InvalidFlags { bits } => write!(
                f,
                "unknown network restriction flags {bits:#x} (known: {:#x}); \
                 a newer prctl-network crate may know them",
                prctl_network_sys::PR_NETWORK_ALL_FLAGS
            ),
            Error::MultiThreaded { threads } => write!(
                f,
                "the process has {threads} threads but the network restriction would only \
                 cover the calling thread, as Restriction::all_threads(false) asks: drop \
                 all_threads(false) (every thread is then covered, by PR_NETWORK_TSYNC or in \
                 best-effort mode by seccomp's TSYNC), restrict before starting threads, or \
                 accept it with Restriction::require_single_thread(false)"
            ),
            Error::SeccompThreadsDiffer { thread } => {
                f.write_str(
                    "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC) failed: ",
                )?;
                match thread {
                    Some(tid) => write!(f, "thread {tid}")?,
                    None => f.write_str("another thread")?,
                }
                f.write_str(
                    " has seccomp filters the calling thread lacks, so the best-effort filter \
                     cannot cover every thread: restrict from a thread whose filters the \
                     others share, or before they install their own",
                )
            }
            Error::LandlockNestingLimit => f.write_str(
                "landlock_restrict_self() failed: the process is already inside 16 nested \
                 Landlock domains, the kernel's limit (is nonet --best-effort running inside \
                 itself?); restrict once, further out",
            ),
            Error::ThreadsUnknown => f.write_str(
                "cannot count the process's threads (/proc/self/task is not readable) and \
                 the network restriction would only cover the calling thread: mount /proc, \
                 or accept it with Restriction::require_single_thread(false)",
            ),
            Error::Os { operation, errno } => write!(
                f,
                "{operation} failed: {}",
                io::Error::from_raw_os_error(*errno)
            ),
        }
    }
}

/// The variant's name, then the explanation: `fn main() -> io::Result<()>`
/// prints an error with `{:?}`, and that is the first message most users
/// see.
///
/// ```
/// let e = prctl_network::Error::Unsupported;
/// assert!(format!("{e:?}").starts_with("Unsupported: kernel lacks PR_SET_NETWORK"));
/// ```
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variant = match self {
            Error::Unsupported => "Unsupported",
            Error::NotPermitted => "NotPermitted",
            Error::NoNewPrivsRequired => "NoNewPrivsRequired",
            Error::InvalidFlags { .. } => "InvalidFlags",
            Error::MultiThreaded { .. } => "MultiThreaded",
            Error::ThreadsUnknown => "ThreadsUnknown",
            Error::SeccompThreadsDiffer { .. } => "SeccompThreadsDiffer",
            Error::LandlockNestingLimit => "LandlockNestingLimit",
            Error::Os { .. } => "Os",
        };
        write!(f, "{variant}: {self}")
    }
}

impl std::error::Error for Error {}

/// A custom [`io::Error`] carrying the [`Error`], so that its text survives
/// `?` into `io::Result`; the kind is the errno's
/// ([`io::ErrorKind::Unsupported`] for a kernel without the series). The
/// errno itself is [`Error::raw_os_error`] of the carried error:
///
/// ```
/// use prctl_network::Error;
///
/// let io = std::io::Error::from(Error::NotPermitted);
/// assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
/// let inner = io.get_ref().and_then(|e| e.downcast_ref::<Error>()).unwrap();
/// assert_eq!(inner.raw_os_error(), Some(libc::EPERM));
/// ```
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        let kind = match (&e, e.raw_os_error()) {
            (Error::Unsupported, _) => io::ErrorKind::Unsupported,
            (_, Some(errno)) => io::Error::from_raw_os_error(errno).kind(),
            (Error::InvalidFlags { .. }, None) => io::ErrorKind::InvalidInput,
            (_, None) => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_mapping() {
        let op = "prctl(PR_SET_NETWORK)";
        assert_eq!(
            Error::from_prctl_errno(op, libc::EINVAL),
            Error::Unsupported
        );
        assert_eq!(
            Error::from_prctl_errno(op, libc::EPERM),
            Error::NotPermitted
        );
        assert_eq!(
            Error::from_prctl_errno(op, libc::EACCES),
            Error::NoNewPrivsRequired
        );
        assert_eq!(
            Error::from_prctl_errno(op, libc::ENOMEM),
            Error::Os {
                operation: op,
                errno: libc::ENOMEM
            }
        );
    }

    #[test]
    fn get_errno_mapping() {
        assert_eq!(Error::from_get_errno(libc::EINVAL), Error::Unsupported);
        assert_eq!(
            Error::from_get_errno(libc::EPERM),
            Error::Os {
                operation: "prctl(PR_GET_NETWORK)",
                errno: libc::EPERM
            }
        );
    }

    #[test]
    fn io_error_keeps_errno() {
        for (e, errno) in [
            (Error::Unsupported, libc::EINVAL),
            (Error::NotPermitted, libc::EPERM),
            (Error::NoNewPrivsRequired, libc::EACCES),
            (
                Error::Os {
                    operation: "x",
                    errno: libc::ENOMEM,
                },
                libc::ENOMEM,
            ),
        ] {
            assert_eq!(e.raw_os_error(), Some(errno));
            let text = e.to_string();
            let io = io::Error::from(e);
            let inner = io.get_ref().and_then(|i| i.downcast_ref::<Error>());
            assert_eq!(inner.and_then(Error::raw_os_error), Some(errno));
            // The explanation survives, in Display and in Debug (which is
            // what `fn main() -> io::Result<()>` prints).
            assert_eq!(io.to_string(), text);
            assert!(format!("{io:?}").contains(&text), "{io:?}");
        }
        assert_eq!(
            io::Error::from(Error::Unsupported).kind(),
            io::ErrorKind::Unsupported
        );
        assert_eq!(
            io::Error::from(Error::NoNewPrivsRequired).kind(),
            io::ErrorKind::PermissionDenied
        );
        let io = io::Error::from(Error::MultiThreaded { threads: 3 });
        assert_eq!(io.raw_os_error(), None);
        assert_eq!(io.kind(), io::ErrorKind::Other);
        assert!(io.to_string().contains("3 threads"), "{io}");
        let io = io::Error::from(Error::InvalidFlags { bits: 6 });
        assert_eq!(io.kind(), io::ErrorKind::InvalidInput);
        assert!(io.to_string().contains("0x6"), "{io}");
    }

    #[test]
    fn messages_say_what_to_do() {
        let unsupported = Error::Unsupported.to_string();
        assert!(
            unsupported
                .starts_with("kernel lacks PR_SET_NETWORK: the running kernel does not carry"),
            "{unsupported}"
        );
        assert!(unsupported.contains("lsm="), "{unsupported}");
        assert!(Error::NoNewPrivsRequired
            .to_string()
            .contains("set no_new_privs or have CAP_SYS_ADMIN"));
        assert!(Error::MultiThreaded { threads: 4 }
            .to_string()
            .contains("require_single_thread(false)"));
        let os = Error::Os {
            operation: "prctl(PR_SET_NO_NEW_PRIVS)",
            errno: libc::EFAULT,
        }
        .to_string();
        assert!(
            os.starts_with("prctl(PR_SET_NO_NEW_PRIVS) failed: "),
            "{os}"
        );
        assert!(os.contains("os error 14"), "{os}");
    }
}
