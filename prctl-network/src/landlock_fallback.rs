//! The best-effort fallback's Landlock part: deny TCP bind/connect
//! (Landlock ABI ≥ 4) and connecting to abstract `AF_UNIX` sockets outside
//! the sandbox (ABI ≥ 6), as far as the running kernel supports them.

use crate::Error;

/// What Landlock enforces after [`restrict`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LandlockParts {
    pub tcp: bool,
    pub abstract_unix: bool,
    pub abi: i32,
}

/// Restricts the calling thread with a Landlock ruleset that handles TCP
/// bind/connect (no rule allows any port) and scopes abstract unix
/// sockets, in rust-landlock's best-effort mode. `no_new_privs` has been
/// dealt with by the caller.
#[cfg(feature = "landlock")]
pub(crate) fn restrict() -> Result<LandlockParts, Error> {
    use landlock::{
        Access, AccessNet, LandlockStatus, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
        Scope, ABI,
    };

    let to_error = |operation: &'static str, e: landlock::RulesetError| Error::Os {
        operation,
        errno: os_errno(&e).unwrap_or(libc::EINVAL),
    };
    let status = Ruleset::default()
        .handle_access(AccessNet::from_all(ABI::V4))
        .and_then(|r| r.scope(Scope::AbstractUnixSocket))
        .and_then(|r| r.create())
        .map_err(|e| to_error("landlock_create_ruleset", e))?
        .no_new_privs(false)
        .restrict_self()
        .map_err(|e| to_error("landlock_restrict_self", e))?;
    let abi = match status.landlock {
        LandlockStatus::Available {
            effective_abi,
            kernel_abi,
        } => kernel_abi.unwrap_or(effective_abi as i32),
        _ => 0,
    };
    let applied = status.ruleset != RulesetStatus::NotEnforced;
    Ok(LandlockParts {
        tcp: applied && abi >= ABI::V4 as i32,
        abstract_unix: applied && abi >= ABI::V6 as i32,
        abi,
    })
}

/// Without the `landlock` feature, Landlock is not used.
#[cfg(not(feature = "landlock"))]
pub(crate) fn restrict() -> Result<LandlockParts, Error> {
    Ok(LandlockParts::default())
}

/// The errno of the first `io::Error` in an error's source chain.
#[cfg(feature = "landlock")]
fn os_errno(e: &(dyn std::error::Error + 'static)) -> Option<i32> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return io.raw_os_error();
        }
        cur = err.source();
    }
    None
}
