//! Best effort: the kernel's `PR_SET_NETWORK` where it exists, otherwise a
//! seccomp filter and a Landlock domain, with a printed status of what is
//! and is not enforced.
//!
//! Run it with `cargo run --example best_effort`. On a kernel with the
//! series it prints `fully enforced by PR_SET_NETWORK`. On a stock kernel
//! it prints `partially enforced: in force: ...; NOT enforced: ...`, naming
//! every part the fallback cannot cover (for example `sendto()` on an
//! inherited UDP socket), or `not enforced` where neither seccomp nor
//! Landlock is available; a program that must not run unrestricted should
//! then stop, as this one does.

use std::process::ExitCode;

use prctl_network::{Enforcement, Restriction};

fn main() -> ExitCode {
    let status = match Restriction::new().best_effort(true).restrict() {
        Ok(status) => status,
        Err(e) => {
            eprintln!("cannot restrict: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{status}");
    match status.enforcement {
        Enforcement::FullyEnforced => println!("complete: {}", status.is_complete()),
        Enforcement::PartiallyEnforced(_) => println!("weaker than PR_SET_NETWORK (see above)"),
        Enforcement::NotEnforced => {
            eprintln!("nothing could be enforced: stopping");
            return ExitCode::FAILURE;
        }
        _ => {}
    }
    // A new socket of any family but AF_UNIX is refused in every mode that
    // enforces anything.
    match std::net::UdpSocket::bind("127.0.0.1:0") {
        Err(e) => println!("new UDP socket: {e}"),
        Ok(_) => println!("new UDP socket: allowed"),
    }
    ExitCode::SUCCESS
}
