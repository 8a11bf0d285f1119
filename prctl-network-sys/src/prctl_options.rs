//! prctl option numbers and flag values (`include/uapi/linux/prctl.h`).

use libc::{c_int, c_ulong};

/// `prctl(PR_SET_NETWORK, flags, 0, 0, 0)`: add restriction flags to the
/// calling thread. Flags can only be added, never cleared (`EPERM`).
///
/// The value is the ASCII magic `"NETS"`; see the [crate docs](crate) for
/// why it is not a small sequential number.
///
/// ```
/// assert_eq!(prctl_network_sys::PR_SET_NETWORK.to_be_bytes(), *b"NETS");
/// ```
pub const PR_SET_NETWORK: c_int = 0x4e45_5453;

/// `prctl(PR_GET_NETWORK, 0, 0, 0, 0)`: return the calling thread's
/// restriction flags (with the flags this crate knows, `0` or
/// [`PR_NETWORK_OFF`]; a newer kernel may report more bits, see
/// [`prctl_get_network`](crate::prctl_get_network)).
///
/// The value is the ASCII magic `"NETG"`.
///
/// ```
/// assert_eq!(prctl_network_sys::PR_GET_NETWORK.to_be_bytes(), *b"NETG");
/// ```
pub const PR_GET_NETWORK: c_int = 0x4e45_5447;

/// Flags value meaning "no restriction" (the state every process starts in).
///
/// ```
/// assert_eq!(prctl_network_sys::PR_NETWORK_ON, 0);
/// ```
pub const PR_NETWORK_ON: c_ulong = 0;

/// Flag bit: no new network channels (only `AF_UNIX` sockets, only
/// filesystem `AF_UNIX` addresses).
///
/// ```
/// use prctl_network_sys::{PR_NETWORK_ALL_FLAGS, PR_NETWORK_OFF};
/// assert_eq!(PR_NETWORK_OFF & PR_NETWORK_ALL_FLAGS, PR_NETWORK_OFF);
/// ```
pub const PR_NETWORK_OFF: c_ulong = 1;

/// Every flag bit *this crate* knows. A kernel answers `EINVAL` to
/// [`PR_SET_NETWORK`] with a bit it does not know; a newer kernel may know
/// more bits than this constant has, and a newer release of this crate may
/// then add them here (see "ABI stability" in the [crate docs](crate)).
/// Not a mask to set, nor one to reject a `PR_GET_NETWORK` result with.
///
/// ```
/// use prctl_network_sys::{PR_NETWORK_ALL_FLAGS, PR_NETWORK_OFF};
/// assert_eq!(PR_NETWORK_ALL_FLAGS & PR_NETWORK_OFF, PR_NETWORK_OFF);
/// ```
pub const PR_NETWORK_ALL_FLAGS: c_ulong = 1;

/// Option bit for the third argument of [`PR_SET_NETWORK`]: apply the flags
/// to every thread of the calling process, not only to the calling thread
/// (as `SECCOMP_FILTER_FLAG_TSYNC` does for seccomp filters). Siblings also
/// get `no_new_privs` if the caller has it. Needs `no_new_privs` or
/// `CAP_SYS_ADMIN` even when the caller's own flags do not change. Any
/// other bit in the third argument makes the call fail with `EINVAL`.
///
/// ```no_run
/// use prctl_network_sys::{prctl_network_raw, PR_NETWORK_OFF, PR_NETWORK_TSYNC, PR_SET_NETWORK};
///
/// unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
/// // An option in arg3, not a flag: PR_GET_NETWORK never reports it.
/// assert_eq!(prctl_network_raw(PR_SET_NETWORK, PR_NETWORK_OFF, PR_NETWORK_TSYNC, 0, 0), 0);
/// ```
pub const PR_NETWORK_TSYNC: c_ulong = 1;
