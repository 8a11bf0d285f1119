//! The main property: for every generated sequence of operations, the
//! patched kernel's outcomes equal the model's (see `check::compare`).
//! Plus hand-written sequences for the scenarios the issue names, run
//! through the same checker so they need no expectations of their own.

use prctl_network_tests::addr::{Addr, NameRef, PathRef, PortRef};
use prctl_network_tests::check::{detect_env, probe_path, require_series, run_case};
use prctl_network_tests::ops::{self, Op, PtraceDir, PtraceHow, Slot, ThreadAction};
use prctl_network_tests::runner;

fn probe() -> Option<String> {
    probe_path(option_env!("CARGO_BIN_EXE_pn-suid-probe"))
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn kernel_matches_model() {
    require_series();
    let probe = probe();
    let env = detect_env(probe.as_deref());
    eprintln!("model environment: {env:?}, probe: {probe:?}");
    runner::run("kernel_matches_model", 80, ops::sequence(24), |seq| {
        run_case(&seq, &env, probe.as_deref())
    });
}

const OFF: Op = Op::SetNetwork {
    flags: 1,
    a3: 0,
    a4: 0,
    a5: 0,
};

fn s(n: usize) -> Slot {
    Slot(n)
}

fn sock(slot: usize, family: i32, ty: i32) -> Op {
    Op::Socket {
        slot: s(slot),
        family,
        ty,
        proto: 0,
    }
}

fn fixed() -> Vec<(&'static str, Vec<Op>)> {
    let in4 = Addr::Inet4 {
        loopback: true,
        port: PortRef::Fixture,
    };
    let in6 = Addr::Inet6 {
        loopback: true,
        port: PortRef::Fixture,
    };
    let path_dg = Addr::UnixPath(PathRef::FixtureDgram);
    let path_st = Addr::UnixPath(PathRef::FixtureStream);
    let abs_dg = Addr::UnixAbstract(NameRef::FixtureDgram);
    vec![
        (
            "prctl argument checks in order",
            vec![
                Op::GetNetwork {
                    a2: 0,
                    a3: 0,
                    a4: 0,
                    a5: 0,
                },
                Op::GetNetwork {
                    a2: 0,
                    a3: 0,
                    a4: 0,
                    a5: 1 << 40,
                },
                Op::SetNetwork {
                    flags: 1 << 32,
                    a3: 0,
                    a4: 0,
                    a5: 0,
                },
                Op::SetNetwork {
                    flags: 2,
                    a3: 0,
                    a4: 0,
                    a5: 0,
                },
                Op::SetNetwork {
                    flags: 0,
                    a3: 0,
                    a4: 0,
                    a5: 0,
                },
                Op::SetNetwork {
                    flags: 1,
                    a3: 0,
                    a4: 1,
                    a5: 0,
                },
                Op::DropSysAdmin,
                OFF,
                Op::NoNewPrivs,
                OFF,
                OFF,
                Op::SetNetwork {
                    flags: 0,
                    a3: 0,
                    a4: 0,
                    a5: 0,
                },
                Op::SetNetwork {
                    flags: 0,
                    a3: 1,
                    a4: 0,
                    a5: 0,
                },
                Op::GetNetwork {
                    a2: 0,
                    a3: 0,
                    a4: 0,
                    a5: 0,
                },
            ],
        ),
        (
            "pre-restriction inet sockets: connected keeps sending, new addresses denied",
            vec![
                sock(0, libc::AF_INET, libc::SOCK_DGRAM),
                Op::Connect {
                    slot: s(0),
                    addr: in4.clone(),
                },
                sock(1, libc::AF_INET6, libc::SOCK_DGRAM),
                sock(2, libc::AF_INET, libc::SOCK_STREAM),
                Op::Connect {
                    slot: s(2),
                    addr: in4.clone(),
                },
                Op::NoNewPrivs,
                OFF,
                Op::SendTo {
                    slot: s(0),
                    addr: None,
                },
                Op::SendMsg {
                    slot: s(0),
                    addr: None,
                },
                Op::SendTo {
                    slot: s(2),
                    addr: None,
                },
                Op::SendTo {
                    slot: s(0),
                    addr: Some(in4.clone()),
                },
                Op::SendMsg {
                    slot: s(1),
                    addr: Some(in6.clone()),
                },
                Op::Connect {
                    slot: s(1),
                    addr: in6.clone(),
                },
                Op::Bind {
                    slot: s(1),
                    addr: in6,
                },
                Op::SendMmsg {
                    slot: s(0),
                    addrs: vec![None, None, Some(in4.clone())],
                },
                sock(3, libc::AF_INET, libc::SOCK_DGRAM),
                sock(3, libc::AF_NETLINK, libc::SOCK_RAW),
                sock(3, libc::AF_UNSPEC, libc::SOCK_DGRAM),
            ],
        ),
        (
            "unix: pathname allowed, abstract and autobind denied",
            vec![
                sock(0, libc::AF_UNIX, libc::SOCK_DGRAM),
                Op::NoNewPrivs,
                OFF,
                sock(1, libc::AF_UNIX, libc::SOCK_DGRAM),
                Op::SendTo {
                    slot: s(1),
                    addr: Some(path_dg.clone()),
                },
                Op::SendTo {
                    slot: s(0),
                    addr: Some(abs_dg.clone()),
                },
                Op::SendMsg {
                    slot: s(1),
                    addr: Some(Addr::UnixAbstract(NameRef::Empty)),
                },
                Op::Bind {
                    slot: s(1),
                    addr: Addr::UnixUnnamed,
                },
                Op::Bind {
                    slot: s(1),
                    addr: Addr::UnixAbstract(NameRef::Fresh(0)),
                },
                Op::Bind {
                    slot: s(1),
                    addr: Addr::UnixPath(PathRef::Fresh(0)),
                },
                Op::Connect {
                    slot: s(0),
                    addr: abs_dg.clone(),
                },
                Op::Connect {
                    slot: s(0),
                    addr: path_dg.clone(),
                },
                Op::SendTo {
                    slot: s(0),
                    addr: None,
                },
                sock(2, libc::AF_UNIX, libc::SOCK_STREAM),
                Op::Connect {
                    slot: s(2),
                    addr: path_st,
                },
                Op::SendTo {
                    slot: s(2),
                    addr: None,
                },
                Op::SendTo {
                    slot: s(1),
                    addr: Some(Addr::Truncated {
                        addr: Box::new(abs_dg.clone()),
                        len: 1,
                    }),
                },
                Op::SendMsg {
                    slot: s(1),
                    addr: Some(Addr::Truncated {
                        addr: Box::new(abs_dg),
                        len: 200,
                    }),
                },
                Op::Connect {
                    slot: s(1),
                    addr: Addr::Raw {
                        family: 1,
                        len: 129,
                        fill: 0,
                    },
                },
                Op::SocketPair {
                    slot: s(3),
                    family: libc::AF_UNIX,
                    ty: libc::SOCK_STREAM,
                    proto: 0,
                },
                Op::SendTo {
                    slot: s(3),
                    addr: None,
                },
                Op::SocketPair {
                    slot: s(3),
                    family: libc::AF_INET,
                    ty: libc::SOCK_STREAM,
                    proto: 0,
                },
            ],
        ),
        (
            "descriptors received over SCM_RIGHTS from an unrestricted helper",
            vec![
                Op::NoNewPrivs,
                OFF,
                Op::Receive {
                    slot: s(0),
                    family: libc::AF_INET,
                    ty: libc::SOCK_DGRAM,
                },
                Op::Connect {
                    slot: s(0),
                    addr: in4.clone(),
                },
                Op::SendTo {
                    slot: s(0),
                    addr: Some(in4.clone()),
                },
                Op::Bind {
                    slot: s(0),
                    addr: Addr::Inet4 {
                        loopback: true,
                        port: PortRef::Zero,
                    },
                },
                Op::Receive {
                    slot: s(1),
                    family: libc::AF_UNIX,
                    ty: libc::SOCK_DGRAM,
                },
                Op::SendTo {
                    slot: s(1),
                    addr: Some(path_dg),
                },
                Op::Listen { slot: s(0) },
            ],
        ),
        (
            "threads: PR_NETWORK_TSYNC from the main thread and from a sibling",
            vec![
                Op::SpawnThread { t: 0 },
                Op::SpawnThread { t: 1 },
                // No nnp yet: EACCES even for TSYNC.
                Op::InThread {
                    t: 1,
                    action: ThreadAction::SetOffTsync,
                },
                Op::InThread {
                    t: 1,
                    action: ThreadAction::NoNewPrivs,
                },
                Op::InThread {
                    t: 1,
                    action: ThreadAction::SetOffTsync,
                },
                Op::GetNetwork {
                    a2: 0,
                    a3: 0,
                    a4: 0,
                    a5: 0,
                },
                Op::InThread {
                    t: 0,
                    action: ThreadAction::InetSocket,
                },
                sock(2, libc::AF_INET, libc::SOCK_DGRAM),
                Op::NoNewPrivs,
                Op::SetNetwork {
                    flags: 1,
                    a3: 1,
                    a4: 0,
                    a5: 0,
                },
                Op::Thread,
            ],
        ),
        (
            "threads: per-thread creds, inherited at creation",
            vec![
                Op::SpawnThread { t: 0 },
                Op::NoNewPrivs,
                OFF,
                Op::SpawnThread { t: 1 },
                Op::InThread {
                    t: 0,
                    action: ThreadAction::Get,
                },
                Op::InThread {
                    t: 0,
                    action: ThreadAction::InetSocket,
                },
                Op::InThread {
                    t: 1,
                    action: ThreadAction::Get,
                },
                Op::InThread {
                    t: 1,
                    action: ThreadAction::InetSocket,
                },
                Op::InThread {
                    t: 0,
                    action: ThreadAction::SetOff,
                },
                Op::InThread {
                    t: 0,
                    action: ThreadAction::NoNewPrivs,
                },
                Op::InThread {
                    t: 0,
                    action: ThreadAction::SetOff,
                },
                Op::InThread {
                    t: 0,
                    action: ThreadAction::InetSocket,
                },
                Op::Thread,
                Op::Fork,
            ],
        ),
        (
            "exec and ptrace across different flags",
            vec![
                Op::Exec { nnp: false },
                Op::Exec { nnp: true },
                Op::Ptrace {
                    how: PtraceHow::Seize,
                    dir: PtraceDir::ChildToParent,
                    child_off: true,
                },
                Op::Ptrace {
                    how: PtraceHow::PidfdGetfd,
                    dir: PtraceDir::ChildToParent,
                    child_off: true,
                },
                Op::Ptrace {
                    how: PtraceHow::VmWritev,
                    dir: PtraceDir::ChildToParent,
                    child_off: true,
                },
                Op::Ptrace {
                    how: PtraceHow::ProcMem,
                    dir: PtraceDir::ChildToParent,
                    child_off: true,
                },
                Op::Ptrace {
                    how: PtraceHow::Attach,
                    dir: PtraceDir::ParentToChild,
                    child_off: true,
                },
                Op::Ptrace {
                    how: PtraceHow::TraceMe,
                    dir: PtraceDir::ChildToParent,
                    child_off: true,
                },
                Op::NoNewPrivs,
                OFF,
                Op::Exec { nnp: false },
                Op::Ptrace {
                    how: PtraceHow::Attach,
                    dir: PtraceDir::ParentToChild,
                    child_off: false,
                },
                Op::Ptrace {
                    how: PtraceHow::VmReadv,
                    dir: PtraceDir::ChildToParent,
                    child_off: false,
                },
                Op::SelfAccess,
            ],
        ),
    ]
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn fixed_sequences_match_model() {
    require_series();
    let probe = probe();
    let env = detect_env(probe.as_deref());
    let mut failures = Vec::new();
    for (name, seq) in fixed() {
        if let Err(e) = run_case(&seq, &env, probe.as_deref()) {
            failures.push(format!("--- {name}:\n{e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
