//! Thin `prctl()` wrappers returning the raw result.
//!
//! These calls only ever pass integers to the kernel, and the two network
//! options never dereference their arguments, so the wrappers are safe
//! functions. On failure they return `-1` and leave the error in `errno`
//! (read it with `std::io::Error::last_os_error()`).

use crate::prctl_options::{PR_GET_NETWORK, PR_SET_NETWORK};
use libc::{c_int, c_ulong};

/// `prctl(PR_SET_NETWORK, flags, 0, 0, 0)`.
///
/// Returns `0` on success and `-1` with `errno` set on failure:
/// `EINVAL` (kernel without the series, or unknown bits in `flags`),
/// `EPERM` (trying to clear a bit that is set) or `EACCES` (neither
/// `no_new_privs` nor `CAP_SYS_ADMIN`). Only the calling thread is
/// restricted; [`set_network`](crate::set_network) with
/// [`SetOptions::TSYNC`](crate::SetOptions::TSYNC) covers every thread.
///
/// ```no_run
/// use prctl_network_sys::{prctl_set_network, PR_NETWORK_OFF};
///
/// // Needs a kernel with the series, and no_new_privs or CAP_SYS_ADMIN.
/// unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
/// assert_eq!(prctl_set_network(PR_NETWORK_OFF), 0);
/// ```
#[doc(alias = "PR_SET_NETWORK")]
pub fn prctl_set_network(flags: c_ulong) -> c_int {
    prctl_network_raw(PR_SET_NETWORK, flags, 0, 0, 0)
}

/// `prctl(PR_SET_NETWORK, flags, options, 0, 0)`: with `options` =
/// [`PR_NETWORK_TSYNC`](crate::PR_NETWORK_TSYNC), every thread of the
/// process gets `flags`.
///
/// # Prefer [`set_network`](crate::set_network)
///
/// Both arguments are plain integers, and the flag
/// [`PR_NETWORK_OFF`](crate::PR_NETWORK_OFF) and the option
/// [`PR_NETWORK_TSYNC`](crate::PR_NETWORK_TSYNC) are both `1`: a swapped
/// call, `prctl_set_network_options(PR_NETWORK_TSYNC, PR_NETWORK_OFF)`,
/// compiles and does the same thing only by accident of the values today;
/// with any other flag or option it asks the kernel for something else,
/// silently. [`set_network`](crate::set_network) takes a
/// [`NetworkFlags`](crate::NetworkFlags) and a
/// [`SetOptions`](crate::SetOptions), which cannot be swapped.
///
/// Returns `0` on success and `-1` with `errno` set on failure: as
/// [`prctl_set_network`], plus `EINVAL` for unknown bits in `options`,
/// `EACCES` with `PR_NETWORK_TSYNC` whenever the caller has neither
/// `no_new_privs` nor `CAP_SYS_ADMIN`, and `ENOMEM` (some threads may then
/// be restricted already; calling again is safe).
///
/// ```no_run
/// use prctl_network_sys::{prctl_set_network_options, PR_NETWORK_OFF, PR_NETWORK_TSYNC};
///
/// unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
/// // flags first, then options.
/// assert_eq!(prctl_set_network_options(PR_NETWORK_OFF, PR_NETWORK_TSYNC), 0);
/// ```
#[doc(alias = "PR_NETWORK_TSYNC")]
pub fn prctl_set_network_options(flags: c_ulong, options: c_ulong) -> c_int {
    prctl_network_raw(PR_SET_NETWORK, flags, options, 0, 0)
}

/// `prctl(PR_GET_NETWORK, 0, 0, 0, 0)`.
///
/// Returns the calling thread's flags, or `-1` with `errno` set (`EINVAL`
/// on a kernel without the series). With the flags this crate knows the
/// result is `0` or [`PR_NETWORK_OFF`](crate::PR_NETWORK_OFF); a newer
/// kernel may report more bits (see "ABI stability" in the
/// [crate docs](crate)).
///
/// # The sign
///
/// The kernel returns the flags as a C `int`, so a flag at bit 31 would
/// make the result negative. Only `-1` means failure: the C library turns
/// every kernel error into `-1` and `errno`, and no flags word reads as
/// `-1`. So test `r == -1`, not `r < 0`, and take any other value as the
/// unsigned 32-bit word it is: `r as libc::c_uint as libc::c_ulong`.
///
/// ```
/// let r = prctl_network_sys::prctl_get_network();
/// if r == -1 {
///     // EINVAL: no series; anything else: the call was refused (seccomp).
///     println!("no flags: {}", std::io::Error::last_os_error());
/// } else {
///     let flags = r as libc::c_uint as libc::c_ulong;
///     let off = flags & prctl_network_sys::PR_NETWORK_OFF != 0;
///     println!("network off: {off}");
/// }
/// ```
#[doc(alias = "PR_GET_NETWORK")]
pub fn prctl_get_network() -> c_int {
    prctl_network_raw(PR_GET_NETWORK, 0, 0, 0, 0)
}

/// `prctl(option, a2, a3, a4, a5)` for the network options, with arbitrary
/// argument values: meant for tests of the kernel's argument checking.
///
/// `option` must be [`PR_SET_NETWORK`] or [`PR_GET_NETWORK`]. Any other
/// option returns `-1` with `errno` set to `EINVAL` *without* calling the
/// kernel: other prctl options may treat their arguments as pointers, which
/// would make a safe function taking arbitrary integers unsound. Use
/// `libc::prctl` (unsafe) for those.
///
/// ```
/// use prctl_network_sys::{prctl_network_raw, PR_GET_NETWORK};
///
/// // A non-zero unused argument is always rejected, with or without the
/// // series in the kernel.
/// assert_eq!(prctl_network_raw(PR_GET_NETWORK, 1, 0, 0, 0), -1);
/// assert_eq!(
///     std::io::Error::last_os_error().raw_os_error(),
///     Some(libc::EINVAL)
/// );
///
/// // Not a network option: refused without a system call.
/// assert_eq!(prctl_network_raw(libc::PR_SET_NAME, 0, 0, 0, 0), -1);
/// ```
pub fn prctl_network_raw(
    option: c_int,
    a2: c_ulong,
    a3: c_ulong,
    a4: c_ulong,
    a5: c_ulong,
) -> c_int {
    if option != PR_SET_NETWORK && option != PR_GET_NETWORK {
        set_errno(libc::EINVAL);
        return -1;
    }
    // SAFETY: both network options take plain integers and never
    // dereference them; prctl() has no other side effect on our memory.
    unsafe { libc::prctl(option, a2, a3, a4, a5) }
}

fn set_errno(errno: c_int) {
    // SAFETY: the location returned is this thread's errno, valid for the
    // thread's lifetime.
    unsafe {
        #[cfg(target_os = "android")]
        {
            *libc::__errno() = errno;
        }
        #[cfg(not(target_os = "android"))]
        {
            *libc::__errno_location() = errno;
        }
    }
}
