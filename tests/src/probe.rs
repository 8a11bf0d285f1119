//! The probe report: what a task (a forked child, a thread, or the
//! `pn-suid-probe` program after an exec) says about itself, packed in an
//! exit code so it survives `exec` and `_exit`.

/// Bit 0: `PR_GET_NETWORK` returned `PR_NETWORK_OFF`.
pub const OFF: u8 = 1;
/// Bit 1: `socket(AF_INET, SOCK_DGRAM, 0)` failed with `EPERM`.
pub const INET_DENIED: u8 = 2;
/// Bit 2: effective uid is 0.
pub const EUID0: u8 = 4;
/// Bit 3: real uid is 0.
pub const RUID0: u8 = 8;
/// Bit 4: something unexpected (`PR_GET_NETWORK` failed, or the socket
/// failed with another errno).
pub const ERROR: u8 = 16;

/// The code a task with these properties must report.
pub fn expected_code(restricted: bool, euid0: bool, ruid0: bool) -> u8 {
    let mut c = 0;
    if restricted {
        c |= OFF | INET_DENIED;
    }
    if euid0 {
        c |= EUID0;
    }
    if ruid0 {
        c |= RUID0;
    }
    c
}

/// Compute the calling thread's report (async-signal-safe enough for a
/// forked child: no allocation).
pub fn report() -> u8 {
    let mut c = 0;
    match crate::sys::get_network(0, 0, 0, 0) {
        crate::outcome::Outcome::Ok(1) => c |= OFF,
        crate::outcome::Outcome::Ok(0) => {}
        _ => c |= ERROR,
    }
    match crate::sys::try_inet_socket() {
        crate::outcome::Outcome::Ok(_) => {}
        crate::outcome::Outcome::Err(e) if e == libc::EPERM => c |= INET_DENIED,
        _ => c |= ERROR,
    }
    if nix::unistd::geteuid().is_root() {
        c |= EUID0;
    }
    if nix::unistd::getuid().is_root() {
        c |= RUID0;
    }
    c
}

/// Human-readable form of a code.
pub fn describe(c: u8) -> String {
    format!(
        "network_off={} inet_socket={} euid0={} ruid0={}{}",
        c & OFF != 0,
        if c & INET_DENIED != 0 { "EPERM" } else { "ok" },
        c & EUID0 != 0,
        c & RUID0 != 0,
        if c & ERROR != 0 {
            " UNEXPECTED-ERROR"
        } else {
            ""
        }
    )
}
