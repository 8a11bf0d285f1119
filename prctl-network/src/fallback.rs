//! Best-effort mode: what to do when the kernel lacks `PR_SET_NETWORK`.

use crate::{seccomp, Enforcement, Error, Fallback};

/// Installs the seccomp filter, then the Landlock ruleset, on the calling
/// thread, and reports what is in place. `no_new_privs` has been set by
/// the caller if requested; without it both need `CAP_SYS_ADMIN`.
pub(crate) fn apply() -> Result<Enforcement, Error> {
    let seccomp_socket_filter = seccomp::install()?;
    let landlock = crate::landlock_fallback::restrict()?;
    let fallback = Fallback {
        seccomp_socket_filter,
        landlock_tcp: landlock.tcp,
        landlock_abstract_unix: landlock.abstract_unix,
        landlock_abi: landlock.abi,
    };
    Ok(if fallback.any() {
        Enforcement::PartiallyEnforced(fallback)
    } else {
        Enforcement::NotEnforced
    })
}
