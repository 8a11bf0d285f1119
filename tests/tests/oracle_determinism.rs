//! The differential oracle must be deterministic: on an unrestricted
//! process, running the same sequence twice (oracle world, subject world)
//! gives identical outcomes for every socket operation. Needs no prctl
//! support, so it also runs on the host: a flaky oracle would make the
//! main property useless.

use prctl_network_tests::check::{detect_env, run_case};
use prctl_network_tests::ops::{self, Op, ThreadAction};
use prctl_network_tests::runner;
use proptest::strategy::Strategy;

fn needs_no_series(op: &Op) -> bool {
    match op {
        Op::SetNetwork { .. } | Op::GetNetwork { .. } | Op::Fork | Op::Thread | Op::Exec { .. } => {
            false
        }
        Op::InThread { action, .. } => *action == ThreadAction::NoNewPrivs,
        Op::Ptrace { child_off, .. } => !child_off,
        _ => true,
    }
}

#[test]
fn oracle_is_deterministic_without_restriction() {
    let env = detect_env(None);
    let seq =
        ops::sequence(24).prop_map(|s| s.into_iter().filter(needs_no_series).collect::<Vec<_>>());
    runner::run("oracle_determinism", 16, seq, |seq| {
        run_case(&seq, &env, None)
    });
}
