//! "Am I confined?": what can be seen of the calling thread's network
//! confinement, from the kernel flag where the series is present, and
//! otherwise from what a best-effort fallback leaves behind.

use std::fmt;

use nix::errno::Errno;
use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};

use crate::support::{probe, Support};

/// What [`observe`] saw.
///
/// On a kernel with the series, [`Observed::kernel_flag`] is the answer.
/// Without it there is no flag to read, and the fields below are
/// observations, not a guarantee: a seccomp filter is in force (it may be
/// someone else's), `no_new_privs` is set, and a probe `socket(AF_INET)`
/// was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Observed {
    /// `Some(true)`: the kernel flag `PR_NETWORK_OFF` is set; `Some(false)`:
    /// clear; `None`: the kernel lacks the series (or the flag is
    /// unreadable).
    pub kernel_flag: Option<bool>,
    /// Flags the kernel reports that this crate does not know (a newer
    /// kernel's; `0` otherwise), kept as they are.
    pub unknown_flags: libc::c_ulong,
    /// `Seccomp: 2` in `/proc/self/status` (a filter is in force).
    pub seccomp_filter: bool,
    /// `NoNewPrivs: 1` in `/proc/self/status`.
    pub no_new_privs: bool,
    /// A probe `socket(AF_INET, SOCK_DGRAM)` failed with `EPERM`
    /// (closed again at once when it succeeded).
    pub inet_socket_denied: bool,
}

impl Observed {
    /// The strongest truthful answer to "is the network off?": the kernel
    /// flag where there is one, else whether new sockets are refused.
    ///
    /// ```
    /// let o = prctl_network::observe();
    /// let _off: bool = o.network_off();
    /// ```
    pub fn network_off(&self) -> bool {
        self.kernel_flag.unwrap_or(self.inet_socket_denied)
    }
}

/// `network: on|off`, and where the kernel lacks the series, what was
/// observed instead, labelled as such.
///
/// ```
/// let text = prctl_network::observe().to_string();
/// assert!(text.starts_with("network: "));
/// ```
impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = |off: bool| if off { "off" } else { "on" };
        match self.kernel_flag {
            Some(off) if self.unknown_flags != 0 => write!(
                f,
                "network: {} (and flags {:#x} unknown to this version)",
                word(off),
                self.unknown_flags
            ),
            Some(off) => write!(f, "network: {}", word(off)),
            None => write!(
                f,
                "network: {} (observed, not the kernel flag: the kernel lacks \
                 PR_SET_NETWORK; socket(AF_INET) {}, seccomp filter {}, no_new_privs {})",
                word(self.inet_socket_denied),
                if self.inet_socket_denied {
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
            ),
        }
    }
}

/// Observes the calling thread's confinement.
///
/// ```
/// let o = prctl_network::observe();
/// println!("{o}");
/// ```
pub fn observe() -> Observed {
    let (kernel_flag, unknown_flags) = match probe() {
        Support::Available { state } => (Some(state.is_off()), state.unknown_bits()),
        _ => (None, 0),
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .map(str::to_string)
    };
    // The descriptor, if any, is closed at once (dropped).
    let inet_socket_denied = socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .err()
        == Some(Errno::EPERM);
    Observed {
        kernel_flag,
        unknown_flags,
        seccomp_filter: field("Seccomp:").as_deref() == Some("2"),
        no_new_privs: field("NoNewPrivs:").as_deref() == Some("1"),
        inet_socket_denied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_flags_of_a_newer_kernel() {
        let mut o = Observed {
            kernel_flag: Some(true),
            unknown_flags: 0,
            seccomp_filter: false,
            no_new_privs: true,
            inet_socket_denied: true,
        };
        assert_eq!(o.to_string(), "network: off");
        o.unknown_flags = 0x4;
        assert_eq!(
            o.to_string(),
            "network: off (and flags 0x4 unknown to this version)"
        );
    }
}
