//! Bench mode: in-VM microbenchmarks for the `prctl_network` LSM
//! (`cargo xtask bench`).
//!
//! The 2009 series was turned down on cost ("dumping crap into everyone's
//! kernel fast paths"). The project claims two things, and this program
//! measures exactly those:
//!
//! 1. **No measurable cost when unused**: the socket hooks of an enabled
//!    module whose flag is clear (state `b`) against the same kernel booted
//!    with `lsm=landlock,yama`, i.e. without the module at all (state `a`).
//! 2. **A denial cheaper than the alternatives**: the flag set (state `c`)
//!    against a seccomp-bpf filter returning `EPERM` for non-`AF_UNIX`
//!    `socket()` (state `d`, systemd's `RestrictAddressFamilies=`) and a
//!    Landlock ruleset denying TCP connect/bind (state `e`).
//!
//! # States
//!
//! | state | what the measuring process runs under |
//! |-------|----------------------------------------|
//! | `a`   | kernel booted with `lsm=landlock,yama` (module not enabled), no restriction |
//! | `b`   | module enabled, `PR_GET_NETWORK` flag clear |
//! | `c`   | `PR_SET_NETWORK, PR_NETWORK_OFF` (the denial path) |
//! | `d`   | seccomp-bpf: arch == x86_64, `nr == __NR_socket && args[0] != AF_UNIX` -> `ERRNO(EPERM)`, else allow (x32 syscalls: `EPERM`) |
//! | `e`   | Landlock (ABI >= 4) ruleset handling `CONNECT_TCP`/`BIND_TCP`, no rule |
//!
//! Every state, the unrestricted ones included, runs in a freshly forked
//! child (restrictions are irreversible, and fork-per-state keeps the
//! unrestricted states comparable), with `no_new_privs` set in all of them
//! (required by `c`, `d` and `e`; it changes no socket path). The child is
//! pinned to the last CPU (the VM kernel is SMP with two vCPUs, so /init
//! and the kernel's housekeeping can use the other; `BENCH-INFO cpus=`
//! says). Sockets a restricted state must still hold (the
//! UDP pair, a TCP socket for the denied connect, the `AF_UNIX` server) are
//! made before the restriction, as a sandboxed service would inherit them.
//!
//! # Operations
//!
//! | op | syscalls per op | states |
//! |----|-----------------|--------|
//! | `null`               | `getppid()`: touches no hook; the boot-to-boot noise floor | all |
//! | `socket_close`       | `socket(AF_INET, SOCK_DGRAM)` + `close` | a b e |
//! | `socket_denied`      | `socket(AF_INET, SOCK_DGRAM)` -> `EPERM` | c d |
//! | `sendto`             | 16-byte `sendto` to a bound UDP socket on 127.0.0.1 | a b d e |
//! | `sendto_denied`      | the same `sendto` -> `EPERM` (the address is checked) | c |
//! | `unix_connect`       | `socket(AF_UNIX, SOCK_DGRAM)` + `connect` to a pathname + `close` | all |
//! | `tcp_connect_denied` | `connect` of an inherited TCP socket to 127.0.0.1:9 -> `EPERM`/`EACCES` | c e |
//! | `tcp_attempt`        | what a denied client pays: `socket(AF_INET, SOCK_STREAM)`, and if that works `connect` (denied) + `close` | c d e |
//!
//! `sendto` is timed in chunks of 64 sends; between chunks (untimed) the
//! receiver is drained with `MSG_DONTWAIT` reads so the queue never fills
//! (a full queue drops silently, which would time a different path).
//! Each op first runs `iters / 10` untimed warm-up iterations, during
//! which the result (success, or the expected errno) is checked: a state
//! that does not deny what it should prints `BENCH-ERROR` instead of
//! numbers. Then the child sleeps 40 ms (untimed) so that the deferred work
//! of what ran before (RCU frees of sockets) is not charged to the sample.
//!
//! # Rounds and output
//!
//! `--rounds N` rounds; in each round every state runs once (`--iters M`
//! iterations per op), the order of the states rotating from round to
//! round, so that noise (under QEMU TCG mostly the host) hits every state
//! alike. One line per measurement, for the host to parse:
//!
//! ```text
//! BENCH-INFO boot=B1 module=enabled(flags=0) landlock_abi=6 cpus=1 ... tsc_ghz=2.995 ...
//! BENCH boot=B1 state=c op=socket_denied round=3 iters=2000 ticks_per_op=3701.2 ns_per_op=1234.5
//! BENCH-SKIP state=e reason=...
//! BENCH-ERROR state=d op=socket_denied msg=...
//! BENCH-DONE boot=B1
//! ```
//!
//! Time is read with `rdtsc`. `cargo xtask bench` runs QEMU with `-icount
//! shift=0,sleep=off` by default: the guest's virtual clock, its TSC
//! included, then advances by one per guest instruction (of either vCPU), so
//! `ticks_per_op` is guest instructions per op, repeatable from boot to
//! boot, and `tsc_ghz` reads 1.000. With `--wall` (or run by hand) under
//! QEMU TCG `rdtsc` returns the host's TSC, a fine-grained clock that costs
//! no syscall; right after boot the VM kernel (tinyconfig) runs on the
//! `refined-jiffies` clocksource (4 ms steps) until the TSC is calibrated.
//! `ns_per_op` divides the ticks by the TSC rate measured against
//! `CLOCK_MONOTONIC` over one second once the clocksource is `tsc` (for
//! reading only; the same factor for every line of a boot).
//!
//! The host (`cargo xtask bench`) computes min and median per (state, op)
//! and the ratios.
//!
//! `--tsync-rounds N` adds the TSYNC samples (tsync.rs): one
//! `PR_SET_NETWORK` with `PR_NETWORK_TSYNC` or one seccomp
//! `SECCOMP_FILTER_FLAG_TSYNC` per forked child, with the sibling threads of
//! `--tsync-sets` (default `0s,1s,16s,256s,1024s,16b`: N sleeping or busy),
//! before the op rounds (`--rounds 0`: none).
//!
//! Options: `--rounds N` (default 10), `--iters M` (default 2000),
//! `--states auto|LIST` (default `auto`: `b,c,d,e` when the module answers
//! `PR_GET_NETWORK`, else `a,d,e`), `--boot LABEL` (echoed in every line),
//! `--tsync-rounds N` (default 0), `--tsync-sets LIST`.
//!
//! As PID 1 (how `cargo xtask bench` boots it, with the options after `--`
//! on the kernel command line) it mounts what the benchmark needs and
//! brings `lo` up first, nothing else runs in the guest; run by hand it
//! measures in the running system.

use crate::pid1::{self, emit, Mount};
use crate::tsync;
use prctl_network_sys::{prctl_get_network, prctl_set_network, PR_NETWORK_OFF};
use prctl_network_vm_protocol::{BenchSample, Event};
use std::fmt::Display;
use std::io::Write;
use std::time::Instant;

// seccomp / classic BPF (linux/seccomp.h, linux/filter.h, linux/audit.h).
const SECCOMP_MODE_FILTER: libc::c_ulong = 2;
const SECCOMP_SET_MODE_FILTER: libc::c_ulong = 1;
const SECCOMP_FILTER_FLAG_TSYNC: libc::c_ulong = 1;
const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
const BPF_LD_W_ABS: u16 = 0x20; // BPF_LD (0) | BPF_W (0) | BPF_ABS (0x20)
const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_JMP_JGE_K: u16 = 0x05 | 0x30; // BPF_JMP | BPF_JGE | BPF_K
const BPF_RET_K: u16 = 0x06;

// Landlock (linux/landlock.h); x86_64 syscall numbers.
const SYS_LANDLOCK_CREATE_RULESET: libc::c_long = 444;
const SYS_LANDLOCK_RESTRICT_SELF: libc::c_long = 446;
const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1;
const LANDLOCK_ACCESS_NET_BIND_TCP: u64 = 1 << 0;
const LANDLOCK_ACCESS_NET_CONNECT_TCP: u64 = 1 << 1;

/// Datagrams sent per timed `sendto` chunk before the receiver is drained.
const SEND_CHUNK: u64 = 64;
/// 127.0.0.1:9 (discard): nothing listens; only reached if nothing denies.
const TCP_PORT: u16 = 9;

#[repr(C)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

#[repr(C)]
struct SockFprog {
    len: libc::c_ushort,
    filter: *const SockFilter,
}

#[repr(C)]
struct LandlockRulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    A,
    B,
    C,
    D,
    E,
}

impl State {
    fn letter(self) -> char {
        match self {
            State::A => 'a',
            State::B => 'b',
            State::C => 'c',
            State::D => 'd',
            State::E => 'e',
        }
    }
    fn parse(c: char) -> Option<State> {
        Some(match c {
            'a' => State::A,
            'b' => State::B,
            'c' => State::C,
            'd' => State::D,
            'e' => State::E,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Null,
    SocketClose,
    SocketDenied,
    Sendto,
    SendtoDenied,
    UnixConnect,
    TcpConnectDenied,
    TcpAttempt,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Null => "null",
            Op::SocketClose => "socket_close",
            Op::SocketDenied => "socket_denied",
            Op::Sendto => "sendto",
            Op::SendtoDenied => "sendto_denied",
            Op::UnixConnect => "unix_connect",
            Op::TcpConnectDenied => "tcp_connect_denied",
            Op::TcpAttempt => "tcp_attempt",
        }
    }
}

/// The ops measured in a state (see the crate docs' table).
fn ops_for(s: State) -> &'static [Op] {
    use Op::*;
    match s {
        State::A | State::B => &[Null, SocketClose, Sendto, UnixConnect],
        State::C => &[
            Null,
            SocketDenied,
            SendtoDenied,
            UnixConnect,
            TcpConnectDenied,
            TcpAttempt,
        ],
        State::D => &[Null, SocketDenied, Sendto, UnixConnect, TcpAttempt],
        State::E => &[
            Null,
            SocketClose,
            Sendto,
            UnixConnect,
            TcpConnectDenied,
            TcpAttempt,
        ],
    }
}

/// A `BENCH-ERROR boot=B state=S op=O msg=M` line.
pub fn error(boot: &str, state: impl Display, op: impl Display, msg: impl Display) {
    emit(&Event::BenchError {
        boot: boot.to_string(),
        state: state.to_string(),
        op: op.to_string(),
        msg: msg.to_string(),
    });
}

/// A `BENCH-SKIP boot=B state=S reason=R` line.
pub fn skip(boot: &str, state: impl Display, reason: impl Display) {
    emit(&Event::BenchSkip {
        boot: boot.to_string(),
        state: state.to_string(),
        reason: reason.to_string(),
    });
}

/// The wait status of our child `pid` (EINTR retried).
pub fn wait_child(pid: libc::pid_t) -> std::io::Result<libc::c_int> {
    let mut st = 0;
    // SAFETY: waiting for our own child into a local.
    while unsafe { libc::waitpid(pid, &mut st, 0) } < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
    Ok(st)
}

pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn err_name(e: i32) -> String {
    match e {
        0 => "success".into(),
        libc::EPERM => "EPERM".into(),
        libc::EACCES => "EACCES".into(),
        libc::ECONNREFUSED => "ECONNREFUSED".into(),
        libc::EINVAL => "EINVAL".into(),
        e => format!("errno {e}"),
    }
}

fn sockaddr_in(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// Module present? `PR_GET_NETWORK` answers 0/1 with it, `EINVAL` without.
pub fn module_flags() -> Option<i32> {
    let r = prctl_get_network();
    (r >= 0).then_some(r)
}

fn landlock_abi() -> i64 {
    // SAFETY: the documented version query: NULL attr, size 0.
    unsafe {
        libc::syscall(
            SYS_LANDLOCK_CREATE_RULESET,
            std::ptr::null::<LandlockRulesetAttr>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    }
}

/// Everything a state's child uses, created before any restriction.
struct Fixture {
    udp_tx: i32,
    udp_rx: i32,
    udp_dst: libc::sockaddr_in,
    tcp: i32,
    tcp_dst: libc::sockaddr_in,
    unix_dst: libc::sockaddr_un,
    unix_len: libc::socklen_t,
    unix_srv: i32,
    unix_path: String,
}

pub fn check(r: libc::c_int, what: &str) -> Result<libc::c_int, String> {
    if r < 0 {
        Err(format!("{what}: {}", std::io::Error::last_os_error()))
    } else {
        Ok(r)
    }
}

impl Fixture {
    fn new() -> Result<Fixture, String> {
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        // SAFETY: plain socket calls on stack-owned addresses.
        unsafe {
            let udp_rx = check(
                libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0),
                "udp rx socket",
            )?;
            // 4 MB receive buffer (root may exceed rmem_max with RCVBUFFORCE):
            // with the drains between chunks the queue stays far below it.
            let big: libc::c_int = 4 << 20;
            libc::setsockopt(
                udp_rx,
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                (&big as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
            let any = sockaddr_in(0);
            check(
                libc::bind(udp_rx, (&any as *const libc::sockaddr_in).cast(), len),
                "udp bind 127.0.0.1:0",
            )?;
            let mut udp_dst = sockaddr_in(0);
            let mut l = len;
            check(
                libc::getsockname(
                    udp_rx,
                    (&mut udp_dst as *mut libc::sockaddr_in).cast(),
                    &mut l,
                ),
                "getsockname",
            )?;
            let udp_tx = check(
                libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0),
                "udp tx socket",
            )?;
            let tcp = check(
                libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0),
                "tcp socket",
            )?;

            let unix_path = format!("/tmp/pnbench-{}.sock", libc::getpid());
            let mut unix_dst: libc::sockaddr_un = std::mem::zeroed();
            unix_dst.sun_family = libc::AF_UNIX as libc::sa_family_t;
            for (d, s) in unix_dst.sun_path.iter_mut().zip(unix_path.bytes()) {
                *d = s as libc::c_char;
            }
            let unix_len =
                (std::mem::size_of::<libc::sa_family_t>() + unix_path.len() + 1) as libc::socklen_t;
            let unix_srv = check(
                libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0),
                "unix socket",
            )?;
            let cpath = std::ffi::CString::new(unix_path.clone()).expect("no NUL");
            libc::unlink(cpath.as_ptr());
            check(
                libc::bind(
                    unix_srv,
                    (&unix_dst as *const libc::sockaddr_un).cast(),
                    unix_len,
                ),
                &format!("bind {unix_path}"),
            )?;
            Ok(Fixture {
                udp_tx,
                udp_rx,
                udp_dst,
                tcp,
                tcp_dst: sockaddr_in(TCP_PORT),
                unix_dst,
                unix_len,
                unix_srv,
                unix_path,
            })
        }
    }

    fn drain(&self) {
        let mut buf = [0u8; 64];
        // SAFETY: reading into a stack buffer.
        while unsafe {
            libc::recv(
                self.udp_rx,
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        } >= 0
        {}
    }

    /// One operation; returns 0 on success or the errno of the call that
    /// decides the outcome.
    #[inline(always)]
    fn op(&self, op: Op) -> i32 {
        let inlen = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        // SAFETY: syscalls on descriptors we own and stack-owned addresses.
        unsafe {
            match op {
                Op::Null => {
                    libc::syscall(libc::SYS_getppid);
                    0
                }
                Op::SocketClose | Op::SocketDenied => {
                    let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
                    if fd < 0 {
                        return errno();
                    }
                    libc::close(fd);
                    0
                }
                Op::Sendto | Op::SendtoDenied => {
                    let msg = [0x5au8; 16];
                    let r = libc::sendto(
                        self.udp_tx,
                        msg.as_ptr().cast(),
                        msg.len(),
                        0,
                        (&self.udp_dst as *const libc::sockaddr_in).cast(),
                        inlen,
                    );
                    if r < 0 {
                        errno()
                    } else {
                        0
                    }
                }
                Op::UnixConnect => {
                    let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0);
                    if fd < 0 {
                        return errno();
                    }
                    let r = libc::connect(
                        fd,
                        (&self.unix_dst as *const libc::sockaddr_un).cast(),
                        self.unix_len,
                    );
                    let e = if r < 0 { errno() } else { 0 };
                    libc::close(fd);
                    e
                }
                Op::TcpConnectDenied => {
                    let r = libc::connect(
                        self.tcp,
                        (&self.tcp_dst as *const libc::sockaddr_in).cast(),
                        inlen,
                    );
                    if r < 0 {
                        errno()
                    } else {
                        0
                    }
                }
                Op::TcpAttempt => {
                    let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
                    if fd < 0 {
                        return errno();
                    }
                    let r = libc::connect(
                        fd,
                        (&self.tcp_dst as *const libc::sockaddr_in).cast(),
                        inlen,
                    );
                    let e = if r < 0 { errno() } else { 0 };
                    libc::close(fd);
                    e
                }
            }
        }
    }
}

/// The errno(s) an op must end with in a state (0 = success).
fn expected(state: State, op: Op) -> &'static [i32] {
    match (state, op) {
        (_, Op::Null | Op::SocketClose | Op::Sendto | Op::UnixConnect) => &[0],
        (_, Op::SocketDenied | Op::SendtoDenied) => &[libc::EPERM],
        (State::C, Op::TcpConnectDenied) => &[libc::EPERM],
        (_, Op::TcpConnectDenied) => &[libc::EACCES],
        // c, d: socket() is refused; e: socket() works and connect is refused.
        (State::C | State::D, Op::TcpAttempt) => &[libc::EPERM],
        (_, Op::TcpAttempt) => &[libc::EACCES],
    }
}

/// The seccomp filter of state `d`, installed with `prctl(PR_SET_SECCOMP)`,
/// or with `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC)` on
/// every thread when `tsync` (the TSYNC comparison, see tsync.rs).
pub fn seccomp_filter_with(tsync: bool) -> Result<(), String> {
    let stmt = |code, k| SockFilter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |code, k, jt, jf| SockFilter { code, jt, jf, k };
    // struct seccomp_data: nr @0, arch @4, instruction_pointer @8, args[] @16.
    // args[0] is socket()'s int family: its low 32 bits (little endian) decide.
    let prog = [
        /* 0 */ stmt(BPF_LD_W_ABS, 4),
        /* 1 */ jump(BPF_JMP_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        /* 2 */ stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
        /* 3 */ stmt(BPF_LD_W_ABS, 0),
        // x32 syscalls carry the same arch; a socket() there would slip past
        // the nr test below, so the whole x32 ABI is refused.
        /* 4 */
        jump(BPF_JMP_JGE_K, X32_SYSCALL_BIT, 3, 0),
        /* 5 */ jump(BPF_JMP_JEQ_K, libc::SYS_socket as u32, 0, 3),
        /* 6 */ stmt(BPF_LD_W_ABS, 16),
        /* 7 */ jump(BPF_JMP_JEQ_K, libc::AF_UNIX as u32, 1, 0),
        /* 8 */ stmt(BPF_RET_K, SECCOMP_RET_ERRNO | libc::EPERM as u32),
        /* 9 */ stmt(BPF_RET_K, SECCOMP_RET_ALLOW),
    ];
    let fprog = SockFprog {
        len: prog.len() as libc::c_ushort,
        filter: prog.as_ptr(),
    };
    if tsync {
        // SAFETY: the program outlives the call; the kernel copies it.
        let r = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                SECCOMP_SET_MODE_FILTER,
                SECCOMP_FILTER_FLAG_TSYNC,
                &fprog as *const SockFprog,
            )
        };
        return match r {
            0 => Ok(()),
            r if r < 0 => Err(format!(
                "seccomp(SECCOMP_FILTER_FLAG_TSYNC): {}",
                std::io::Error::last_os_error()
            )),
            tid => Err(format!(
                "seccomp(SECCOMP_FILTER_FLAG_TSYNC): thread {tid} cannot be synchronised"
            )),
        };
    }
    // SAFETY: the program outlives the call; the kernel copies it.
    check(
        unsafe {
            libc::prctl(
                libc::PR_SET_SECCOMP,
                SECCOMP_MODE_FILTER,
                &fprog as *const SockFprog,
                0,
                0,
            )
        },
        "PR_SET_SECCOMP",
    )
    .map(drop)
}

fn seccomp_filter() -> Result<(), String> {
    seccomp_filter_with(false)
}

fn landlock_restrict() -> Result<(), String> {
    let attr = LandlockRulesetAttr {
        handled_access_fs: 0,
        handled_access_net: LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP,
    };
    // SAFETY: the attr struct is valid for the given size.
    unsafe {
        let fd = libc::syscall(
            SYS_LANDLOCK_CREATE_RULESET,
            &attr as *const LandlockRulesetAttr,
            std::mem::size_of::<LandlockRulesetAttr>(),
            0u32,
        );
        if fd < 0 {
            return Err(format!(
                "landlock_create_ruleset: {}",
                std::io::Error::last_os_error()
            ));
        }
        let r = libc::syscall(SYS_LANDLOCK_RESTRICT_SELF, fd as libc::c_int, 0u32);
        libc::close(fd as libc::c_int);
        if r < 0 {
            return Err(format!(
                "landlock_restrict_self: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

fn enter(state: State) -> Result<(), String> {
    // SAFETY: prctl with integer arguments.
    check(
        unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) },
        "PR_SET_NO_NEW_PRIVS",
    )?;
    match state {
        State::A | State::B => Ok(()),
        State::C => {
            check(prctl_set_network(PR_NETWORK_OFF), "PR_SET_NETWORK")?;
            match module_flags() {
                Some(1) => Ok(()),
                other => Err(format!("PR_GET_NETWORK after PR_SET_NETWORK: {other:?}")),
            }
        }
        State::D => seccomp_filter(),
        State::E => landlock_restrict(),
    }
}

fn pin_last_cpu() {
    // SAFETY: a zeroed cpu_set_t filled through the libc macros.
    unsafe {
        let n = libc::sysconf(libc::_SC_NPROCESSORS_ONLN).max(1) as usize;
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(n - 1, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// TSC ticks per op over `iters` iterations of `op`; an error when a
/// result (checked during the warm-up) is not the expected one.
fn measure(fx: &Fixture, state: State, op: Op, iters: u64) -> Result<f64, String> {
    let want = expected(state, op);
    let warm = (iters / 10).max(1);
    for i in 0..warm {
        let e = fx.op(op);
        if !want.contains(&e) {
            return Err(format!(
                "iteration {i}: {} (expected {})",
                err_name(e),
                want.iter()
                    .map(|&e| err_name(e))
                    .collect::<Vec<_>>()
                    .join("|")
            ));
        }
        if matches!(op, Op::Sendto) && i % SEND_CHUNK == SEND_CHUNK - 1 {
            fx.drain();
        }
    }
    fx.drain();
    settle();
    let mut total = 0u64;
    if matches!(op, Op::Sendto | Op::SendtoDenied) {
        let mut done = 0;
        while done < iters {
            let n = SEND_CHUNK.min(iters - done);
            let t = ticks();
            for _ in 0..n {
                std::hint::black_box(fx.op(op));
            }
            total += ticks() - t;
            fx.drain();
            done += n;
        }
    } else {
        let t = ticks();
        for _ in 0..iters {
            std::hint::black_box(fx.op(op));
        }
        total = ticks() - t;
    }
    Ok(total as f64 / iters as f64)
}

/// Milliseconds of sleep before each timed sample (see [`settle`]).
const SETTLE_MS: u64 = 40;

/// Lets the kernel finish the deferred work of what ran before (sockets
/// freed after an RCU grace period, by the warm-up or the previous op or
/// state) so that it is not charged to the next timed sample: 40 ms are ten
/// ticks at HZ=250, enough for grace periods to end and their callbacks to
/// run. Under `-icount ... sleep=off` idle time costs no host time. Without
/// it, `socket_close`'s frees landed in the following samples and moved
/// their medians by up to 7% from boot to boot.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(SETTLE_MS));
}

/// The time stamp counter (see the crate docs: under QEMU TCG the host's TSC).
pub fn ticks() -> u64 {
    // SAFETY: rdtsc is available on every x86_64 CPU.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// TSC ticks per nanosecond, against CLOCK_MONOTONIC over `ms` milliseconds
/// (only to print ns next to ticks: ratios are computed from ticks).
fn ticks_per_ns(ms: u64) -> f64 {
    let (t0, c0) = (Instant::now(), ticks());
    std::thread::sleep(std::time::Duration::from_millis(ms));
    let (t1, c1) = (Instant::now(), ticks());
    (c1 - c0) as f64 / (t1 - t0).as_nanos().max(1) as f64
}

/// The forked child of one state: set up, restrict, measure every op.
fn child(state: State, round: u32, iters: u64, boot: &str, tpn: f64) -> i32 {
    pin_last_cpu();
    let fx = match Fixture::new() {
        Ok(f) => f,
        Err(e) => {
            error(boot, state.letter(), "setup", e);
            return 1;
        }
    };
    if let Err(e) = enter(state) {
        error(boot, state.letter(), "restrict", e);
        return 1;
    }
    let mut status = 0;
    for &op in ops_for(state) {
        match measure(&fx, state, op, iters) {
            Ok(t) => emit(&Event::Bench(BenchSample {
                boot: boot.to_string(),
                state: state.letter(),
                op: op.name().to_string(),
                round,
                iters,
                ticks_per_op: t,
                ns_per_op: t / tpn,
            })),
            Err(e) => {
                error(boot, state.letter(), op.name(), e);
                status = 1;
            }
        }
    }
    // SAFETY: closing our own descriptors; the path is ours.
    unsafe {
        for fd in [fx.udp_tx, fx.udp_rx, fx.tcp, fx.unix_srv] {
            libc::close(fd);
        }
        let p = std::ffi::CString::new(fx.unix_path.clone()).expect("no NUL");
        libc::unlink(p.as_ptr());
    }
    status
}

fn run_state(state: State, round: u32, iters: u64, boot: &str, tpn: f64) -> bool {
    let _ = std::io::stdout().flush();
    // SAFETY: the program is single-threaded, so the child may run Rust code.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code = child(state, round, iters, boot, tpn);
        let _ = std::io::stdout().flush();
        // SAFETY: leave the child without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    if pid < 0 {
        error(
            boot,
            state.letter(),
            "fork",
            std::io::Error::last_os_error(),
        );
        return false;
    }
    let st = match wait_child(pid) {
        Ok(st) => st,
        Err(e) => {
            error(boot, state.letter(), "child", format!("waitpid: {e}"));
            return false;
        }
    };
    if !(libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0) {
        error(
            boot,
            state.letter(),
            "child",
            format!("wait status {st:#x}"),
        );
        return false;
    }
    true
}

struct Args {
    rounds: u32,
    iters: u64,
    states: Option<Vec<State>>,
    boot: String,
    tsync_rounds: u32,
    tsync_sets: Vec<tsync::ThreadSet>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        rounds: 10,
        iters: 2000,
        states: None,
        boot: "-".into(),
        tsync_rounds: 0,
        tsync_sets: Vec::new(),
    };
    let mut sets = tsync::DEFAULT_SETS.to_string();
    let mut it = args.iter().cloned();
    while let Some(arg) = it.next() {
        let (k, inline) = match arg.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if k == "--help" || k == "-h" {
            println!("init (bench mode) [--rounds N] [--iters M] [--states auto|a,b,c,d,e] [--boot LABEL] [--tsync-rounds N] [--tsync-sets {}]", tsync::DEFAULT_SETS);
            std::process::exit(0);
        }
        let v = match inline.or_else(|| it.next()) {
            Some(v) => v,
            None => return Err(format!("{k} needs a value")),
        };
        match k.as_str() {
            "--rounds" => a.rounds = v.parse().map_err(|_| format!("--rounds: {v:?}"))?,
            "--iters" => a.iters = v.parse().map_err(|_| format!("--iters: {v:?}"))?,
            "--boot" => a.boot = v,
            "--tsync-rounds" => {
                a.tsync_rounds = v.parse().map_err(|_| format!("--tsync-rounds: {v:?}"))?
            }
            "--tsync-sets" => sets = v,
            "--states" if v == "auto" => a.states = None,
            "--states" => {
                let mut s = Vec::new();
                for c in v.split(',').filter(|c| !c.is_empty()) {
                    let mut ch = c.chars();
                    match (ch.next().and_then(State::parse), ch.next()) {
                        (Some(st), None) => s.push(st),
                        _ => return Err(format!("--states: unknown state {c:?}")),
                    }
                }
                a.states = Some(s);
            }
            _ => return Err(format!("unknown option {k:?}")),
        }
    }
    if a.iters == 0 || (a.rounds == 0 && a.tsync_rounds == 0) {
        return Err("--iters must be positive, and --rounds or --tsync-rounds".into());
    }
    for t in sets.split(',').filter(|t| !t.is_empty()) {
        a.tsync_sets
            .push(tsync::ThreadSet::parse(t).ok_or_else(|| format!("--tsync-sets: {t:?}"))?);
    }
    Ok(a)
}

/// Bench mode with the program's arguments (without `argv[0]`): as PID 1,
/// set up, measure, power off; run by hand, measure and exit.
pub fn main(args: &[String]) -> ! {
    // SAFETY: getpid cannot fail.
    let pid1 = unsafe { libc::getpid() } == 1;
    // The arguments first, so that a setup error names the boot.
    let parsed = parse_args(args);
    let setup_ok = !pid1 || pid1_setup(boot_label(&parsed));
    let code = match parsed {
        Ok(args) => bench(&args, setup_ok),
        Err(e) => {
            error("-", "-", "args", e);
            2
        }
    };
    if pid1 {
        pid1::power_off();
    }
    std::process::exit(code);
}

/// The mounts of the bench VM: proc, sysfs, /tmp (the `AF_UNIX` socket),
/// and securityfs for `BENCH-INFO lsm=` (the active modules; absent without
/// SECURITYFS, which is no problem worth a line).
const MOUNTS: [Mount; 4] = [
    Mount {
        source: "proc",
        target: "/proc",
        fstype: "proc",
        flags: 0,
        data: "",
    },
    Mount {
        source: "sysfs",
        target: "/sys",
        fstype: "sysfs",
        flags: 0,
        data: "",
    },
    Mount {
        source: "tmpfs",
        target: "/tmp",
        fstype: "tmpfs",
        flags: 0,
        data: "",
    },
    Mount {
        source: "securityfs",
        target: "/sys/kernel/security",
        fstype: "securityfs",
        flags: 0,
        data: "",
    },
];

/// The boot label of parsed arguments (`-` when they gave none or did not
/// parse).
fn boot_label(parsed: &Result<Args, String>) -> &str {
    parsed.as_ref().map_or("-", |a| a.boot.as_str())
}

/// As the VM's /init: mount what the benchmark needs and bring `lo` up. A
/// failure is a `BENCH-ERROR boot=B state=- op=setup msg=...` line (and the
/// boot's `BENCH-DONE ok=false`); whether all went well.
fn pid1_setup(boot: &str) -> bool {
    let mut ok = true;
    for m in &MOUNTS[..3] {
        if let Err(e) = m.mount() {
            error(
                boot,
                "-",
                "setup",
                format!("mount {} on {}: {e}", m.fstype, m.target),
            );
            ok = false;
        }
    }
    let _ = MOUNTS[3].mount();
    if let Err(e) = pid1::if_up("lo") {
        error(boot, "-", "setup", format!("bringing lo up: {e}"));
        ok = false;
    }
    ok
}

/// Measures; `setup_ok`: PID 1's setup went well (else `BENCH-DONE
/// ok=false`, the measurements made all the same).
fn bench(args: &Args, setup_ok: bool) -> i32 {
    let boot = args.boot.as_str();
    let module = module_flags();
    let abi = landlock_abi();
    let cpus = pid1::cpus();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let clock = || {
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    // Calibrate only once the kernel has left refined-jiffies (at most 5 s).
    for _ in 0..50 {
        if !clock().contains("jiffies") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let tpn = ticks_per_ns(1000);
    emit(&Event::BenchInfo(format!(
        "boot={boot} module={} landlock_abi={abi} cpus={cpus} kernel={} clocksource={} tsc_ghz={tpn:.3} rounds={} iters={} lsm={}",
        match module {
            Some(f) => format!("enabled(flags={f})"),
            None => "absent".into(),
        },
        kernel.trim(),
        clock(),
        args.rounds,
        args.iters,
        std::fs::read_to_string("/sys/kernel/security/lsm")
            .unwrap_or_else(|_| "?".into())
            .trim()
    )));
    let mut states = args.states.clone().unwrap_or_else(|| {
        if module.is_some() {
            vec![State::B, State::C, State::D, State::E]
        } else {
            // d and e do not need the module: running them here too keeps
            // both boots alike in length and rhythm, and gives the host
            // d and e with the module's hooks absent vs present (flag clear).
            vec![State::A, State::D, State::E]
        }
    });
    states.retain(|&s| {
        let why = match s {
            State::A if module.is_some() => Some("the module is enabled in this boot"),
            State::B | State::C if module.is_none() => {
                Some("the module is not enabled in this boot")
            }
            State::E if abi < 4 => Some("Landlock ABI < 4 (no TCP rules) or Landlock disabled"),
            _ => None,
        };
        if let Some(why) = why {
            skip(boot, s.letter(), why);
        }
        why.is_none()
    });
    let mut ok = setup_ok;
    let start = Instant::now();
    if args.tsync_rounds > 0 {
        ok &= tsync::bench(args.tsync_rounds, &args.tsync_sets, boot);
    }
    for round in 0..args.rounds {
        let n = states.len();
        for i in 0..n {
            let s = states[(i + round as usize) % n];
            ok &= run_state(s, round, args.iters, boot, tpn);
        }
    }
    emit(&Event::BenchDone {
        boot: boot.to_string(),
        ok,
        secs: start.elapsed().as_secs_f64(),
    });
    i32::from(!ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn setup_errors_name_the_boot_when_known() {
        assert_eq!(boot_label(&parse_args(&args("--rounds 1 --boot A1"))), "A1");
        assert_eq!(boot_label(&parse_args(&args("--rounds 1"))), "-");
        assert_eq!(boot_label(&parse_args(&args("--bogus 1 --boot A1"))), "-");
        let e = Event::BenchError {
            boot: "A1".into(),
            state: "-".into(),
            op: "setup".into(),
            msg: "mount proc on /proc: No such device (os error 19)".into(),
        };
        assert_eq!(
            e.to_string(),
            "BENCH-ERROR boot=A1 state=- op=setup msg=mount proc on /proc: No such device (os error 19)"
        );
        assert_eq!(e.to_string().parse::<Event>(), Ok(e));
    }
}
