//! io_uring: socket, connect, bind and sendmsg requests, inline and with
//! `IOSQE_ASYNC` (io-wq), on rings made before or after the restriction, with
//! or without a personality registered before or after it.
//!
//! Model (the specification, `prctl-network.rst`): the requests go through the same hooks with the
//! submitter's credentials; a personality whose creds lack a restriction the
//! submitter has makes any request fail with `EPERM`.
//!
//! Every op gets its own descriptor (made before the restriction) and its
//! own fresh names, so ops do not influence each other and the oracle
//! comparison needs no taint tracking.

use std::fmt;

use io_uring::{opcode, squeue, types, IoUring};
use proptest::prelude::*;

use crate::addr::{Addr, AddrCtx, Encoded, NameRef, PathRef, PortRef};
use crate::exec::{self, Role};
use crate::fork;
use crate::model::{address_rule, socket_create, uring_personality, AddrVerdict, Creds};
use crate::ops::AddrSyscall;
use crate::outcome::{Outcome, Prediction};
use crate::sys;

/// When the personality was registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    /// None registered.
    None,
    /// Registered before the restriction (its creds are unrestricted).
    Before,
    /// Registered after it.
    After,
}

/// Where an address-carrying request points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// 127.0.0.1 (fixture UDP port for connect/send, port 0 for bind).
    Inet4,
    /// ::1 likewise.
    Inet6,
    /// A pathname (fixture dgram for connect/send, a fresh name for bind).
    UnixPath,
    /// An abstract name (fixture dgram / fresh).
    UnixAbstract,
    /// Family only (length 2).
    UnixUnnamed,
}

/// The request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `IORING_OP_NOP`.
    Nop,
    /// `IORING_OP_SOCKET(family, SOCK_DGRAM, 0)`.
    Socket(i32),
    /// `IORING_OP_CONNECT`.
    Connect(Target),
    /// `IORING_OP_BIND`.
    Bind(Target),
    /// `IORING_OP_SENDMSG` with an address.
    SendMsgTo(Target),
    /// `IORING_OP_SENDMSG` without address on a UDP socket connected before
    /// the restriction.
    SendMsgConnected,
}

/// One submitted request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct UOp {
    /// The request.
    pub kind: Kind,
    /// Set `IOSQE_ASYNC`.
    pub async_: bool,
    /// Submit with the registered personality (if any).
    pub use_personality: bool,
}

impl fmt::Debug for UOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)?;
        if self.async_ {
            write!(f, " +ASYNC")?;
        }
        if self.use_personality {
            write!(f, " +personality")?;
        }
        Ok(())
    }
}

/// A generated io_uring case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UringCase {
    /// Ring created before the restriction (else after).
    pub ring_before: bool,
    /// Personality registration.
    pub personality: Personality,
    /// Whether the submitter restricts itself (always false in the oracle).
    pub restrict: bool,
    /// Requests, submitted one at a time.
    pub ops: Vec<UOp>,
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::Inet4),
        Just(Target::Inet6),
        Just(Target::UnixPath),
        Just(Target::UnixAbstract),
        Just(Target::UnixUnnamed),
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        1 => Just(Kind::Nop),
        3 => prop_oneof![
            Just(libc::AF_INET),
            Just(libc::AF_INET6),
            Just(libc::AF_UNIX),
            Just(libc::AF_NETLINK),
            Just(libc::AF_PACKET)
        ]
        .prop_map(Kind::Socket),
        3 => target().prop_map(Kind::Connect),
        3 => target().prop_map(Kind::Bind),
        3 => target().prop_map(Kind::SendMsgTo),
        1 => Just(Kind::SendMsgConnected),
    ]
}

/// Strategy for [`UringCase`]s.
pub fn case() -> impl Strategy<Value = UringCase> {
    let uop =
        (kind(), any::<bool>(), any::<bool>()).prop_map(|(kind, async_, use_personality)| UOp {
            kind,
            async_,
            use_personality,
        });
    (
        any::<bool>(),
        prop_oneof![
            Just(Personality::None),
            Just(Personality::Before),
            Just(Personality::After)
        ],
        prop_oneof![3 => Just(true), 1 => Just(false)],
        proptest::collection::vec(uop, 1..=8),
    )
        .prop_map(|(ring_before, personality, restrict, ops)| UringCase {
            // A personality is registered on a ring: "before" needs the ring
            // before the restriction.
            ring_before: ring_before || personality == Personality::Before,
            personality,
            restrict,
            ops,
        })
}

fn target_family(t: Target) -> i32 {
    match t {
        Target::Inet4 => libc::AF_INET,
        Target::Inet6 => libc::AF_INET6,
        _ => libc::AF_UNIX,
    }
}

/// The address of op `i` for `t`.
fn target_addr(t: Target, bind: bool, i: usize) -> Addr {
    let fresh = 10 + i as u8;
    match (t, bind) {
        (Target::Inet4, true) => Addr::Inet4 {
            loopback: true,
            port: PortRef::Zero,
        },
        (Target::Inet4, false) => Addr::Inet4 {
            loopback: true,
            port: PortRef::Fixture,
        },
        (Target::Inet6, true) => Addr::Inet6 {
            loopback: true,
            port: PortRef::Zero,
        },
        (Target::Inet6, false) => Addr::Inet6 {
            loopback: true,
            port: PortRef::Fixture,
        },
        (Target::UnixPath, true) => Addr::UnixPath(PathRef::Fresh(fresh)),
        (Target::UnixPath, false) => Addr::UnixPath(PathRef::FixtureDgram),
        (Target::UnixAbstract, true) => Addr::UnixAbstract(NameRef::Fresh(fresh)),
        (Target::UnixAbstract, false) => Addr::UnixAbstract(NameRef::FixtureDgram),
        (Target::UnixUnnamed, _) => Addr::UnixUnnamed,
    }
}

/// The model's prediction for op `i` of `case`.
pub fn predict(case: &UringCase, i: usize, ctx: &AddrCtx) -> Prediction {
    let op = case.ops[i];
    let submitter = u32::from(case.restrict);
    let mut flags = submitter;
    if op.use_personality && case.personality != Personality::None {
        let pers = match case.personality {
            Personality::Before => 0,
            _ => submitter,
        };
        if let Err(e) = uring_personality(submitter, pers) {
            return Prediction::Kernel(e).deny_if_eperm();
        }
        flags = pers;
    }
    let creds = Creds {
        flags,
        nnp: true,
        sys_admin: false,
    };
    let verdict = |call, t: Target, bind: bool| {
        let e = target_addr(t, bind, i).encode(ctx);
        match address_rule(creds.restricted(), target_family(t), call, Some(&e)) {
            AddrVerdict::Deny => Prediction::Deny,
            AddrVerdict::Kernel(e) => Prediction::Kernel(e),
            AddrVerdict::Allow => Prediction::SameAsUnrestricted,
        }
    };
    match op.kind {
        Kind::Nop => Prediction::Exact(Outcome::Ok(0)),
        Kind::Socket(f) => socket_create(&creds, f, libc::SOCK_DGRAM, 0),
        Kind::Connect(t) => verdict(AddrSyscall::Connect, t, false),
        Kind::Bind(t) => verdict(AddrSyscall::Bind, t, true),
        Kind::SendMsgTo(t) => verdict(AddrSyscall::SendMsg, t, false),
        Kind::SendMsgConnected => Prediction::SameAsUnrestricted,
    }
}

impl Prediction {
    fn deny_if_eperm(self) -> Prediction {
        match self {
            Prediction::Kernel(libc::EPERM) => Prediction::Deny,
            p => p,
        }
    }
}

fn cqe_outcome(res: i32) -> Outcome {
    if res < 0 {
        Outcome::Err(-res)
    } else {
        Outcome::Ok(res as i64)
    }
}

fn ctx_of(case_no: u32, role: Role) -> AddrCtx {
    let (dir, tag) = exec::world_names(case_no, role);
    AddrCtx { dir, tag, port: 0 }
}

fn dgram(family: i32) -> i32 {
    // SAFETY: plain syscall.
    unsafe { libc::socket(family, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) }
}

fn bind_addr(fd: i32, a: &Addr, ctx: &AddrCtx) -> i32 {
    let e = a.encode(ctx);
    // SAFETY: e is valid for its length.
    unsafe { libc::bind(fd, e.ptr(), e.len) }
}

/// Body of a world: returns one outcome line per op.
fn world(case: &UringCase, role: Role, case_no: u32) -> Result<String, String> {
    let mut ctx = ctx_of(case_no, role);
    std::fs::create_dir_all(&ctx.dir).map_err(|e| format!("mkdir: {e}"))?;
    std::env::set_current_dir(&ctx.dir).map_err(|e| format!("chdir: {e}"))?;
    // Relative pathnames: see exec.rs.
    ctx.dir = ".".into();
    // Fixtures: UDP on 127.0.0.1:P and [::1]:P, dgram on $dir/fd and @ad.
    let udp4 = dgram(libc::AF_INET);
    if bind_addr(
        udp4,
        &Addr::Inet4 {
            loopback: true,
            port: PortRef::Zero,
        },
        &ctx,
    ) != 0
    {
        return Err(format!(
            "bind udp fixture: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: valid out-parameters.
    let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = 16u32;
    unsafe { libc::getsockname(udp4, (&mut sin as *mut libc::sockaddr_in).cast(), &mut len) };
    ctx.port = u16::from_be(sin.sin_port);
    let udp6 = dgram(libc::AF_INET6);
    let _ = bind_addr(
        udp6,
        &Addr::Inet6 {
            loopback: true,
            port: PortRef::Fixture,
        },
        &ctx,
    );
    let upath = dgram(libc::AF_UNIX);
    if bind_addr(upath, &Addr::UnixPath(PathRef::FixtureDgram), &ctx) != 0 {
        return Err("bind unix dgram fixture".into());
    }
    let uabs = dgram(libc::AF_UNIX);
    if bind_addr(uabs, &Addr::UnixAbstract(NameRef::FixtureDgram), &ctx) != 0 {
        return Err("bind abstract dgram fixture".into());
    }
    // Per-op descriptors, made before any restriction.
    let mut fds = Vec::new();
    for op in &case.ops {
        let fd = match op.kind {
            Kind::Connect(t) | Kind::Bind(t) | Kind::SendMsgTo(t) => dgram(target_family(t)),
            Kind::SendMsgConnected => {
                let fd = dgram(libc::AF_INET);
                let e = Addr::Inet4 {
                    loopback: true,
                    port: PortRef::Fixture,
                }
                .encode(&ctx);
                // SAFETY: e is valid for its length.
                unsafe { libc::connect(fd, e.ptr(), e.len) };
                fd
            }
            _ => -1,
        };
        fds.push(fd);
    }
    let mut ring: Option<IoUring> = None;
    let mut pers: Option<u16> = None;
    let new_ring = || IoUring::new(16).map_err(|e| format!("io_uring_setup: {e}"));
    if case.ring_before {
        ring = Some(new_ring()?);
    }
    if case.personality == Personality::Before {
        pers = Some(
            ring.as_ref()
                .unwrap()
                .submitter()
                .register_personality()
                .map_err(|e| e.to_string())?,
        );
    }
    if case.restrict && role == Role::Subject {
        sys::restrict_self();
    }
    if ring.is_none() {
        ring = Some(new_ring()?);
    }
    let mut ring = ring.unwrap();
    if case.personality == Personality::After {
        pers = Some(
            ring.submitter()
                .register_personality()
                .map_err(|e| e.to_string())?,
        );
    }
    let mut out = format!("{}\n", ctx.port);
    for (i, op) in case.ops.iter().enumerate() {
        let fd = types::Fd(fds[i]);
        let enc: Option<Encoded> = match op.kind {
            Kind::Connect(t) | Kind::SendMsgTo(t) => Some(target_addr(t, false, i).encode(&ctx)),
            Kind::Bind(t) => Some(target_addr(t, true, i).encode(&ctx)),
            _ => None,
        };
        let mut iov = libc::iovec {
            iov_base: b"x".as_ptr() as *mut libc::c_void,
            iov_len: 1,
        };
        // SAFETY: all-zero msghdr is valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if let Some(e) = &enc {
            msg.msg_name = e.ptr() as *mut libc::c_void;
            msg.msg_namelen = e.len;
        }
        let mut sqe = match op.kind {
            Kind::Nop => opcode::Nop::new().build(),
            Kind::Socket(f) => {
                opcode::Socket::new(f, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0).build()
            }
            Kind::Connect(_) => {
                let e = enc.as_ref().unwrap();
                opcode::Connect::new(fd, e.ptr(), e.len).build()
            }
            Kind::Bind(_) => {
                let e = enc.as_ref().unwrap();
                opcode::Bind::new(fd, e.ptr(), e.len).build()
            }
            Kind::SendMsgTo(_) | Kind::SendMsgConnected => opcode::SendMsg::new(fd, &msg)
                .flags(libc::MSG_DONTWAIT as u32)
                .build(),
        };
        sqe = sqe.user_data(i as u64);
        if op.async_ {
            sqe = sqe.flags(squeue::Flags::ASYNC);
        }
        if op.use_personality {
            if let Some(p) = pers {
                sqe = sqe.personality(p);
            }
        }
        // SAFETY: every buffer the entry points to lives until the
        // completion, which we wait for right here.
        unsafe {
            ring.submission()
                .push(&sqe)
                .map_err(|_| "submission queue full")?
        };
        ring.submit_and_wait(1)
            .map_err(|e| format!("io_uring_enter: {e}"))?;
        let cqe = ring.completion().next().ok_or("no completion")?;
        let mut o = cqe_outcome(cqe.result());
        if let (Kind::Socket(_), Outcome::Ok(fd)) = (op.kind, o) {
            sys::close(fd as i32);
            o = Outcome::Ok(0);
        }
        out.push_str(&o.to_wire());
        out.push('\n');
    }
    Ok(out)
}

fn run_world(
    case: &UringCase,
    role: Role,
    case_no: u32,
) -> Result<(AddrCtx, Vec<Outcome>), String> {
    let mut ctx = ctx_of(case_no, role);
    let r = fork::in_child(|| world(case, role, case_no));
    let _ = std::fs::remove_dir_all(&ctx.dir);
    ctx.dir = ".".into();
    let text = r.map_err(|e| format!("{role:?} io_uring world failed: {e}"))?;
    let mut lines = text.lines();
    ctx.port = lines
        .next()
        .and_then(|l| l.parse().ok())
        .ok_or("bad port line")?;
    let outs = lines
        .map(|l| Outcome::from_wire(l).ok_or(format!("bad line {l:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((ctx, outs))
}

/// Run `case` in an oracle world and a subject world and compare with the
/// model.
pub fn check_case(case: &UringCase) -> Result<(), String> {
    let n = exec::next_case();
    let (_, oracle) = run_world(case, Role::Oracle, n)?;
    let (ctx, kernel) = run_world(case, Role::Subject, n)?;
    compare(case, &ctx, &oracle, &kernel)
}

/// Pure comparison (host-testable).
pub fn compare(
    case: &UringCase,
    ctx: &AddrCtx,
    oracle: &[Outcome],
    kernel: &[Outcome],
) -> Result<(), String> {
    let mut trace = String::new();
    for i in 0..case.ops.len() {
        let pred = predict(case, i, ctx);
        let want = pred.resolve(oracle[i], kernel[i]);
        let ok = want == kernel[i];
        trace.push_str(&format!(
            "  #{i} {:?}\n      model: {pred:?} => {want:?}; unrestricted: {:?}; kernel: {:?}{}\n",
            case.ops[i],
            oracle[i],
            kernel[i],
            if ok { "" } else { "   <== MISMATCH" }
        ));
        if !ok {
            return Err(format!(
                "io_uring: kernel and model disagree at op #{i} (ring_before={}, personality={:?}, restrict={})\n{trace}",
                case.ring_before, case.personality, case.restrict
            ));
        }
    }
    Ok(())
}
