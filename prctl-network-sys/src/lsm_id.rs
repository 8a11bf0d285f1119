//! LSM identifier (`include/uapi/linux/lsm.h`).

/// Identifier of the `prctl_network` LSM as reported by
/// `lsm_list_modules(2)` and used with `lsm_get_self_attr(2)`.
///
/// The value is the ASCII magic `"NETW"`; see the [crate docs](crate) for
/// why it is not the next sequential LSM id.
///
/// ```
/// let id = prctl_network_sys::LSM_ID_PRCTL_NETWORK;
/// assert_eq!((id as u32).to_be_bytes(), *b"NETW");
/// ```
pub const LSM_ID_PRCTL_NETWORK: u64 = 0x4e45_5457;
