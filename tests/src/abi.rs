//! ABI constants of the series, from `prctl-network-sys` (one place, so a
//! change of numbers in the patches reaches every test).

pub use prctl_network_sys::{
    PR_GET_NETWORK, PR_NETWORK_ALL_FLAGS, PR_NETWORK_OFF, PR_NETWORK_ON, PR_NETWORK_TSYNC,
    PR_SET_NETWORK,
};
