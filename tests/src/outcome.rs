//! What an operation returned ([`Outcome`]) and what the model says it
//! must return ([`Prediction`]).

use std::fmt;

/// The observable result of one operation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success; the value is operation specific (0 for "it worked",
    /// a byte/message count, a probe code, the prctl return value).
    Ok(i64),
    /// Failure with this errno.
    Err(i32),
    /// The operation was not run (not applicable in this world).
    Skipped,
}

impl Outcome {
    /// Parse the one-line wire form written by [`Outcome::to_wire`].
    pub fn from_wire(s: &str) -> Option<Outcome> {
        let mut it = s.split_whitespace();
        match (it.next()?, it.next()) {
            ("O", Some(v)) => v.parse().ok().map(Outcome::Ok),
            ("E", Some(v)) => v.parse().ok().map(Outcome::Err),
            ("S", None) => Some(Outcome::Skipped),
            _ => None,
        }
    }

    /// One-line wire form (used to ship outcomes out of forked children).
    pub fn to_wire(self) -> String {
        match self {
            Outcome::Ok(v) => format!("O {v}"),
            Outcome::Err(e) => format!("E {e}"),
            Outcome::Skipped => "S".to_string(),
        }
    }

    /// `Ok(n)` with any `n` folded to `Ok(0)`: for results whose value is a
    /// descriptor number or similar incidental detail.
    pub fn ok_as_zero(self) -> Outcome {
        match self {
            Outcome::Ok(_) => Outcome::Ok(0),
            o => o,
        }
    }
}

/// Symbolic name of the errnos this suite meets, else the number.
pub fn errno_name(e: i32) -> String {
    let name = match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ESRCH => "ESRCH",
        libc::EINTR => "EINTR",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENOTDIR => "ENOTDIR",
        libc::EINVAL => "EINVAL",
        libc::EMFILE => "EMFILE",
        libc::ENOSPC => "ENOSPC",
        libc::EPIPE => "EPIPE",
        libc::ENOSYS => "ENOSYS",
        libc::ENOTSOCK => "ENOTSOCK",
        libc::EDESTADDRREQ => "EDESTADDRREQ",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::EPROTOTYPE => "EPROTOTYPE",
        libc::ENOPROTOOPT => "ENOPROTOOPT",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::ESOCKTNOSUPPORT => "ESOCKTNOSUPPORT",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EADDRINUSE => "EADDRINUSE",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::ECONNRESET => "ECONNRESET",
        libc::ENOBUFS => "ENOBUFS",
        libc::EISCONN => "EISCONN",
        libc::ENOTCONN => "ENOTCONN",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::EHOSTUNREACH => "EHOSTUNREACH",
        libc::EALREADY => "EALREADY",
        libc::EINPROGRESS => "EINPROGRESS",
        libc::ENXIO => "ENXIO",
        libc::ENODEV => "ENODEV",
        _ => return format!("errno {e}"),
    };
    name.to_string()
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok(v) => write!(f, "Ok({v})"),
            Outcome::Err(e) => write!(f, "Err({})", errno_name(*e)),
            Outcome::Skipped => write!(f, "Skipped"),
        }
    }
}

/// What the model says about one operation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Prediction {
    /// The LSM denies it: exactly `Err(EPERM)`.
    Deny,
    /// One of the kernel's own early checks answers first, restricted or
    /// not (e.g. `EINVAL` for unknown socket type flags).
    Kernel(i32),
    /// An exact outcome (prctl values, probe codes, ptrace decisions...).
    Exact(Outcome),
    /// The restriction does not apply: the kernel must answer exactly what it
    /// answers to the same operation in an unrestricted process (the
    /// differential oracle).
    SameAsUnrestricted,
    /// `sendmmsg` whose message number `n` (> 0) is denied: the unrestricted
    /// answer capped at `n` messages.
    SameCappedAt(i64),
    /// The model cannot predict the kernel here (the object's state already
    /// diverged from the oracle's through an earlier denial); the outcome is
    /// recorded, not checked.
    Unchecked,
}

impl Prediction {
    /// The outcome the kernel must produce, given the oracle's outcome for
    /// the same operation and the kernel's actual one (used only for
    /// [`Prediction::Unchecked`]).
    pub fn resolve(self, oracle: Outcome, actual: Outcome) -> Outcome {
        match self {
            Prediction::Deny => Outcome::Err(libc::EPERM),
            Prediction::Kernel(e) => Outcome::Err(e),
            Prediction::Exact(o) => o,
            Prediction::SameAsUnrestricted => oracle,
            Prediction::SameCappedAt(n) => match oracle {
                Outcome::Ok(c) => Outcome::Ok(c.min(n)),
                other => other,
            },
            Prediction::Unchecked => actual,
        }
    }

    /// Whether this prediction depends on the oracle run.
    pub fn uses_oracle(self) -> bool {
        matches!(
            self,
            Prediction::SameAsUnrestricted | Prediction::SameCappedAt(_)
        )
    }
}

impl fmt::Debug for Prediction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prediction::Deny => write!(f, "Deny(EPERM)"),
            Prediction::Kernel(e) => write!(f, "Kernel({})", errno_name(*e)),
            Prediction::Exact(o) => write!(f, "Exact({o:?})"),
            Prediction::SameAsUnrestricted => write!(f, "SameAsUnrestricted"),
            Prediction::SameCappedAt(n) => write!(f, "SameAsUnrestricted(capped at {n})"),
            Prediction::Unchecked => write!(f, "Unchecked"),
        }
    }
}
