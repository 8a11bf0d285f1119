//! The property: for a sequence of operations, the kernel's outcomes equal
//! the model's predictions (resolved against the unrestricted oracle).

use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt;

use crate::addr::AddrCtx;
use crate::exec::{self, Role};
use crate::model::{Env, Model};
use crate::ops::Op;
use crate::outcome::{Outcome, Prediction};

/// Where the setuid probe is: `$PN_SUID_PROBE`, `/usr/bin/pn-suid-probe`
/// (the VM), or `fallback` (cargo's build of it) if it exists.
pub fn probe_path(fallback: Option<&str>) -> Option<String> {
    let cands = [
        std::env::var("PN_SUID_PROBE").ok(),
        Some("/usr/bin/pn-suid-probe".to_string()),
        fallback.map(str::to_string),
    ];
    cands
        .into_iter()
        .flatten()
        .find(|p| std::path::Path::new(p).is_file())
}

/// The machine facts the model needs, read from the test process.
pub fn detect_env(probe: Option<&str>) -> Env {
    let (ruid, euid) = (
        nix::unistd::getuid().as_raw(),
        nix::unistd::geteuid().as_raw(),
    );
    let probe_setuid_root = probe.map(|p| {
        std::fs::metadata(p)
            .map(|m| m.mode() & 0o4000 != 0 && m.uid() == 0)
            .unwrap_or(false)
    });
    Env {
        ruid,
        euid,
        sys_admin: crate::sys::has_sys_admin(),
        probe_setuid_root,
        earlier_lsm: earlier_lsm(
            &std::fs::read_to_string("/sys/kernel/security/lsm").unwrap_or_default(),
        ),
    }
}

/// The first major module listed before `prctl_network` in an LSM order
/// (`/sys/kernel/security/lsm`, comma-separated).
pub fn earlier_lsm(order: &str) -> Option<String> {
    const MAJOR: [&str; 4] = ["selinux", "apparmor", "smack", "tomoyo"];
    order
        .trim()
        .split(',')
        .take_while(|m| *m != "prctl_network")
        .find(|m| MAJOR.contains(m))
        .map(str::to_string)
}

/// Whether the kernel's outcome is the one wanted, or a denial answered
/// first by a major module ordered before this one: the model denies, and
/// the kernel fails exactly as the unrestricted oracle does (the earlier
/// module refuses the call in both worlds, before this module is asked).
pub fn agrees(
    pred: Prediction,
    want: Outcome,
    oracle: Outcome,
    kernel: Outcome,
    env: &Env,
) -> bool {
    want == kernel
        || (pred == Prediction::Deny
            && env.earlier_lsm.is_some()
            && matches!(oracle, Outcome::Err(_))
            && kernel == oracle)
}

/// Compare the kernel's outcomes with the model's predictions; `Err` holds a
/// readable trace up to the first mismatch. Pure: no syscalls.
pub fn compare(
    ops: &[Op],
    env: &Env,
    ctx: &AddrCtx,
    oracle: &[Outcome],
    kernel: &[Outcome],
) -> Result<(), String> {
    let mut model = Model::new(env.clone());
    let mut trace = String::new();
    for (i, op) in ops.iter().enumerate() {
        let pred = model.predict(op, ctx);
        let want = pred.resolve(oracle[i], kernel[i]);
        let ok = agrees(pred, want, oracle[i], kernel[i], env);
        let _ = writeln!(
            trace,
            "  #{i:<2} {op:?}\n       model: {pred:?} => {want:?}; unrestricted: {:?}; kernel: {:?}{}",
            oracle[i],
            kernel[i],
            if !ok {
                "   <== MISMATCH".to_string()
            } else if want != kernel[i] {
                format!(
                    "   (refused first by {}, ordered before prctl_network)",
                    env.earlier_lsm.as_deref().unwrap_or("?")
                )
            } else {
                String::new()
            }
        );
        if !ok {
            return Err(format!(
                "kernel and model disagree at op #{i} (main thread flags before it: {:#x})\n{trace}",
                model.main.flags
            ));
        }
        model.apply(op, pred, kernel[i], oracle[i]);
    }
    Ok(())
}

/// Run one case: the oracle world, then the restricted one, then compare.
pub fn run_case(ops: &[Op], env: &Env, probe: Option<&str>) -> Result<(), String> {
    let case = exec::next_case();
    let oracle = exec::run_world(ops, Role::Oracle, case, probe)?;
    let subject = exec::run_world(ops, Role::Subject, case, probe)?;
    compare(ops, env, &subject.ctx, &oracle.outcomes, &subject.outcomes)
}

/// Fail loudly (never skip) if the running kernel lacks the series: the
/// kernel tests are only run by `cargo xtask vm-test`, on the patched kernel.
pub fn require_series() {
    let r = crate::fork::in_child(|| Ok(format!("{:?}", crate::sys::get_network(0, 0, 0, 0))));
    match r {
        Ok(s) if s == "Ok(0)" => {}
        other => panic!(
            "PR_GET_NETWORK in a fresh process answered {other:?}, want Ok(0): this kernel does not \
             carry the prctl-network series (run these tests with `cargo xtask vm-test`)"
        ),
    }
}
