//! Thin raw-syscall helpers shared by the kernel-facing modules.
//!
//! Everything here returns the kernel's answer as an [`Outcome`]: no
//! interpretation, so the comparison with the model stays honest. `nix`
//! where it has the call; raw `libc` where the arguments are the test's
//! subject (any prctl option and argument value) or nix lacks the call
//! (capget/capset).

use std::os::fd::IntoRawFd;

use nix::errno::Errno;
use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::abi::{PR_GET_NETWORK, PR_SET_NETWORK};
use crate::outcome::Outcome;

/// The calling thread's `errno`.
pub fn errno() -> i32 {
    Errno::last_raw()
}

/// A nix result as an [`Outcome`] (`Ok(0)` or the errno).
pub fn nix_outcome<T>(r: nix::Result<T>) -> Outcome {
    match r {
        Ok(_) => Outcome::Ok(0),
        Err(e) => Outcome::Err(e as i32),
    }
}

/// A raw syscall result (`-1` + errno convention) as an [`Outcome`].
pub fn outcome(r: libc::c_long) -> Outcome {
    if r < 0 {
        Outcome::Err(errno())
    } else {
        Outcome::Ok(r)
    }
}

/// `prctl(option, a2, a3, a4, a5)` with full 64-bit arguments.
pub fn prctl_raw(option: i32, a2: u64, a3: u64, a4: u64, a5: u64) -> Outcome {
    // SAFETY: only called with PR_SET_NETWORK / PR_GET_NETWORK and the
    // integer-only options below, none of which dereference its arguments.
    let r = unsafe {
        libc::syscall(
            libc::SYS_prctl,
            option as libc::c_long,
            a2 as libc::c_ulong,
            a3 as libc::c_ulong,
            a4 as libc::c_ulong,
            a5 as libc::c_ulong,
        )
    };
    outcome(r)
}

/// `prctl(PR_SET_NETWORK, flags, a3, a4, a5)`.
pub fn set_network(flags: u64, a3: u64, a4: u64, a5: u64) -> Outcome {
    prctl_raw(PR_SET_NETWORK, flags, a3, a4, a5)
}

/// `prctl(PR_GET_NETWORK, a2, a3, a4, a5)`.
pub fn get_network(a2: u64, a3: u64, a4: u64, a5: u64) -> Outcome {
    prctl_raw(PR_GET_NETWORK, a2, a3, a4, a5)
}

/// `prctl(PR_SET_NETWORK, PR_NETWORK_OFF, 0, 0, 0)`.
pub fn set_off() -> Outcome {
    set_network(1, 0, 0, 0)
}

/// `prctl(PR_SET_NETWORK, PR_NETWORK_OFF, PR_NETWORK_TSYNC, 0, 0)`: every
/// thread of the process.
pub fn set_off_tsync() -> Outcome {
    set_network(1, crate::abi::PR_NETWORK_TSYNC, 0, 0)
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)`.
pub fn set_nnp() -> Outcome {
    nix_outcome(nix::sys::prctl::set_no_new_privs())
}

/// `prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY)`: let Yama allow any
/// process of ours to attach, so that only the LSM under test decides.
pub fn allow_any_ptracer() -> Outcome {
    // PR_SET_PTRACER_ANY is (unsigned long)-1.
    prctl_raw(libc::PR_SET_PTRACER, u64::MAX, 0, 0, 0)
}

/// NNP first, then PR_NETWORK_OFF; panics if either fails. For tests that
/// just need "a restricted process", as root or not.
pub fn restrict_self() {
    assert_eq!(set_nnp(), Outcome::Ok(0), "PR_SET_NO_NEW_PRIVS");
    let r = set_off();
    assert_eq!(
        r,
        Outcome::Ok(0),
        "PR_SET_NETWORK(PR_NETWORK_OFF) failed: does this kernel carry the prctl-network series?"
    );
}

const CAP_V3: u32 = 0x2008_0522;
const CAP_SYS_ADMIN: u32 = 21;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

fn capget() -> [CapData; 2] {
    let mut hdr = CapHeader {
        version: CAP_V3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and a 2-element data array as capget(2) expects for v3.
    let r = unsafe { libc::syscall(libc::SYS_capget, &mut hdr, data.as_mut_ptr()) };
    assert_eq!(r, 0, "capget: {}", std::io::Error::last_os_error());
    data
}

/// Does the calling thread have CAP_SYS_ADMIN in its effective set?
pub fn has_sys_admin() -> bool {
    capget()[0].effective & (1 << CAP_SYS_ADMIN) != 0
}

/// Drop CAP_SYS_ADMIN from the calling thread's effective set (permitted
/// unchanged, so dumpability does not change).
pub fn drop_sys_admin() -> Outcome {
    let mut data = capget();
    data[0].effective &= !(1 << CAP_SYS_ADMIN);
    let mut hdr = CapHeader {
        version: CAP_V3,
        pid: 0,
    };
    // SAFETY: as in capget().
    let r = unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) };
    outcome(r)
}

/// `socket(family, ty, 0)`, closed again: `Ok(0)` or the errno.
pub fn try_socket(family: AddressFamily, ty: SockType) -> Outcome {
    nix_outcome(socket(family, ty, SockFlag::SOCK_CLOEXEC, None))
}

/// `socket(AF_INET, SOCK_DGRAM, 0)`, closed again: `Ok(0)` or the errno.
pub fn try_inet_socket() -> Outcome {
    try_socket(AddressFamily::Inet, SockType::Datagram)
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `_exit(code)`.
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
}

impl Exit {
    /// Whether it exited with code 0.
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }
}

/// Human-readable: "exit code N" or "killed by signal N".
impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "exit code {c}"),
            Exit::Signal(s) => write!(f, "killed by signal {s}"),
        }
    }
}

/// Wait for `pid` to end (looping over ptrace stops and EINTR).
pub fn wait_exit(pid: libc::pid_t) -> Exit {
    loop {
        match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::__WALL)) {
            Err(Errno::EINTR) => continue,
            Err(e) => panic!("waitpid({pid}): {e}"),
            Ok(WaitStatus::Exited(_, code)) => return Exit::Code(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Exit::Signal(sig as i32),
            Ok(_) => continue,
        }
    }
}

/// `pipe2(O_CLOEXEC)`.
pub fn pipe() -> (i32, i32) {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2");
    (r.into_raw_fd(), w.into_raw_fd())
}

/// Close a descriptor, ignoring errors.
pub fn close(fd: i32) {
    if fd >= 0 {
        let _ = nix::unistd::close(fd);
    }
}

/// `_exit(code)`: leave a forked child without running the parent's
/// atexit handlers or destructors.
/// The one raw `_exit` of the crate (nix has none).
pub fn exit_child(code: i32) -> ! {
    // SAFETY: ends the process at once; nothing of ours is left in use.
    unsafe { libc::_exit(code) }
}
