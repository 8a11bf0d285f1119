//! Probing the running kernel and reading the current state.

use nix::errno::Errno;
use prctl_network_sys::prctl_get_network;

use crate::error::Error;
use crate::state::NetworkState;

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
        /// The calling thread's current flags, including any a newer
        /// kernel reports and this crate does not know
        /// ([`NetworkState::unknown_bits`]).
        state: NetworkState,
    },
    /// `PR_GET_NETWORK` is unknown (`EINVAL`): the series is missing or the
    /// `prctl_network` LSM is not enabled (`CONFIG_LSM` / `lsm=`).
    Missing,
    /// `PR_GET_NETWORK` failed otherwise (for instance a seccomp filter
    /// denying `prctl()`).
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
    support_from(r, if r == -1 { Errno::last_raw() } else { 0 })
}

/// What a `PR_GET_NETWORK` result `r` (with `errno` when it is `-1`)
/// means. Flags unknown to this crate are kept: they come from a newer
/// kernel.
///
/// The kernel returns the flags as a C `int`, so a flag at bit 31 would
/// make `r` negative. Only `-1` is a failure (the C library turns every
/// kernel error into `-1` and `errno`, and no flags word reads `-1`): any
/// other value is the flags, taken as the unsigned 32-bit word it is.
fn support_from(r: libc::c_int, errno: i32) -> Support {
    if r == -1 {
        return if errno == libc::EINVAL {
            Support::Missing
        } else {
            Support::Unknown {
                error: UnknownReason::Errno(errno),
            }
        };
    }
    Support::Available {
        // The int's 32 bits as they are: bit 31 stays bit 31, not a sign.
        state: NetworkState::from_bits_retain(libc::c_ulong::from(r as libc::c_uint)),
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
/// Fails with [`Error::Unsupported`] on a kernel without the series. Flags
/// a newer kernel reports and this crate does not know are kept
/// ([`NetworkState::unknown_bits`]).
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_flags_from_a_newer_kernel_are_kept() {
        assert_eq!(
            support_from(0b110, 0),
            Support::Available {
                state: NetworkState::from_bits_retain(0b110)
            }
        );
        assert_eq!(support_from(-1, libc::EINVAL), Support::Missing);
        assert_eq!(
            support_from(-1, libc::EPERM),
            Support::Unknown {
                error: UnknownReason::Errno(libc::EPERM)
            }
        );
    }

    /// A flag at bit 31 makes the C `int` negative; it is still a flag.
    #[test]
    fn a_flag_at_bit_31_is_not_a_failure() {
        let word: libc::c_uint = (1 << 31) | 1;
        assert_eq!(
            support_from(word as libc::c_int, 0),
            Support::Available {
                state: NetworkState::from_bits_retain(0x8000_0001)
            }
        );
    }
}
