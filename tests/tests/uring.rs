//! io_uring requests against the model (see `prctl_network_tests::uring`).

use prctl_network_tests::check::require_series;
use prctl_network_tests::runner;
use prctl_network_tests::uring::{case, check_case, Kind, Personality, Target, UOp, UringCase};

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn uring_matches_model() {
    require_series();
    runner::run("uring_matches_model", 32, case(), |c| check_case(&c));
}

/// Every request kind, inline and async, with and without a pre-restriction
/// personality, once: coverage that does not depend on the generator.
#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn uring_every_kind_once() {
    require_series();
    let targets = [
        Target::Inet4,
        Target::Inet6,
        Target::UnixPath,
        Target::UnixAbstract,
        Target::UnixUnnamed,
    ];
    let mut kinds = vec![
        Kind::Nop,
        Kind::Socket(libc::AF_INET),
        Kind::Socket(libc::AF_INET6),
        Kind::Socket(libc::AF_UNIX),
        Kind::Socket(libc::AF_NETLINK),
        Kind::SendMsgConnected,
    ];
    for t in targets {
        kinds.extend([Kind::Connect(t), Kind::Bind(t), Kind::SendMsgTo(t)]);
    }
    let mut failures = Vec::new();
    for personality in [Personality::None, Personality::Before, Personality::After] {
        for ring_before in [true, false] {
            if personality == Personality::Before && !ring_before {
                continue;
            }
            for async_ in [false, true] {
                let ops = kinds
                    .iter()
                    .map(|&kind| UOp {
                        kind,
                        async_,
                        use_personality: true,
                    })
                    .collect();
                let c = UringCase {
                    ring_before,
                    personality,
                    restrict: true,
                    ops,
                };
                if let Err(e) = check_case(&c) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
