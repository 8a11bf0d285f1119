//! The operations generated sequences are made of, and their proptest
//! strategies. `Debug` prints them compactly so a shrunk failing sequence
//! reads like a script.

use std::fmt;

use proptest::prelude::*;

use crate::abi::PR_NETWORK_TSYNC;
use crate::addr::{Addr, NameRef, PathRef, PortRef};

/// Socket slots a sequence can use.
pub const NSLOTS: usize = 6;
/// Parked threads a sequence can use.
pub const NTHREADS: usize = 2;

/// A socket slot (`s0`..`s5`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Slot(pub usize);

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// Which address-carrying syscall (the kernel's checks differ a little).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrSyscall {
    /// `bind(2)`.
    Bind,
    /// `connect(2)`.
    Connect,
    /// `sendto(2)`.
    SendTo,
    /// `sendmsg(2)` (and each message of `sendmmsg(2)`).
    SendMsg,
}

/// What a parked thread is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadAction {
    /// `PR_GET_NETWORK`.
    Get,
    /// `PR_SET_NETWORK(PR_NETWORK_OFF)`.
    SetOff,
    /// `PR_SET_NETWORK(PR_NETWORK_OFF, PR_NETWORK_TSYNC)`: every thread,
    /// the main one included.
    SetOffTsync,
    /// `PR_SET_NO_NEW_PRIVS` (per thread).
    NoNewPrivs,
    /// `socket(AF_INET, SOCK_DGRAM, 0)`.
    InetSocket,
}

/// How one task accesses another (ptrace_may_access users).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtraceHow {
    /// `PTRACE_ATTACH`.
    Attach,
    /// `PTRACE_SEIZE`.
    Seize,
    /// `open("/proc/PID/mem", O_RDWR)`.
    ProcMem,
    /// `process_vm_writev()` of one byte.
    VmWritev,
    /// `process_vm_readv()` of one byte.
    VmReadv,
    /// `pidfd_getfd()`.
    PidfdGetfd,
    /// `PTRACE_TRACEME` by the child.
    TraceMe,
}

/// Who accesses whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtraceDir {
    /// The world process accesses a forked child.
    ParentToChild,
    /// A forked child accesses the world process.
    ChildToParent,
}

/// One operation of a generated sequence. All run in the world's main
/// thread unless stated.
#[derive(Clone, PartialEq, Eq)]
pub enum Op {
    /// `prctl(PR_SET_NETWORK, flags, a3, a4, a5)`.
    SetNetwork {
        /// arg2.
        flags: u64,
        /// arg3.
        a3: u64,
        /// arg4.
        a4: u64,
        /// arg5.
        a5: u64,
    },
    /// `prctl(PR_GET_NETWORK, a2, a3, a4, a5)`.
    GetNetwork {
        /// arg2.
        a2: u64,
        /// arg3.
        a3: u64,
        /// arg4.
        a4: u64,
        /// arg5.
        a5: u64,
    },
    /// `PR_SET_NO_NEW_PRIVS`.
    NoNewPrivs,
    /// Drop CAP_SYS_ADMIN from the effective set.
    DropSysAdmin,
    /// `socket()` into a slot (closing what was there).
    Socket {
        /// Slot.
        slot: Slot,
        /// Family.
        family: i32,
        /// Type incl. flags.
        ty: i32,
        /// Protocol.
        proto: i32,
    },
    /// `socketpair()` into `slot` and the next slot.
    SocketPair {
        /// First slot.
        slot: Slot,
        /// Family.
        family: i32,
        /// Type incl. flags.
        ty: i32,
        /// Protocol.
        proto: i32,
    },
    /// Receive over SCM_RIGHTS a socket an unrestricted helper created.
    Receive {
        /// Slot.
        slot: Slot,
        /// Family.
        family: i32,
        /// Type.
        ty: i32,
    },
    /// `bind()`.
    Bind {
        /// Slot.
        slot: Slot,
        /// Address.
        addr: Addr,
    },
    /// `connect()`.
    Connect {
        /// Slot.
        slot: Slot,
        /// Address.
        addr: Addr,
    },
    /// `listen(fd, 64)`.
    Listen {
        /// Slot.
        slot: Slot,
    },
    /// `sendto(fd, "x", 1, MSG_DONTWAIT|MSG_NOSIGNAL, addr)`.
    SendTo {
        /// Slot.
        slot: Slot,
        /// Address (None: NULL, 0).
        addr: Option<Addr>,
    },
    /// `sendmsg()` of one byte.
    SendMsg {
        /// Slot.
        slot: Slot,
        /// `msg_name` (None: NULL, 0).
        addr: Option<Addr>,
    },
    /// `sendmmsg()` of one-byte messages.
    SendMmsg {
        /// Slot.
        slot: Slot,
        /// One address per message.
        addrs: Vec<Option<Addr>>,
    },
    /// `close()`.
    Close {
        /// Slot.
        slot: Slot,
    },
    /// Fork; the child reports (probe code).
    Fork,
    /// A new thread reports (probe code) and ends.
    Thread,
    /// Create parked thread `t` (inherits the main thread's creds now).
    SpawnThread {
        /// Thread index.
        t: u8,
    },
    /// Ask parked thread `t` to act.
    InThread {
        /// Thread index.
        t: u8,
        /// What to do.
        action: ThreadAction,
    },
    /// Fork, optionally set no_new_privs, exec `pn-suid-probe`.
    Exec {
        /// Set PR_SET_NO_NEW_PRIVS in the child before exec.
        nnp: bool,
    },
    /// Cross-process access between the world and a forked child.
    Ptrace {
        /// Mechanism.
        how: PtraceHow,
        /// Direction.
        dir: PtraceDir,
        /// The child sets PR_NETWORK_OFF first.
        child_off: bool,
    },
    /// `/proc/self/mem` and `process_vm_readv(getpid())`.
    SelfAccess,
    /// `setsockopt(fd, level, optname, &0, 4)`: an `int` 0, which most
    /// options take (the kernel's own answer to it is the oracle's).
    SetSockOpt {
        /// Slot.
        slot: Slot,
        /// `level`.
        level: i32,
        /// `optname`.
        optname: i32,
    },
    /// `sendmsg()` of one byte without an address, with one control
    /// message `(level, type)` carrying an `int` 1.
    SendCmsg {
        /// Slot.
        slot: Slot,
        /// `cmsg_level`.
        level: i32,
        /// `cmsg_type`.
        ty: i32,
    },
    /// `ioctl(TIOCSTI)` of one character into a pseudo-terminal the world
    /// opened at its start (as its controlling terminal where it can).
    Tiocsti,
    /// `open("/dev/net/tun")` and `TUNSETIFF` of a new TAP device.
    TunAttach,
}

impl Op {
    /// Whether the oracle (unrestricted) world runs this op too: every op
    /// that changes or observes socket state does; prctl, fork, exec and
    /// ptrace checks are predicted exactly and only run in the subject.
    pub fn runs_in_oracle(&self) -> bool {
        matches!(
            self,
            Op::NoNewPrivs
                | Op::DropSysAdmin
                | Op::Socket { .. }
                | Op::SocketPair { .. }
                | Op::Receive { .. }
                | Op::Bind { .. }
                | Op::Connect { .. }
                | Op::Listen { .. }
                | Op::SendTo { .. }
                | Op::SendMsg { .. }
                | Op::SendMmsg { .. }
                | Op::Close { .. }
                | Op::SetSockOpt { .. }
                | Op::SendCmsg { .. }
                | Op::Tiocsti
                | Op::TunAttach
        )
    }
}

fn hex(v: u64) -> String {
    if v < 10 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

/// Family name for Debug output.
pub fn family_name(f: i32) -> String {
    match f {
        libc::AF_UNSPEC => "AF_UNSPEC".into(),
        libc::AF_UNIX => "AF_UNIX".into(),
        libc::AF_INET => "AF_INET".into(),
        libc::AF_INET6 => "AF_INET6".into(),
        libc::AF_NETLINK => "AF_NETLINK".into(),
        libc::AF_PACKET => "AF_PACKET".into(),
        libc::AF_VSOCK => "AF_VSOCK".into(),
        f => format!("family {f}"),
    }
}

/// Socket type name (with flags) for Debug output.
pub fn type_name(t: i32) -> String {
    let base = match t & 0xf {
        1 => "STREAM".to_string(),
        2 => "DGRAM".to_string(),
        3 => "RAW".to_string(),
        4 => "RDM".to_string(),
        5 => "SEQPACKET".to_string(),
        6 => "DCCP".to_string(),
        10 => "PACKET".to_string(),
        b => format!("type {b}"),
    };
    let mut s = base;
    let rest = t & !0xf;
    if rest & libc::SOCK_NONBLOCK != 0 {
        s.push_str("|NONBLOCK");
    }
    if rest & libc::SOCK_CLOEXEC != 0 {
        s.push_str("|CLOEXEC");
    }
    let other = rest & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC);
    if other != 0 {
        s.push_str(&format!("|{:#x}", other as u32));
    }
    s
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::SetNetwork { flags, a3, a4, a5 } => write!(
                f,
                "prctl(PR_SET_NETWORK, {}, {}, {}, {})",
                hex(*flags),
                hex(*a3),
                hex(*a4),
                hex(*a5)
            ),
            Op::GetNetwork { a2, a3, a4, a5 } => write!(
                f,
                "prctl(PR_GET_NETWORK, {}, {}, {}, {})",
                hex(*a2),
                hex(*a3),
                hex(*a4),
                hex(*a5)
            ),
            Op::NoNewPrivs => write!(f, "prctl(PR_SET_NO_NEW_PRIVS)"),
            Op::DropSysAdmin => write!(f, "capset(-CAP_SYS_ADMIN)"),
            Op::Socket {
                slot,
                family,
                ty,
                proto,
            } => write!(
                f,
                "{slot:?} = socket({}, {}, {proto})",
                family_name(*family),
                type_name(*ty)
            ),
            Op::SocketPair {
                slot,
                family,
                ty,
                proto,
            } => write!(
                f,
                "{slot:?},s{} = socketpair({}, {}, {proto})",
                (slot.0 + 1) % NSLOTS,
                family_name(*family),
                type_name(*ty)
            ),
            Op::Receive { slot, family, ty } => write!(
                f,
                "{slot:?} = recv_scm_rights(socket({}, {}) made by an unrestricted helper)",
                family_name(*family),
                type_name(*ty)
            ),
            Op::Bind { slot, addr } => write!(f, "bind({slot:?}, {addr:?})"),
            Op::Connect { slot, addr } => write!(f, "connect({slot:?}, {addr:?})"),
            Op::Listen { slot } => write!(f, "listen({slot:?})"),
            Op::SendTo { slot, addr } => write!(f, "sendto({slot:?}, {addr:?})"),
            Op::SendMsg { slot, addr } => write!(f, "sendmsg({slot:?}, {addr:?})"),
            Op::SendMmsg { slot, addrs } => write!(f, "sendmmsg({slot:?}, {addrs:?})"),
            Op::Close { slot } => write!(f, "close({slot:?})"),
            Op::Fork => write!(f, "fork-and-report"),
            Op::Thread => write!(f, "thread-and-report"),
            Op::SpawnThread { t } => write!(f, "spawn parked thread t{t}"),
            Op::InThread { t, action } => write!(f, "t{t}: {action:?}"),
            Op::Exec { nnp } => write!(
                f,
                "fork{} + exec pn-suid-probe",
                if *nnp { " + NO_NEW_PRIVS" } else { "" }
            ),
            Op::Ptrace {
                how,
                dir,
                child_off,
            } => write!(
                f,
                "{how:?} {dir:?} (child {})",
                if *child_off { "sets OFF" } else { "inherits" }
            ),
            Op::SelfAccess => write!(f, "self-access(/proc/self/mem, process_vm_readv)"),
            Op::SetSockOpt {
                slot,
                level,
                optname,
            } => write!(
                f,
                "setsockopt({slot:?}, {})",
                sockopt_name(*level, *optname)
            ),
            Op::SendCmsg { slot, level, ty } => {
                write!(f, "sendmsg({slot:?}, cmsg {})", cmsg_name(*level, *ty))
            }
            Op::Tiocsti => write!(f, "ioctl(pty, TIOCSTI)"),
            Op::TunAttach => write!(f, "open(/dev/net/tun) + TUNSETIFF"),
        }
    }
}

// ---------------------------------------------------------------- strategies

fn slot() -> impl Strategy<Value = Slot> {
    // Low slots more often so operations meet the sockets made earlier.
    prop_oneof![5 => (0usize..3).prop_map(Slot), 1 => (0usize..NSLOTS).prop_map(Slot)]
}

fn prctl_arg() -> impl Strategy<Value = u64> {
    prop_oneof![
        12 => Just(0u64),
        2 => Just(1u64),
        1 => Just(2u64),
        1 => Just(1u64 << 32),
        1 => Just(u64::MAX),
        1 => any::<u64>(),
    ]
}

fn set_flags() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => Just(1u64),
        2 => Just(0u64),
        1 => Just(2u64),
        1 => Just(3u64),
        1 => Just(1u64 << 32),
        1 => Just((1u64 << 32) | 1),
        1 => Just(u64::MAX),
        1 => any::<u64>(),
    ]
}

/// Socket families: all of 0..=47, the interesting ones more often.
pub fn family() -> impl Strategy<Value = i32> {
    prop_oneof![
        3 => Just(libc::AF_UNIX),
        3 => Just(libc::AF_INET),
        2 => Just(libc::AF_INET6),
        4 => 0i32..=47,
        1 => Just(-1i32),
    ]
}

/// Socket types: base 0..=11 with valid or invalid flag bits.
pub fn sock_type() -> impl Strategy<Value = i32> {
    let base = prop_oneof![
        3 => Just(libc::SOCK_STREAM),
        3 => Just(libc::SOCK_DGRAM),
        1 => Just(libc::SOCK_SEQPACKET),
        1 => Just(libc::SOCK_RAW),
        2 => 0i32..=11,
        1 => 12i32..=15,
    ];
    let flags = prop_oneof![
        6 => Just(0),
        2 => Just(libc::SOCK_CLOEXEC),
        2 => Just(libc::SOCK_NONBLOCK),
        1 => Just(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC),
        1 => Just(0x100),
        1 => Just(i32::MIN),
    ];
    (base, flags).prop_map(|(b, f)| b | f)
}

/// Protocols. 132 (SCTP) is left out of the generic sequences: a blocking
/// SCTP connect could wait for retransmission timers (SCTP has its own
/// test).
pub fn proto() -> impl Strategy<Value = i32> {
    prop_oneof![
        8 => Just(0),
        1 => Just(libc::IPPROTO_ICMP),
        1 => Just(libc::IPPROTO_TCP),
        1 => Just(libc::IPPROTO_UDP),
        1 => Just(libc::IPPROTO_RAW),
        1 => Just(-1),
        1 => Just(9999),
    ]
}

/// (family, type, proto): half the time a common working combination
/// (unix/inet/inet6 × stream/dgram/seqpacket, protocol 0) so that later
/// operations have sockets to act on, else anything. One adjustment: an
/// inet `SOCK_SEQPACKET` socket with protocol 0 is SCTP, so it is made
/// non-blocking.
pub fn socket_args() -> impl Strategy<Value = (i32, i32, i32)> {
    let common = common_socket_args();
    let any = (family(), sock_type(), proto());
    prop_oneof![common, any].prop_map(|(f, t, p)| {
        let inet = f == libc::AF_INET || f == libc::AF_INET6;
        if inet && t & 0xf == libc::SOCK_SEQPACKET {
            (f, t | libc::SOCK_NONBLOCK, p)
        } else {
            (f, t, p)
        }
    })
}

/// Common working socket arguments (unix/inet/inet6 × stream/dgram, and
/// unix seqpacket), protocol 0.
pub fn common_socket_args() -> impl Strategy<Value = (i32, i32, i32)> {
    prop_oneof![
        2 => (
            prop_oneof![Just(libc::AF_UNIX), Just(libc::AF_INET), Just(libc::AF_INET6)],
            prop_oneof![
                3 => Just(libc::SOCK_DGRAM),
                2 => Just(libc::SOCK_STREAM),
                1 => Just(libc::SOCK_DGRAM | libc::SOCK_NONBLOCK),
            ],
        )
            .prop_map(|(f, t)| (f, t, 0)),
        1 => Just((libc::AF_UNIX, libc::SOCK_SEQPACKET, 0)),
    ]
}

fn port() -> impl Strategy<Value = PortRef> {
    prop_oneof![3 => Just(PortRef::Fixture), 1 => Just(PortRef::Zero)]
}

fn path_ref() -> impl Strategy<Value = PathRef> {
    prop_oneof![
        2 => Just(PathRef::FixtureStream),
        2 => Just(PathRef::FixtureDgram),
        3 => (0u8..4).prop_map(PathRef::Fresh),
        1 => Just(PathRef::Missing),
    ]
}

fn name_ref() -> impl Strategy<Value = NameRef> {
    prop_oneof![
        2 => Just(NameRef::FixtureStream),
        2 => Just(NameRef::FixtureDgram),
        3 => (0u8..4).prop_map(NameRef::Fresh),
        1 => Just(NameRef::Empty),
    ]
}

fn odd_len() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(1),
        Just(2),
        Just(3),
        Just(8),
        Just(16),
        Just(28),
        Just(110),
        Just(128),
        Just(129),
        Just(200),
        Just(u32::MAX),
        Just(0x8000_0000),
    ]
}

fn well_formed() -> impl Strategy<Value = Addr> {
    prop_oneof![
        3 => (any::<bool>(), port()).prop_map(|(l, p)| Addr::Inet4 { loopback: l || p == PortRef::Fixture, port: p }),
        2 => (any::<bool>(), port()).prop_map(|(l, p)| Addr::Inet6 { loopback: l || p == PortRef::Fixture, port: p }),
        4 => path_ref().prop_map(Addr::UnixPath),
        3 => name_ref().prop_map(Addr::UnixAbstract),
        1 => Just(Addr::UnixUnnamed),
    ]
}

/// Addresses: well-formed inet/inet6/pathname/abstract/unnamed ones and
/// malformed ones (NULL, wrong family, short, > 128, negative lengths).
/// Raw fill bytes are 0x00 or 0xff only: a fixed inet address could stay
/// in TIME_WAIT between the oracle and the restricted run.
pub fn addr() -> impl Strategy<Value = Addr> {
    prop_oneof![
        12 => well_formed(),
        1 => odd_len().prop_map(|len| Addr::Null { len }),
        2 => (
            prop_oneof![Just(0u16), Just(1), Just(2), Just(10), Just(16), Just(17), Just(45), Just(0xffff)],
            odd_len(),
            prop_oneof![Just(0u8), Just(0xff)],
        )
            .prop_map(|(family, len, fill)| Addr::Raw { family, len, fill }),
        2 => (well_formed(), odd_len()).prop_map(|(a, len)| Addr::Truncated { addr: Box::new(a), len }),
    ]
}

fn opt_addr() -> impl Strategy<Value = Option<Addr>> {
    prop_oneof![1 => Just(None), 3 => addr().prop_map(Some)]
}

fn donated() -> impl Strategy<Value = (i32, i32)> {
    prop_oneof![
        Just((libc::AF_INET, libc::SOCK_DGRAM)),
        Just((libc::AF_INET, libc::SOCK_STREAM)),
        Just((libc::AF_INET6, libc::SOCK_DGRAM)),
        Just((libc::AF_UNIX, libc::SOCK_DGRAM)),
        Just((libc::AF_UNIX, libc::SOCK_STREAM)),
        Just((libc::AF_NETLINK, libc::SOCK_RAW)),
    ]
}

fn ptrace_kind() -> impl Strategy<Value = (PtraceHow, PtraceDir)> {
    use PtraceDir::*;
    use PtraceHow::*;
    // PTRACE_ATTACH of the world by its child is left out: the SIGSTOP it
    // queues would stop the world once the tracer exits.
    prop_oneof![
        Just((Attach, ParentToChild)),
        Just((Seize, ParentToChild)),
        Just((Seize, ChildToParent)),
        Just((ProcMem, ParentToChild)),
        Just((ProcMem, ChildToParent)),
        Just((VmWritev, ParentToChild)),
        Just((VmWritev, ChildToParent)),
        Just((VmReadv, ChildToParent)),
        Just((PidfdGetfd, ParentToChild)),
        Just((PidfdGetfd, ChildToParent)),
        Just((TraceMe, ChildToParent)),
    ]
}

/// One operation.
pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::SetNetwork { flags: 1, a3: 0, a4: 0, a5: 0 }),
        2 => Just(Op::SetNetwork { flags: 1, a3: PR_NETWORK_TSYNC, a4: 0, a5: 0 }),
        3 => (set_flags(), prctl_arg(), prctl_arg(), prctl_arg())
            .prop_map(|(flags, a3, a4, a5)| Op::SetNetwork { flags, a3, a4, a5 }),
        1 => Just(Op::GetNetwork { a2: 0, a3: 0, a4: 0, a5: 0 }),
        1 => (prctl_arg(), prctl_arg(), prctl_arg(), prctl_arg())
            .prop_map(|(a2, a3, a4, a5)| Op::GetNetwork { a2, a3, a4, a5 }),
        3 => Just(Op::NoNewPrivs),
        1 => Just(Op::DropSysAdmin),
        10 => (slot(), socket_args()).prop_map(|(slot, (family, ty, proto))| Op::Socket { slot, family, ty, proto }),
        2 => (slot(), socket_args()).prop_map(|(slot, (family, ty, proto))| Op::SocketPair { slot, family, ty, proto }),
        2 => (slot(), donated()).prop_map(|(slot, (family, ty))| Op::Receive { slot, family, ty }),
        5 => (slot(), addr()).prop_map(|(slot, addr)| Op::Bind { slot, addr }),
        5 => (slot(), addr()).prop_map(|(slot, addr)| Op::Connect { slot, addr }),
        2 => slot().prop_map(|slot| Op::Listen { slot }),
        4 => (slot(), opt_addr()).prop_map(|(slot, addr)| Op::SendTo { slot, addr }),
        3 => (slot(), opt_addr()).prop_map(|(slot, addr)| Op::SendMsg { slot, addr }),
        2 => (slot(), proptest::collection::vec(opt_addr(), 1..4))
            .prop_map(|(slot, addrs)| Op::SendMmsg { slot, addrs }),
        1 => slot().prop_map(|slot| Op::Close { slot }),
        2 => Just(Op::Fork),
        1 => Just(Op::Thread),
        2 => (0u8..NTHREADS as u8).prop_map(|t| Op::SpawnThread { t }),
        2 => (
            0u8..NTHREADS as u8,
            prop_oneof![
                Just(ThreadAction::Get),
                Just(ThreadAction::SetOff),
                Just(ThreadAction::SetOffTsync),
                Just(ThreadAction::NoNewPrivs),
                Just(ThreadAction::InetSocket)
            ]
        )
            .prop_map(|(t, action)| Op::InThread { t, action }),
        1 => any::<bool>().prop_map(|nnp| Op::Exec { nnp }),
        3 => (ptrace_kind(), any::<bool>())
            .prop_map(|((how, dir), child_off)| Op::Ptrace { how, dir, child_off }),
        1 => Just(Op::SelfAccess),
        4 => (slot(), sockopt()).prop_map(|(slot, (level, optname))| Op::SetSockOpt { slot, level, optname }),
        3 => (slot(), cmsg()).prop_map(|(slot, (level, ty))| Op::SendCmsg { slot, level, ty }),
        1 => Just(Op::Tiocsti),
        1 => Just(Op::TunAttach),
    ]
}

/// Any option of [`crate::channels::SOCKOPTS`], or an unknown one.
fn sockopt() -> impl Strategy<Value = (i32, i32)> {
    let all: Vec<(i32, i32)> = crate::channels::SOCKOPTS
        .iter()
        .flat_map(|t| t.iter().map(|o| (o.level, o.optname)))
        .collect();
    prop_oneof![
        9 => proptest::sample::select(all),
        1 => Just((crate::channels::SOL_IP, 9999)),
    ]
}

/// A control message: one that keeps the destination, one the kernel
/// knows that does not, or one nobody knows.
fn cmsg() -> impl Strategy<Value = (i32, i32)> {
    use crate::channels::*;
    let kept: Vec<(i32, i32)> = CMSGS_KEEPING_DESTINATION
        .iter()
        .map(|&(l, t, _)| (l, t))
        .collect();
    prop_oneof![
        4 => proptest::sample::select(kept),
        4 => proptest::sample::select(vec![
            (SOL_IP, libc::IP_PKTINFO),
            (SOL_IP, libc::IP_RETOPTS),
            (SOL_IPV6, libc::IPV6_PKTINFO),
            (SOL_IPV6, libc::IPV6_RTHDR),
            (SOL_IPV6, libc::IPV6_HOPOPTS),
            (SOL_IPV6, libc::IPV6_DSTOPTS),
            (SOL_SOCKET, libc::SO_MARK),
            (SOL_SOCKET, libc::SCM_RIGHTS),
        ]),
        1 => Just((SOL_UDP, 9999)),
    ]
}

/// `LEVEL:NAME` of an option, for Debug output.
fn sockopt_name(level: i32, optname: i32) -> String {
    crate::channels::SOCKOPTS
        .iter()
        .flat_map(|t| t.iter())
        .find(|o| o.level == level && o.optname == optname)
        .map(|o| o.name.to_string())
        .unwrap_or_else(|| format!("level {level} option {optname}"))
}

/// The name of a control message, for Debug output.
fn cmsg_name(level: i32, ty: i32) -> String {
    crate::channels::CMSGS_KEEPING_DESTINATION
        .iter()
        .find(|&&(l, t, _)| l == level && t == ty)
        .map(|&(_, _, n)| n.to_string())
        .unwrap_or_else(|| format!("level {level} type {ty}"))
}

/// A sequence: 0..=3 common sockets in slots s0.. (so that operations have
/// something to act on, before or after a restriction), then 1..=`max`
/// operations.
pub fn sequence(max: usize) -> impl Strategy<Value = Vec<Op>> {
    let prefix = proptest::collection::vec(common_socket_args(), 0..=3);
    (prefix, proptest::collection::vec(op(), 1..=max)).prop_map(|(pre, ops)| {
        let mut seq: Vec<Op> = pre
            .into_iter()
            .enumerate()
            .map(|(i, (family, ty, proto))| Op::Socket {
                slot: Slot(i),
                family,
                ty,
                proto,
            })
            .collect();
        seq.extend(ops);
        seq
    })
}
