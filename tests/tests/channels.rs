//! The option table of `prctl_network_tests::channels` against the pinned
//! kernel: every option name its uapi headers define for the socket levels
//! the guest has is classified (so a new one cannot slip by), and the
//! kernel's setsockopt hook refuses exactly the options the table calls
//! `Deny`, on sockets made before the restriction.

use prctl_network_tests::channels::{Verdict, HEADERS, LATER_KERNELS, SOCKOPTS};
use prctl_network_tests::check::require_series;
use prctl_network_tests::fork::in_child;
use prctl_network_tests::outcome::Outcome;
use prctl_network_tests::sys::{self, outcome};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where the pinned kernel's uapi headers are: the VM image carries them
/// in `/usr/include` (see `xtask/src/initramfs.rs`);
/// `PRCTL_NETWORK_UAPI_DIR` points elsewhere (a `make headers` output).
fn uapi_dir() -> PathBuf {
    std::env::var_os("PRCTL_NETWORK_UAPI_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/include"))
}

/// `#define NAME NUMBER` lines of a header (decimal or hex), in order.
fn numeric_defines(text: &str) -> Vec<(String, i64)> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            if w.next()? != "#define" {
                return None;
            }
            let name = w.next()?;
            let value = w.next()?;
            let v = match value.strip_prefix("0x") {
                Some(hex) => i64::from_str_radix(hex, 16).ok()?,
                None => value.parse().ok()?,
            };
            Some((name.to_string(), v))
        })
        .collect()
}

#[test]
#[ignore = "needs the pinned kernel's uapi headers: run by cargo xtask vm-test"]
fn every_uapi_option_is_classified() {
    let dir = uapi_dir();
    let mut missing = Vec::new();
    let mut defined: BTreeMap<String, i64> = BTreeMap::new();
    for spec in HEADERS {
        let path = dir.join(spec.header);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (the VM image carries it)", path.display()));
        for (name, value) in numeric_defines(&text) {
            defined.insert(name.clone(), value);
            let option = spec.prefixes.iter().any(|p| name.starts_with(p))
                && !spec.values.iter().any(|v| name.starts_with(v));
            if !option {
                continue;
            }
            let known = SOCKOPTS
                .iter()
                .flat_map(|t| t.iter())
                .any(|o| o.level == spec.level && o.name == name && i64::from(o.optname) == value);
            if !known {
                missing.push(format!(
                    "level {} {name} = {value} ({})",
                    spec.level, spec.header
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "options of the pinned kernel's headers that tests/src/channels.rs does not classify \
         (give each a verdict there, and in security/prctl_network/net.c if Deny; or list \
         it among the header's values if it is not an option):\n  {}",
        missing.join("\n  ")
    );
    // And the table names nothing the headers do not define (IPv6's raw
    // options at SOL_RAW come from in6.h, read above for SOL_IPV6).
    let stale: Vec<String> = SOCKOPTS
        .iter()
        .flat_map(|t| t.iter())
        .filter(|o| match defined.get(o.name) {
            Some(v) => *v != i64::from(o.optname),
            // Only a later kernel line's headers define it.
            None => !LATER_KERNELS.contains(&o.name),
        })
        .map(|o| format!("{} = {}", o.name, o.optname))
        .collect();
    assert!(
        stale.is_empty(),
        "table entries the headers do not define: {stale:?}"
    );
}

#[test]
fn table_has_one_verdict_per_option() {
    let mut seen: BTreeMap<(i32, i32), (&str, Verdict)> = BTreeMap::new();
    for o in SOCKOPTS.iter().flat_map(|t| t.iter()) {
        if let Some((name, v)) = seen.insert((o.level, o.optname), (o.name, o.verdict)) {
            assert_eq!(
                v, o.verdict,
                "{name} and {} share level {} number {}",
                o.name, o.level, o.optname
            );
        }
    }
}

/// `setsockopt(level, optname, &0, 4)` on a fresh socket of `family`/`ty`,
/// restricted or not, for every option of the table: one outcome each.
fn world(family: i32, ty: i32, restrict: bool) -> Result<String, String> {
    // SAFETY: plain syscall.
    let fd = unsafe { libc::socket(family, ty | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(format!("socket: {}", std::io::Error::last_os_error()));
    }
    if restrict {
        sys::restrict_self();
    }
    let zero: libc::c_int = 0;
    let outs: Vec<String> = SOCKOPTS
        .iter()
        .flat_map(|t| t.iter())
        .map(|o| {
            // SAFETY: four readable bytes.
            let r = unsafe {
                libc::setsockopt(
                    fd,
                    o.level,
                    o.optname,
                    (&zero as *const libc::c_int).cast(),
                    4,
                )
            };
            outcome(r as libc::c_long).to_wire()
        })
        .collect();
    Ok(outs.join("\n"))
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn kernel_refuses_exactly_the_deny_options() {
    require_series();
    let mut bad = Vec::new();
    for (family, ty) in [
        (libc::AF_INET, libc::SOCK_DGRAM),
        (libc::AF_INET6, libc::SOCK_DGRAM),
        (libc::AF_INET, libc::SOCK_STREAM),
    ] {
        let parse = |s: String| -> Vec<Outcome> {
            s.lines()
                .map(|l| Outcome::from_wire(l).expect("outcome line"))
                .collect()
        };
        let oracle = parse(in_child(|| world(family, ty, false)).unwrap());
        let kernel = parse(in_child(|| world(family, ty, true)).unwrap());
        for (i, o) in SOCKOPTS.iter().flat_map(|t| t.iter()).enumerate() {
            let expected = match o.verdict {
                Verdict::Deny => Outcome::Err(libc::EPERM),
                Verdict::Allow => oracle[i],
            };
            // For options the kernel itself refuses an unprivileged task
            // with EPERM (SO_MARK, TCP_REPAIR), the uid 1000 run cannot
            // tell the hook's EPERM from the kernel's; the root run can.
            if kernel[i] != expected {
                bad.push(format!(
                    "family {family} type {ty} {}: restricted {:?}, expected {:?} (unrestricted {:?})",
                    o.name, kernel[i], expected, oracle[i]
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
