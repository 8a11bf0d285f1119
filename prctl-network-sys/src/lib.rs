//! Raw ABI of the `PR_SET_NETWORK` / `PR_GET_NETWORK` Linux prctl options.
//!
//! This crate carries forward Michael Stone's 2009 LKML series "prctl:
//! PR_{GET,SET}_NETWORK": any process can irrevocably drop its ability to
//! open new network channels (create sockets other than `AF_UNIX`, bind,
//! connect or send to non-`AF_UNIX` or abstract `AF_UNIX` addresses), while
//! already connected sockets and filesystem `AF_UNIX` sockets keep working.
//! The kernel side is a small LSM named `prctl_network`.
//!
//! It only holds the numbers ([`PR_SET_NETWORK`], [`PR_GET_NETWORK`],
//! [`PR_NETWORK_OFF`], [`LSM_ID_PRCTL_NETWORK`], ...), thin `prctl()`
//! wrappers returning the raw result, and two typed words
//! ([`NetworkFlags`], [`SetOptions`]) for [`set_network`], so that flags
//! and options cannot be swapped. Most programs want the safe
//! [`prctl-network`](https://docs.rs/prctl-network) crate instead.
//!
//! # ABI stability
//!
//! Fixed, for every kernel that carries the series (each kernel line's
//! patches define the same values, which the workspace's tests check):
//!
//! * the option numbers [`PR_SET_NETWORK`] (`"NETS"`) and
//!   [`PR_GET_NETWORK`] (`"NETG"`);
//! * the value of each flag ([`PR_NETWORK_ON`] `0`, [`PR_NETWORK_OFF`]
//!   bit 0) and of each option ([`PR_NETWORK_TSYNC`] bit 0 of the third
//!   argument): a bit once given a meaning keeps it;
//! * the LSM id [`LSM_ID_PRCTL_NETWORK`] (`"NETW"`);
//! * the calling convention: unused arguments must be `0` (`EINVAL`),
//!   flags can only be added (`EPERM`), `EACCES` without `no_new_privs`
//!   or `CAP_SYS_ADMIN`, `EINVAL` on a kernel without the series.
//!
//! May grow:
//!
//! * [`PR_NETWORK_ALL_FLAGS`] is "every flag *this crate* knows". A newer
//!   kernel may define more flags; the constant then changes in a new
//!   release of this crate, and an older build keeps the old value. So do
//!   not use it as a mask to *set* (`prctl_set_network(PR_NETWORK_ALL_FLAGS)`
//!   would ask for restrictions you never read about), and do not reject a
//!   `PR_GET_NETWORK` result because it has bits outside it: a newer kernel
//!   may report flags your build does not know. Read the result as a word,
//!   test the bits you know ([`NetworkFlags::unknown_bits`] names the
//!   others), and when adding a flag pass the word you read with your bit
//!   or-ed in: the kernel accepts the bits it reported, and clearing one
//!   fails with `EPERM`.
//! * The flags word reaches user space as the C `int` that `prctl()`
//!   returns: a flag at bit 31 would read as a negative number. Only `-1`
//!   is a failure ([`prctl_get_network`] says how to read the rest).
//! * Option bits of the third argument may be added the same way; a
//!   kernel that does not know one answers `EINVAL`.
//!
//! # Why the option numbers are ASCII magic
//!
//! Upstream assigns prctl option numbers sequentially. The numbers 35 and 36
//! that the 2009 series used have since become `PR_SET_MM` and
//! `PR_SET_CHILD_SUBREAPER`; Linux 6.12 ends at 73 and 6.16 reached 78, so
//! any small number picked today would collide with a future upstream
//! option. Like `PR_SET_PTRACER` (`0x59616d61`, "Yama"), `PR_GET_AUXV`
//! (`0x41555856`, "AUXV") and `PR_SET_VMA` (`0x53564d41`, "SVMA"), this
//! series uses four ASCII letters: `"NETS"` for set and `"NETG"` for get.
//! The sequential range will never reach `0x4e45....`, so an out-of-tree
//! kernel carrying this series cannot silently reinterpret another option,
//! and a kernel without the series answers `EINVAL`.
//!
//! # Why the LSM id is `0x4e455457`
//!
//! Upstream LSM ids (`include/uapi/linux/lsm.h`, used by
//! `lsm_get_self_attr(2)` and `lsm_list_modules(2)`) are also sequential,
//! starting at 100; Linux 6.12 ends at 113 (`LSM_ID_IPE`). An out-of-tree
//! LSM taking 114 would collide with the next upstream module, so the id is
//! the ASCII magic `"NETW"`.
//!
//! # Example
//!
//! ```
//! use prctl_network_sys::{prctl_get_network, PR_NETWORK_OFF};
//!
//! let r = prctl_get_network();
//! if r == -1 {
//!     // EINVAL: this kernel does not carry the series.
//!     println!("unsupported: {}", std::io::Error::last_os_error());
//! } else {
//!     // The flags come as a C int: any value but -1 is the word (see
//!     // prctl_get_network for the sign).
//!     let flags = r as libc::c_uint as libc::c_ulong;
//!     println!("network off: {}", flags & PR_NETWORK_OFF != 0);
//! }
//! ```
#![no_std]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod lsm_id;
mod prctl_options;
mod typed;
mod wrappers;

pub use lsm_id::LSM_ID_PRCTL_NETWORK;
pub use prctl_options::{
    PR_GET_NETWORK, PR_NETWORK_ALL_FLAGS, PR_NETWORK_OFF, PR_NETWORK_ON, PR_NETWORK_TSYNC,
    PR_SET_NETWORK,
};
pub use typed::{set_network, NetworkFlags, SetOptions};
pub use wrappers::{
    prctl_get_network, prctl_network_raw, prctl_set_network, prctl_set_network_options,
};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
