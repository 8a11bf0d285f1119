//! [`NetworkState`]: the per-thread restriction flags word.

use libc::c_ulong;
use prctl_network_sys::{PR_NETWORK_ALL_FLAGS, PR_NETWORK_OFF, PR_NETWORK_ON};

use crate::error::Error;

/// The network restriction flags of a thread, as `PR_GET_NETWORK` reports
/// them.
///
/// A newer kernel may report flags this crate does not know yet: the state
/// read from the kernel ([`get`](crate::get), [`probe`](crate::probe))
/// keeps them ([`NetworkState::unknown_bits`]), and
/// [`restrict`](crate::Restriction::restrict) adds `OFF` to them rather
/// than failing. [`NetworkState::from_bits`], for words from elsewhere,
/// rejects unknown bits; [`NetworkState::from_bits_retain`] keeps them.
///
/// ```
/// use prctl_network::NetworkState;
///
/// assert!(!NetworkState::ON.is_off());
/// assert!(NetworkState::OFF.is_off());
/// assert_eq!(NetworkState::from_bits(1), Ok(NetworkState::OFF));
/// assert!(NetworkState::from_bits(2).is_err());
/// // A flag from a newer kernel, kept as it is.
/// let newer = NetworkState::from_bits_retain(0b11);
/// assert!(newer.is_off());
/// assert_eq!(newer.unknown_bits(), 0b10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NetworkState(c_ulong);

impl NetworkState {
    /// No restriction: every process starts like this.
    pub const ON: Self = Self(PR_NETWORK_ON);

    /// `PR_NETWORK_OFF`: no new network channels.
    pub const OFF: Self = Self(PR_NETWORK_OFF);

    /// Every flag this crate knows.
    ///
    /// ```
    /// assert_eq!(prctl_network::NetworkState::ALL.bits(), 1);
    /// ```
    pub const ALL: Self = Self(PR_NETWORK_ALL_FLAGS);

    /// Whether `PR_NETWORK_OFF` is set: the thread cannot open new network
    /// channels.
    ///
    /// ```
    /// assert!(prctl_network::NetworkState::OFF.is_off());
    /// ```
    pub const fn is_off(self) -> bool {
        self.0 & PR_NETWORK_OFF != 0
    }

    /// The raw flags word.
    ///
    /// ```
    /// use prctl_network::NetworkState;
    /// assert_eq!(NetworkState::OFF.bits(), prctl_network_sys::PR_NETWORK_OFF);
    /// ```
    pub const fn bits(self) -> c_ulong {
        self.0
    }

    /// Builds a state from a raw flags word, rejecting unknown bits with
    /// [`Error::InvalidFlags`].
    ///
    /// ```
    /// use prctl_network::{Error, NetworkState};
    ///
    /// assert_eq!(NetworkState::from_bits(0), Ok(NetworkState::ON));
    /// assert_eq!(NetworkState::from_bits(3), Err(Error::InvalidFlags { bits: 3 }));
    /// ```
    pub const fn from_bits(bits: c_ulong) -> Result<Self, Error> {
        if bits & !PR_NETWORK_ALL_FLAGS != 0 {
            Err(Error::InvalidFlags { bits })
        } else {
            Ok(Self(bits))
        }
    }

    /// Builds a state from a raw flags word as it is, bits unknown to this
    /// crate included (a newer kernel's flags).
    ///
    /// ```
    /// use prctl_network::NetworkState;
    ///
    /// let s = NetworkState::from_bits_retain(0b101);
    /// assert_eq!(s.bits(), 0b101);
    /// assert_eq!(s.union(NetworkState::OFF), s);
    /// ```
    pub const fn from_bits_retain(bits: c_ulong) -> Self {
        Self(bits)
    }

    /// The bits this crate does not know (`0` unless the state came from a
    /// newer kernel through [`NetworkState::from_bits_retain`]).
    ///
    /// ```
    /// use prctl_network::NetworkState;
    /// assert_eq!(NetworkState::OFF.unknown_bits(), 0);
    /// assert_eq!(NetworkState::from_bits_retain(1 << 4).unknown_bits(), 1 << 4);
    /// ```
    pub const fn unknown_bits(self) -> c_ulong {
        self.0 & !PR_NETWORK_ALL_FLAGS
    }

    /// Whether every flag of `other` is also set in `self`.
    ///
    /// ```
    /// use prctl_network::NetworkState;
    /// assert!(NetworkState::OFF.contains(NetworkState::ON));
    /// assert!(!NetworkState::ON.contains(NetworkState::OFF));
    /// ```
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of both flag sets (flags can only ever be added).
    ///
    /// ```
    /// use prctl_network::NetworkState;
    /// assert_eq!(NetworkState::ON.union(NetworkState::OFF), NetworkState::OFF);
    /// ```
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// Same as [`NetworkState::from_bits`].
///
/// ```
/// use prctl_network::NetworkState;
/// assert_eq!(NetworkState::try_from(1), Ok(NetworkState::OFF));
/// ```
impl TryFrom<c_ulong> for NetworkState {
    type Error = Error;

    fn try_from(bits: c_ulong) -> Result<Self, Error> {
        Self::from_bits(bits)
    }
}

/// Same as [`NetworkState::bits`].
///
/// ```
/// use prctl_network::NetworkState;
/// assert_eq!(libc::c_ulong::from(NetworkState::OFF), 1);
/// ```
impl From<NetworkState> for c_ulong {
    fn from(state: NetworkState) -> c_ulong {
        state.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_every_unknown_bit() {
        for bit in 1..c_ulong::BITS {
            let bits: c_ulong = 1 << bit;
            assert_eq!(
                NetworkState::from_bits(bits),
                Err(Error::InvalidFlags { bits })
            );
            assert_eq!(
                NetworkState::from_bits(bits | 1),
                Err(Error::InvalidFlags { bits: bits | 1 })
            );
        }
    }

    #[test]
    fn retains_unknown_bits_and_still_adds_off() {
        for bit in 1..c_ulong::BITS {
            let newer = NetworkState::from_bits_retain(1 << bit);
            assert_eq!(newer.unknown_bits(), 1 << bit);
            assert!(!newer.is_off());
            let wanted = newer.union(NetworkState::OFF);
            assert!(wanted.is_off());
            assert_eq!(wanted.bits(), (1 << bit) | 1);
            assert!(wanted.contains(newer));
        }
    }

    #[test]
    fn round_trips_known_bits() {
        for bits in [0, 1] {
            let s = NetworkState::try_from(bits).unwrap();
            assert_eq!(c_ulong::from(s), bits);
            assert_eq!(s.is_off(), bits == 1);
        }
        assert_eq!(NetworkState::default(), NetworkState::ON);
    }
}
