//! SCTP socket options that carry addresses (the sctp_bind_connect hook)
//! on SCTP sockets created before the restriction: EPERM when restricted,
//! the kernel's usual answer (never EPERM) otherwise. The unrestricted run
//! is the oracle; the generic sequences leave SCTP out.
//!
//! SCTP_PRIMARY_ADDR / SCTP_SET_PEER_PRIMARY_ADDR reach the hook only on an
//! established association and are not exercised here.

use prctl_network_tests::addr::sockaddr_in_loopback;
use prctl_network_tests::check::require_series;
use prctl_network_tests::fork::in_child;
use prctl_network_tests::outcome::Outcome;
use prctl_network_tests::sys::{self, outcome};

const SOL_SCTP: i32 = 132;
const SCTP_SOCKOPT_BINDX_ADD: i32 = 100;
const SCTP_SOCKOPT_CONNECTX_OLD: i32 = 107;
const SCTP_SOCKOPT_CONNECTX: i32 = 110;
const SCTP_SOCKOPT_CONNECTX3: i32 = 111;

#[repr(C)]
struct GetaddrsOld {
    assoc_id: i32,
    addr_num: i32,
    addrs: *const libc::sockaddr,
}

fn sctp_socket(ty: i32) -> i32 {
    // SAFETY: plain syscall.
    unsafe {
        libc::socket(
            libc::AF_INET,
            ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            libc::IPPROTO_SCTP,
        )
    }
}

const NAMES: [&str; 6] = [
    "setsockopt(SCTP_SOCKOPT_BINDX_ADD)",
    "setsockopt(SCTP_SOCKOPT_CONNECTX)",
    "setsockopt(SCTP_SOCKOPT_CONNECTX_OLD)",
    "getsockopt(SCTP_SOCKOPT_CONNECTX3)",
    "sendmsg(msg_name = server)",
    "socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP)",
];

/// Run the operations, restricted or not; one outcome each.
fn world(restrict: bool) -> Result<String, String> {
    let server = sctp_socket(libc::SOCK_SEQPACKET);
    if server < 0 {
        return Err(format!(
            "SCTP socket: {} (the VM kernel is configured with CONFIG_IP_SCTP)",
            std::io::Error::last_os_error()
        ));
    }
    let any = sockaddr_in_loopback(0);
    let sa = |s: &libc::sockaddr_in| (s as *const libc::sockaddr_in).cast::<libc::sockaddr>();
    // SAFETY: plain syscalls on valid sockaddrs.
    unsafe {
        libc::bind(server, sa(&any), 16);
        libc::listen(server, 8);
    }
    let mut got: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = 16u32;
    unsafe {
        libc::getsockname(
            server,
            (&mut got as *mut libc::sockaddr_in).cast(),
            &mut len,
        )
    };
    let srv = sockaddr_in_loopback(u16::from_be(got.sin_port));
    // Client sockets, made before the restriction.
    let c1 = sctp_socket(libc::SOCK_SEQPACKET);
    let c2 = sctp_socket(libc::SOCK_SEQPACKET);
    let c3 = sctp_socket(libc::SOCK_STREAM);
    let c4 = sctp_socket(libc::SOCK_SEQPACKET);
    if restrict {
        sys::restrict_self();
    }
    let mut outs = Vec::new();
    // SAFETY: setsockopt/getsockopt/sendmsg with valid buffers of the
    // given sizes.
    unsafe {
        outs.push(outcome(libc::setsockopt(
            c1,
            SOL_SCTP,
            SCTP_SOCKOPT_BINDX_ADD,
            sa(&any).cast(),
            16,
        ) as i64));
        outs.push(outcome(
            libc::setsockopt(c2, SOL_SCTP, SCTP_SOCKOPT_CONNECTX, sa(&srv).cast(), 16) as i64,
        ));
        outs.push(outcome(libc::setsockopt(
            c4,
            SOL_SCTP,
            SCTP_SOCKOPT_CONNECTX_OLD,
            sa(&srv).cast(),
            16,
        ) as i64));
        let mut p = GetaddrsOld {
            assoc_id: 0,
            addr_num: 16,
            addrs: sa(&srv),
        };
        let mut plen = std::mem::size_of::<GetaddrsOld>() as u32;
        outs.push(outcome(libc::getsockopt(
            c3,
            SOL_SCTP,
            SCTP_SOCKOPT_CONNECTX3,
            (&mut p as *mut GetaddrsOld).cast(),
            &mut plen,
        ) as i64));
        let mut iov = libc::iovec {
            iov_base: b"x".as_ptr() as *mut libc::c_void,
            iov_len: 1,
        };
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_name = sa(&srv) as *mut libc::c_void;
        msg.msg_namelen = 16;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        // On a socket made before the restriction.
        outs.push(outcome(libc::sendmsg(c1, &msg, libc::MSG_DONTWAIT) as i64).ok_as_zero());
        let s = sctp_socket(libc::SOCK_SEQPACKET);
        outs.push(if s < 0 {
            Outcome::Err(sys::errno())
        } else {
            Outcome::Ok(0)
        });
    }
    Ok(outs
        .iter()
        .map(|o| o.to_wire())
        .collect::<Vec<_>>()
        .join("\n"))
}

fn parse(s: &str) -> Vec<Outcome> {
    s.lines()
        .map(|l| Outcome::from_wire(l).expect("outcome line"))
        .collect()
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn sctp_address_options_on_pre_restriction_sockets_are_denied() {
    require_series();
    let oracle = parse(&in_child(|| world(false)).unwrap());
    let kernel = parse(&in_child(|| world(true)).unwrap());
    let mut report = String::new();
    let mut bad = false;
    for i in 0..NAMES.len() {
        let eperm = Outcome::Err(libc::EPERM);
        let ok = kernel[i] == eperm && oracle[i] != eperm;
        bad |= !ok;
        report.push_str(&format!(
            "  {}: restricted {:?} (model: Deny(EPERM)), unrestricted {:?} (must not be EPERM){}\n",
            NAMES[i],
            kernel[i],
            oracle[i],
            if ok { "" } else { "   <== MISMATCH" }
        ));
    }
    eprintln!("{report}");
    assert!(!bad, "SCTP:\n{report}");
}
