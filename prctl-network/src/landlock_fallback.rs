//! The best-effort fallback's Landlock part: a domain on every kernel with
//! Landlock (any ABI), which keeps the process from tracing processes
//! outside it (`ptrace`, `/proc/PID/mem`); TCP bind/connect denied (ABI ≥ 4);
//! connecting to abstract `AF_UNIX` sockets outside the sandbox denied
//! (ABI ≥ 6); every thread covered (ABI ≥ 8).
//!
//! A domain needs a handled access right, and before ABI 4 there are only
//! filesystem ones. The ruleset handles `LANDLOCK_ACCESS_FS_MAKE_BLOCK`
//! and `LANDLOCK_ACCESS_FS_REFER` and allows both beneath `/`, so the
//! domain changes nothing on the filesystem a process can name from its
//! root, with one exception the kernel imposes: on ABI 1 (Linux
//! 5.13–5.18), renaming or linking a file into another directory fails
//! with `EXDEV` in any domain that handles filesystem access. Closing
//! `/proc/PID/mem` is worth that; `mv` copies on `EXDEV`.

use crate::error::Error;

/// What Landlock enforces after [`restrict`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LandlockParts {
    /// A domain is in force (its ptrace rule with it).
    pub domain: bool,
    pub tcp: bool,
    pub abstract_unix: bool,
    /// The domain was put on every thread (`LANDLOCK_RESTRICT_SELF_TSYNC`).
    pub all_threads: bool,
    pub abi: i32,
}

/// Restricts the calling thread (with `all_threads`, every thread where
/// the kernel's ABI allows) with a Landlock ruleset that handles TCP
/// bind/connect (no rule allows any port), scopes abstract unix sockets,
/// and handles the two filesystem rights described in the module docs, in
/// rust-landlock's best-effort mode. `no_new_privs` has been dealt with by
/// the caller.
#[cfg(feature = "landlock")]
pub(crate) fn restrict(all_threads: bool) -> Result<LandlockParts, Error> {
    use landlock::{
        Access, AccessFs, AccessNet, LandlockStatus, PathBeneath, PathFd, RestrictSelfAttr,
        Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope, ABI,
    };

    let to_error = |operation: &'static str, e: landlock::RulesetError| match os_errno(&e) {
        Some(libc::E2BIG) if operation == "landlock_restrict_self" => Error::LandlockNestingLimit,
        errno => Error::Os {
            operation,
            errno: errno.unwrap_or(libc::EINVAL),
        },
    };
    let fs = AccessFs::MakeBlock | AccessFs::Refer;
    let root = PathFd::new("/").map_err(|e| Error::Os {
        operation: "open(\"/\", O_PATH)",
        errno: os_errno(&e).unwrap_or(libc::EINVAL),
    })?;
    let status = Ruleset::default()
        .handle_access(fs)
        .and_then(|r| r.handle_access(AccessNet::from_all(ABI::V4)))
        .and_then(|r| r.scope(Scope::AbstractUnixSocket))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rule(PathBeneath::new(root, fs)))
        .map_err(|e| to_error("landlock_create_ruleset", e))?
        .no_new_privs(false)
        .all_threads(all_threads)
        .map_err(|e| to_error("landlock_restrict_self", e))?
        .restrict_self()
        .map_err(|e| to_error("landlock_restrict_self", e))?;
    let abi = match status.landlock {
        LandlockStatus::Available {
            effective_abi,
            kernel_abi,
        } => kernel_abi.unwrap_or(effective_abi as i32),
        _ => 0,
    };
    let domain = status.ruleset != RulesetStatus::NotEnforced;
    Ok(LandlockParts {
        domain,
        tcp: domain && abi >= ABI::V4 as i32,
        abstract_unix: domain && abi >= ABI::V6 as i32,
        all_threads: domain && status.all_threads,
        abi,
    })
}

/// Without the `landlock` feature, Landlock is not used.
#[cfg(not(feature = "landlock"))]
pub(crate) fn restrict(_all_threads: bool) -> Result<LandlockParts, Error> {
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
