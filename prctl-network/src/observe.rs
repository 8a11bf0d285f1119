//! "Am I confined?": what can be seen of the calling thread's network
//! confinement. Only the kernel flag (`PR_GET_NETWORK`, where the series is
//! present) answers the question; everything else is an observation,
//! reported as such and never as "on" or "off".

use std::fmt;
use std::io;

use nix::errno::Errno;
use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};

use crate::support::{probe, Support, UnknownReason};

/// What [`observe`] saw.
///
/// On a kernel with the series, [`Observed::network_off`] is the kernel
/// flag, and that is the answer. Without it there is no flag to read:
/// `network_off()` is `None`, and the other fields are observations, not a
/// verdict. A refused probe socket ([`Observed::inet_socket_refused`]) does
/// not mean the network is off: any seccomp filter denying only
/// `socket(AF_INET)` (someone else's, say) looks the same while IPv6, or a
/// socket inherited from before, still reaches the network; and even
/// `nonet --best-effort`'s fallback leaves channels open that
/// `PR_SET_NETWORK` closes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Observed {
    /// What `PR_GET_NETWORK` answered ([`probe`]): the flags, the kernel
    /// lacking the series ([`Support::Missing`]), or a failure that says
    /// nothing about the kernel ([`Support::Unknown`], e.g. a seccomp
    /// filter denying `prctl()`).
    pub support: Support,
    /// `Some(true)`: the kernel flag `PR_NETWORK_OFF` is set; `Some(false)`:
    /// clear; `None`: there is no flag to read (see [`Observed::support`]).
    pub kernel_flag: Option<bool>,
    /// Flags the kernel reports that this crate does not know (a newer
    /// kernel's; `0` otherwise), kept as they are.
    pub unknown_flags: libc::c_ulong,
    /// `Seccomp: 2` in `/proc/self/status` (a filter is in force; it may
    /// be anyone's).
    pub seccomp_filter: bool,
    /// `NoNewPrivs: 1` in `/proc/self/status`.
    pub no_new_privs: bool,
    /// A probe `socket(AF_INET, SOCK_DGRAM)` failed with `EPERM` (closed
    /// again at once when it succeeded). An observation only: it says
    /// nothing about other families or about sockets already open.
    pub inet_socket_refused: bool,
}

impl Observed {
    /// "Is the network off?", answered only where the kernel can answer
    /// it: the `PR_NETWORK_OFF` flag, or `None` when there is no flag to
    /// read (a kernel without the series, or `PR_GET_NETWORK` failing).
    /// Observations such as [`Observed::inet_socket_refused`] never turn
    /// into a `Some`.
    ///
    /// ```
    /// let o = prctl_network::observe();
    /// match o.network_off() {
    ///     Some(off) => println!("kernel flag: network off = {off}"),
    ///     None => println!("unknown; observed: {o}"),
    /// }
    /// ```
    pub fn network_off(&self) -> Option<bool> {
        self.kernel_flag
    }
}

/// `network: on` or `network: off` from the kernel flag; otherwise
/// `network: unknown (...)`, with why there is no flag and what was
/// observed instead, labelled as observations.
///
/// ```
/// let text = prctl_network::observe().to_string();
/// assert!(text.starts_with("network: "));
/// ```
impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = |off: bool| if off { "off" } else { "on" };
        let why = match (self.kernel_flag, self.support) {
            (Some(off), _) if self.unknown_flags != 0 => {
                return write!(
                    f,
                    "network: {} (and flags {:#x} unknown to this version)",
                    word(off),
                    self.unknown_flags
                )
            }
            (Some(off), _) => return write!(f, "network: {}", word(off)),
            (None, Support::Unknown { error }) => {
                let UnknownReason::Errno(errno) = error;
                format!(
                    "PR_GET_NETWORK failed: {}",
                    io::Error::from_raw_os_error(errno)
                )
            }
            (None, _) => "the kernel lacks PR_SET_NETWORK: no flag to read".to_string(),
        };
        write!(
            f,
            "network: unknown ({why}; observed: socket(AF_INET) {}, seccomp filter {}, \
             no_new_privs {})",
            if self.inet_socket_refused {
                "refused"
            } else {
                "allowed"
            },
            if self.seccomp_filter {
                "in force"
            } else {
                "none"
            },
            if self.no_new_privs { "set" } else { "clear" },
        )
    }
}

/// The `PR_NETWORK_OFF` flag and the bits unknown to this crate, where the
/// kernel answered.
fn kernel_flag(support: Support) -> (Option<bool>, libc::c_ulong) {
    match support {
        Support::Available { state } => (Some(state.is_off()), state.unknown_bits()),
        _ => (None, 0),
    }
}

/// Observes the calling thread's confinement.
///
/// ```
/// let o = prctl_network::observe();
/// println!("{o}");
/// ```
pub fn observe() -> Observed {
    let support = probe();
    let (kernel_flag, unknown_flags) = kernel_flag(support);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .map(str::to_string)
    };
    // The descriptor, if any, is closed at once (dropped).
    let inet_socket_refused = socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .err()
        == Some(Errno::EPERM);
    Observed {
        support,
        kernel_flag,
        unknown_flags,
        seccomp_filter: field("Seccomp:").as_deref() == Some("2"),
        no_new_privs: field("NoNewPrivs:").as_deref() == Some("1"),
        inet_socket_refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::NetworkState;

    fn observed(support: Support) -> Observed {
        let (kernel_flag, unknown_flags) = kernel_flag(support);
        Observed {
            support,
            kernel_flag,
            unknown_flags,
            seccomp_filter: true,
            no_new_privs: true,
            inet_socket_refused: true,
        }
    }

    #[test]
    fn names_flags_of_a_newer_kernel() {
        let o = observed(Support::Available {
            state: NetworkState::OFF,
        });
        assert_eq!(o.network_off(), Some(true));
        assert_eq!(o.to_string(), "network: off");
        let o = observed(Support::Available {
            state: NetworkState::from_bits_retain(0x5),
        });
        assert_eq!(
            o.to_string(),
            "network: off (and flags 0x4 unknown to this version)"
        );
    }

    /// A refused probe socket under some seccomp filter is what any filter
    /// denying only `socket(AF_INET)` looks like: never a verdict.
    #[test]
    fn without_the_kernel_flag_there_is_no_verdict() {
        let o = observed(Support::Missing);
        assert_eq!(o.network_off(), None);
        assert_eq!(
            o.to_string(),
            "network: unknown (the kernel lacks PR_SET_NETWORK: no flag to read; observed: \
             socket(AF_INET) refused, seccomp filter in force, no_new_privs set)"
        );
    }

    /// A `PR_GET_NETWORK` failing with something else than `EINVAL` (a
    /// seccomp filter denying `prctl()`, say) says nothing about the kernel.
    #[test]
    fn a_failed_probe_is_not_a_missing_kernel() {
        let o = observed(Support::Unknown {
            error: UnknownReason::Errno(libc::EPERM),
        });
        assert_eq!(o.network_off(), None);
        let text = o.to_string();
        assert!(
            text.starts_with("network: unknown (PR_GET_NETWORK failed: "),
            "{text}"
        );
        assert!(!text.contains("lacks"), "{text}");
    }
}
