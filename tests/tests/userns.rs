//! User and network namespaces: the restriction lives in the credentials,
//! so a new user namespace (with full capabilities in it) and a new network
//! namespace change nothing. And since PR_SET_NETWORK asks for
//! CAP_SYS_ADMIN in the *current* user namespace, a process that made its
//! own user namespace may restrict itself without no_new_privs.
//!
//! Creating a user namespace may be refused by the system (policy, limits):
//! then an unrestricted process must be refused alike, and the test says
//! it skipped the namespace part.

use prctl_network_tests::check::require_series;
use prctl_network_tests::fork::{expect_eq, in_child};
use prctl_network_tests::outcome::Outcome;
use prctl_network_tests::sys;

fn unshare(flags: i32) -> Outcome {
    sys::nix_outcome(nix::sched::unshare(
        nix::sched::CloneFlags::from_bits_retain(flags),
    ))
}

/// Skipping is allowed outside the project's VM only: its kernel has
/// CONFIG_USER_NS and no policy against unprivileged user namespaces, so
/// there a refusal is a failure (the harness sets PRCTL_NETWORK_VM=1).
fn skip(why: String) -> Result<String, String> {
    if std::env::var_os("PRCTL_NETWORK_VM").is_some() {
        Err(format!("{why}: not expected in the test VM"))
    } else {
        Ok(format!("skipped: {why}"))
    }
}

fn unix_socket() -> Outcome {
    use nix::sys::socket::{AddressFamily, SockType};
    sys::try_socket(AddressFamily::Unix, SockType::Stream)
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn restriction_survives_new_user_and_net_namespace() {
    require_series();
    let flags = libc::CLONE_NEWUSER | libc::CLONE_NEWNET;
    let oracle = in_child(|| {
        let u = unshare(flags);
        let s = if u == Outcome::Ok(0) {
            sys::try_inet_socket()
        } else {
            Outcome::Skipped
        };
        Ok(format!("{}\n{}", u.to_wire(), s.to_wire()))
    })
    .unwrap();
    let mut lines = oracle.lines().map(|l| Outcome::from_wire(l).unwrap());
    let (ou, os) = (lines.next().unwrap(), lines.next().unwrap());
    let r = in_child(move || {
        sys::restrict_self();
        let u = unshare(flags);
        expect_eq(
            "unshare(CLONE_NEWUSER|CLONE_NEWNET) restricted vs unrestricted",
            u,
            ou,
        )?;
        if u != Outcome::Ok(0) {
            return Ok(format!(
                "skipped: unshare refused here ({u:?}) restricted or not"
            ));
        }
        expect_eq(
            "unrestricted socket(AF_INET) in the new namespaces",
            os,
            Outcome::Ok(0),
        )?;
        expect_eq(
            "socket(AF_INET) in the new namespaces",
            sys::try_inet_socket(),
            Outcome::Err(libc::EPERM),
        )?;
        expect_eq(
            "PR_GET_NETWORK",
            sys::get_network(0, 0, 0, 0),
            Outcome::Ok(1),
        )?;
        expect_eq(
            "PR_SET_NETWORK(0) with CAP_SYS_ADMIN in the new userns",
            sys::set_network(0, 0, 0, 0),
            Outcome::Err(libc::EPERM),
        )?;
        expect_eq("socket(AF_UNIX)", unix_socket(), Outcome::Ok(0))?;
        Ok("ok".into())
    });
    eprintln!("{r:?}");
    r.unwrap();
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn own_user_namespace_grants_the_privilege_to_restrict() {
    require_series();
    let r = in_child(|| {
        let u = unshare(libc::CLONE_NEWUSER);
        if u != Outcome::Ok(0) {
            return skip(format!("unshare(CLONE_NEWUSER) refused ({u:?})"));
        }
        // No nnp: CAP_SYS_ADMIN in the current (own) user namespace suffices.
        expect_eq(
            "PR_SET_NETWORK(OFF) without nnp in an own userns",
            sys::set_off(),
            Outcome::Ok(0),
        )?;
        expect_eq(
            "socket(AF_INET)",
            sys::try_inet_socket(),
            Outcome::Err(libc::EPERM),
        )?;
        Ok("ok".into())
    });
    eprintln!("{r:?}");
    r.unwrap();
}
