//! Typed words for the two integer arguments of `PR_SET_NETWORK`, so that
//! a flags word and an options word cannot be swapped.
//!
//! [`PR_NETWORK_OFF`] (a flag) and [`PR_NETWORK_TSYNC`] (an option) are both
//! `1`: with the raw [`prctl_set_network_options`](crate::prctl_set_network_options)
//! a swapped call compiles and does something else. [`set_network`] takes a
//! [`NetworkFlags`] and a [`SetOptions`], which do not convert into each
//! other:
//!
//! ```compile_fail
//! use prctl_network_sys::{set_network, NetworkFlags, SetOptions};
//! set_network(SetOptions::TSYNC, NetworkFlags::OFF); // does not compile
//! ```

use libc::{c_int, c_ulong};

use crate::prctl_options::{
    PR_NETWORK_ALL_FLAGS, PR_NETWORK_OFF, PR_NETWORK_ON, PR_NETWORK_TSYNC, PR_SET_NETWORK,
};
use crate::wrappers::prctl_network_raw;

/// The restriction flags word: the second argument of `PR_SET_NETWORK` and
/// the result of `PR_GET_NETWORK`.
///
/// Any bit pattern can be held, including bits a newer kernel defines and
/// this crate does not (see "ABI stability" in the [crate docs](crate)).
///
/// ```
/// use prctl_network_sys::{NetworkFlags, PR_NETWORK_OFF};
///
/// assert_eq!(NetworkFlags::OFF.bits(), PR_NETWORK_OFF);
/// assert_eq!(NetworkFlags::from_bits(0b11).unknown_bits(), 0b10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct NetworkFlags(c_ulong);

impl NetworkFlags {
    /// [`PR_NETWORK_ON`]: no restriction.
    pub const ON: Self = Self(PR_NETWORK_ON);
    /// [`PR_NETWORK_OFF`]: no new network channels.
    pub const OFF: Self = Self(PR_NETWORK_OFF);
    /// [`PR_NETWORK_ALL_FLAGS`]: every flag this crate knows.
    pub const ALL: Self = Self(PR_NETWORK_ALL_FLAGS);

    /// The word as it is, unknown bits included.
    pub const fn from_bits(bits: c_ulong) -> Self {
        Self(bits)
    }

    /// The raw word.
    pub const fn bits(self) -> c_ulong {
        self.0
    }

    /// The bits outside [`PR_NETWORK_ALL_FLAGS`].
    pub const fn unknown_bits(self) -> c_ulong {
        self.0 & !PR_NETWORK_ALL_FLAGS
    }
}

/// The options word: the third argument of `PR_SET_NETWORK`.
///
/// ```
/// use prctl_network_sys::{SetOptions, PR_NETWORK_TSYNC};
///
/// assert_eq!(SetOptions::TSYNC.bits(), PR_NETWORK_TSYNC);
/// assert_eq!(SetOptions::NONE.bits(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct SetOptions(c_ulong);

impl SetOptions {
    /// No option: only the calling thread.
    pub const NONE: Self = Self(0);
    /// [`PR_NETWORK_TSYNC`]: every thread of the process.
    pub const TSYNC: Self = Self(PR_NETWORK_TSYNC);

    /// The word as it is (unknown bits make the kernel answer `EINVAL`).
    pub const fn from_bits(bits: c_ulong) -> Self {
        Self(bits)
    }

    /// The raw word.
    pub const fn bits(self) -> c_ulong {
        self.0
    }
}

/// `prctl(PR_SET_NETWORK, flags, options, 0, 0)` with typed arguments;
/// returns `0`, or `-1` with `errno` set, as
/// [`prctl_set_network_options`](crate::prctl_set_network_options) does.
///
/// ```no_run
/// use prctl_network_sys::{set_network, NetworkFlags, SetOptions};
///
/// unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
/// assert_eq!(set_network(NetworkFlags::OFF, SetOptions::TSYNC), 0);
/// ```
#[doc(alias("PR_SET_NETWORK", "PR_NETWORK_TSYNC", "prctl_set_network_options"))]
pub fn set_network(flags: NetworkFlags, options: SetOptions) -> c_int {
    prctl_network_raw(PR_SET_NETWORK, flags.bits(), options.bits(), 0, 0)
}
