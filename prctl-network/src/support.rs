//! Probing the running kernel and reading the current state.

use prctl_network_sys::prctl_get_network;

use crate::{Error, NetworkState};

/// Whether the running kernel provides `PR_SET_NETWORK`, as found by
/// [`probe`].
///
/// ```
/// match prctl_network::probe() {
///     prctl_network::Support::Available { state } => println!("off: {}", state.is_off()),
///     prctl_network::Support::Missing => println!("kernel lacks the series"),
///     other => println!("cannot tell: {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Support {
    /// The kernel has the series and the LSM is enabled.
    Available {
        /// The calling thread's current flags.
        state: NetworkState,
    },
    /// `PR_GET_NETWORK` is unknown (`EINVAL`): the series is missing or the
    /// `prctl_network` LSM is not enabled (`CONFIG_LSM` / `lsm=`).
    Missing,
    /// `PR_GET_NETWORK` failed otherwise (for instance a seccomp filter
    /// denying `prctl()`), or reported flags this crate does not know.
    Unknown {
        /// What went wrong.
        error: UnknownReason,
    },
}

/// Why [`probe`] could not tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownReason {
    /// `prctl()` failed with this errno (not `EINVAL`).
    Errno(i32),
    /// The kernel reported flags unknown to this crate.
    UnknownFlags(libc::c_ulong),
}

/// Asks the kernel with `PR_GET_NETWORK`; cheap (one system call) and
/// without side effects.
///
/// ```
/// let support = prctl_network::probe();
/// println!("{support:?}");
/// ```
pub fn probe() -> Support {
    let r = prctl_get_network();
    if r < 0 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return if errno == libc::EINVAL {
            Support::Missing
        } else {
            Support::Unknown {
                error: UnknownReason::Errno(errno),
            }
        };
    }
    // r >= 0 here, so the conversion is lossless.
    let bits = r as libc::c_ulong;
    match NetworkState::from_bits(bits) {
        Ok(state) => Support::Available { state },
        Err(_) => Support::Unknown {
            error: UnknownReason::UnknownFlags(bits),
        },
    }
}

/// Whether the running kernel provides `PR_SET_NETWORK` (a successful
/// `PR_GET_NETWORK`).
///
/// ```
/// if !prctl_network::is_supported() {
///     eprintln!("warning: network restriction not available on this kernel");
/// }
/// ```
pub fn is_supported() -> bool {
    matches!(probe(), Support::Available { .. })
}

/// The calling thread's network restriction flags.
///
/// Fails with [`Error::Unsupported`] on a kernel without the series, and
/// with [`Error::InvalidFlags`] if the kernel reports flags this crate does
/// not know.
///
/// ```
/// match prctl_network::get() {
///     Ok(state) => println!("network off: {}", state.is_off()),
///     Err(prctl_network::Error::Unsupported) => println!("not supported"),
///     Err(e) => panic!("{e}"),
/// }
/// ```
pub fn get() -> Result<NetworkState, Error> {
    match probe() {
        Support::Available { state } => Ok(state),
        Support::Missing => Err(Error::Unsupported),
        Support::Unknown {
            error: UnknownReason::Errno(errno),
        } => Err(Error::from_get_errno(errno)),
        Support::Unknown {
            error: UnknownReason::UnknownFlags(bits),
        } => Err(Error::InvalidFlags { bits }),
    }
}
