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
//! [`PR_NETWORK_OFF`], [`LSM_ID_PRCTL_NETWORK`], ...) and thin `prctl()`
//! wrappers returning the raw result. Most programs want the safe
//! `prctl-network` crate instead.
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
//! if r < 0 {
//!     // EINVAL: this kernel does not carry the series.
//!     println!("unsupported: {}", std::io::Error::last_os_error());
//! } else {
//!     println!("network off: {}", r as libc::c_ulong & PR_NETWORK_OFF != 0);
//! }
//! ```
#![no_std]
#![deny(missing_docs)]

mod lsm_id;
mod prctl_options;
mod wrappers;

pub use lsm_id::LSM_ID_PRCTL_NETWORK;
pub use prctl_options::{
    PR_GET_NETWORK, PR_NETWORK_ALL_FLAGS, PR_NETWORK_OFF, PR_NETWORK_ON, PR_NETWORK_TSYNC,
    PR_SET_NETWORK,
};
pub use wrappers::{
    prctl_get_network, prctl_network_raw, prctl_set_network, prctl_set_network_options,
};
