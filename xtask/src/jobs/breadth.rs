//! `cargo xtask build-breadth`: the module's objects built as a
//! distribution's and a reviewer's builds would see them — `W=1` (extra
//! compiler warnings) and sparse (`C=2`) — under `allmodconfig`, under
//! `allnoconfig` plus the module, and with each option the code has an
//! `#ifdef` or a dependency for switched off; then every patch of the
//! series alone (patches 1..k applied), so that each one builds.
//!
//! Only the objects that matter are built (the module's directory and the
//! objects of the other files the series touches), not a whole kernel:
//! `make` prepares the tree once per configuration (scripts, generated
//! headers), then compiles those few objects, so the check fits CI.

use crate::cache;
use crate::host_deps;
use crate::kernel::config;
use crate::kernel::fetch;
use crate::kernel::make::{self, run_logged};
use crate::kernel::pin::Pin;
use crate::kernel::tree::{self, Series};
use crate::util::{fmt_dur, remove_dir_all_if_exists, say, sha256_bytes, write_atomic, Result};
use anyhow::bail;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub const ABOUT: &str = "\
Build the series' objects with W=1 and sparse (make C=2) and fail on any
warning in a file the series touches, under these configurations:
  allmodconfig        everything on (the module built in: it is a bool)
  minimal             allnoconfig + NET + SECURITY_NETWORK + the module
                      (no INET: the module only depends on NET)
  full                allnoconfig + the module + IO_URING, IPV6, IP_SCTP, TUN
  no-io_uring         full without IO_URING
  no-ipv6             full without IPV6
  no-sctp             full without IP_SCTP
The allnoconfig-based ones also link vmlinux (an undefined symbol shows only
there). Then `per-patch`: patches 1..k applied for each k, configured `full`:
each prefix must link vmlinux and build the objects it touches with W=1, C=2. sparse is installed with apt-get when
missing (as root). Build dirs: <cache>/breadth/<name>; logs beside them.";

/// One configuration: a base target (`allmodconfig`, `allnoconfig`) and
/// a fragment merged on it.
struct Variant {
    name: &'static str,
    base: &'static str,
    fragment: String,
    /// Also link vmlinux: objects alone do not show a call into code the
    /// configuration leaves out (an undefined symbol at link time).
    link: bool,
}

const FULL: &str = "\
CONFIG_NET=y
CONFIG_INET=y
CONFIG_UNIX=y
CONFIG_IPV6=y
CONFIG_IP_SCTP=y
CONFIG_IO_URING=y
CONFIG_NETDEVICES=y
CONFIG_NET_CORE=y
CONFIG_TUN=y
CONFIG_MULTIUSER=y
CONFIG_SECURITY=y
CONFIG_SECURITY_NETWORK=y
CONFIG_SECURITY_PRCTL_NETWORK=y
";

fn variants() -> Vec<Variant> {
    // FULL with one option's line replaced by "is not set" (plus what
    // makes it settable: IO_URING has a prompt only with EXPERT).
    let without = |name, off: &str, extra: &str| Variant {
        name,
        base: "allnoconfig",
        fragment: FULL
            .lines()
            .filter(|l| !l.starts_with(&format!("{off}=")))
            .map(|l| format!("{l}\n"))
            .chain([format!("# {off} is not set\n"), extra.to_string()])
            .collect(),
        link: true,
    };
    vec![
        Variant {
            name: "allmodconfig",
            base: "allmodconfig",
            fragment: "CONFIG_SECURITY_PRCTL_NETWORK=y\n".into(),
            link: false,
        },
        Variant {
            name: "minimal",
            base: "allnoconfig",
            fragment: "\
CONFIG_NET=y
# CONFIG_INET is not set
CONFIG_SECURITY=y
CONFIG_SECURITY_NETWORK=y
CONFIG_SECURITY_PRCTL_NETWORK=y
"
            .into(),
            link: true,
        },
        Variant {
            name: "full",
            base: "allnoconfig",
            fragment: FULL.into(),
            link: true,
        },
        without("no-io_uring", "CONFIG_IO_URING", "CONFIG_EXPERT=y\n"),
        without("no-ipv6", "CONFIG_IPV6", ""),
        without("no-sctp", "CONFIG_IP_SCTP", ""),
    ]
}

/// The objects to build for the files `touched` of a series: the module's
/// directory and the `.o` of every other touched `.c` under the kernel
/// proper (tools/ and Documentation/ are not kernel objects).
fn targets(touched: &BTreeSet<String>, src: &Path) -> Vec<String> {
    let mut t = Vec::new();
    if src.join("security/prctl_network/Makefile").exists() {
        t.push("security/prctl_network/".to_string());
    }
    for f in touched {
        if f.ends_with(".c")
            && !f.starts_with("security/prctl_network/")
            && !f.starts_with("tools/")
            && !f.starts_with("Documentation/")
        {
            t.push(format!("{}.o", f.trim_end_matches(".c")));
        }
    }
    // Headers the series changes are compiled through their users: the
    // LSM framework (lsm_count.h, uapi/linux/lsm.h) and prctl().
    for (header, user) in [
        ("include/linux/lsm_count.h", "security/security.o"),
        ("include/uapi/linux/lsm.h", "security/lsm_syscalls.o"),
        ("include/uapi/linux/prctl.h", "kernel/sys.o"),
    ] {
        if touched.contains(header) && !t.iter().any(|x| x == user) {
            t.push(user.to_string());
        }
    }
    t
}

/// Lines of a build log that are diagnostics about a touched file.
fn diagnostics(log: &str, touched: &BTreeSet<String>) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("warning:") || l.contains("error:"))
        .filter(|l| touched.iter().any(|f| l.contains(f.as_str())))
        .map(str::to_string)
        .collect()
}

/// Configure `build` for `v` (cached by the fragment's hash), then build
/// `targets` with W=1 C=2 from scratch (their objects removed first, so
/// that every warning shows on every run). Returns the diagnostics.
fn build_variant(
    src: &Path,
    build: &Path,
    v: &Variant,
    targets: &[String],
    touched: &BTreeSet<String>,
    jobs: usize,
    reconfigure: bool,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(build)?;
    let log = build.with_extension("log");
    std::fs::write(&log, "")?;
    let frag = build.with_extension("config");
    std::fs::write(&frag, &v.fragment)?;
    let key = sha256_bytes(format!("{}\n{}", v.base, v.fragment).as_bytes())?;
    let stamp = build.join(".pn-breadth.stamp");
    if reconfigure || crate::util::read_opt(&stamp).as_deref() != Some(key.as_str()) {
        let _ = std::fs::remove_file(&stamp);
        config::merge(
            src,
            build,
            v.base,
            &config::Fragments::load(vec![frag])?,
            &log,
        )?;
        write_atomic(&stamp, key.as_bytes())?;
    }
    if v.link {
        run_logged(
            make::make(src, build)
                .arg(format!("-j{jobs}"))
                .arg("vmlinux"),
            &log,
            "make vmlinux",
        )?;
    }
    for t in targets {
        let obj = build.join(t);
        if t.ends_with('/') {
            let _ = remove_dir_all_if_exists(&obj);
        } else {
            let _ = std::fs::remove_file(&obj);
        }
    }
    run_logged(
        make::make(src, build)
            .arg(format!("-j{jobs}"))
            .args(["W=1", "C=2"])
            .args(targets),
        &log,
        &format!("make W=1 C=2 {}", targets.join(" ")),
    )?;
    Ok(diagnostics(&std::fs::read_to_string(&log)?, touched))
}

pub fn run(source: &fetch::SourceOpts, jobs: usize) -> Result<bool> {
    let _lock = cache::lock()?;
    host_deps::ensure(&[
        host_deps::FETCH,
        host_deps::PATCH,
        host_deps::KERNEL,
        host_deps::SPARSE,
    ])?;
    let pin = Pin::load()?;
    let series = Series::load()?;
    if series.patches.is_empty() {
        bail!("the series is empty: nothing to build");
    }
    let pristine = fetch::pristine(&pin, source)?;
    let src = tree::patched(&pristine, &series)?;
    let touched = series.touched();
    let root = cache::dir().join("breadth");
    let targets = targets(&touched, &src);
    let mut ok = true;
    let mut report = Vec::new();
    for v in variants() {
        let t0 = Instant::now();
        let build = root.join(v.name);
        say(
            "breadth",
            format!(
                "{}: {} + fragment; make W=1 C=2 {}",
                v.name,
                v.base,
                targets.join(" ")
            ),
        );
        match build_variant(&src, &build, &v, &targets, &touched, jobs, false) {
            Ok(d) if d.is_empty() => {
                report.push(format!("{}: clean", v.name));
                say(
                    "breadth",
                    format!(
                        "{}: clean ({})",
                        v.name,
                        fmt_dur(t0.elapsed().as_secs_f64())
                    ),
                );
            }
            Ok(d) => {
                ok = false;
                report.push(format!("{}: {} diagnostic(s)", v.name, d.len()));
                say(
                    "breadth",
                    format!("{}: FAILED:\n    {}", v.name, d.join("\n    ")),
                );
            }
            Err(e) => {
                ok = false;
                report.push(format!("{}: build failed", v.name));
                say("breadth", format!("{}: FAILED: {e}", v.name));
            }
        }
    }
    ok &= per_patch(&pristine.tree, &series, &root, jobs, &mut report)?;
    say("breadth", format!("summary: {}", report.join("; ")));
    Ok(ok)
}

/// Each prefix of the series (patches 1..k) on a scratch copy of the
/// pristine tree, configured `full`, must build the objects it touches
/// with W=1 and sparse, without a diagnostic.
fn per_patch(
    pristine: &Path,
    series: &Series,
    root: &Path,
    jobs: usize,
    report: &mut Vec<String>,
) -> Result<bool> {
    let scratch: PathBuf = root.join("per-patch-src");
    let build = root.join("per-patch");
    let t0 = Instant::now();
    say(
        "breadth",
        format!(
            "per-patch: copying the pristine tree to {}",
            scratch.display()
        ),
    );
    remove_dir_all_if_exists(&scratch)?;
    // A hard-linked copy: patch(1) writes each patched file anew, so the
    // pristine tree's files are never modified through the links.
    let st = Command::new("cp")
        .arg("-al")
        .arg(pristine)
        .arg(&scratch)
        .status()?;
    if !st.success() {
        bail!("cp -al {} {} failed", pristine.display(), scratch.display());
    }
    let full = Variant {
        name: "per-patch",
        base: "allnoconfig",
        fragment: FULL.into(),
        link: true,
    };
    let mut ok = true;
    let mut so_far = Series {
        patches: Vec::new(),
        hash: String::new(),
    };
    for (k, p) in series.patches.iter().enumerate() {
        let pf = root.join(&p.name);
        std::fs::write(&pf, &p.text)?;
        let out = Command::new("patch")
            .args([
                "-p1",
                "--forward",
                "--fuzz=0",
                "--batch",
                "--no-backup-if-mismatch",
            ])
            .arg("-d")
            .arg(&scratch)
            .arg("-i")
            .arg(&pf)
            .output()?;
        let _ = std::fs::remove_file(&pf);
        if !out.status.success() {
            bail!("patch {} does not apply to the per-patch tree", p.name);
        }
        so_far.patches.push(p.clone());
        let touched = so_far.touched();
        let targets = targets(&touched, &scratch);
        // Kconfig may change with each patch: configure again.
        let res = build_variant(&scratch, &build, &full, &targets, &touched, jobs, true);
        let label = format!("patch {}/{} ({})", k + 1, series.patches.len(), p.name);
        match res {
            Ok(d) if d.is_empty() => say("breadth", format!("{label}: builds, clean")),
            Ok(d) => {
                ok = false;
                say(
                    "breadth",
                    format!("{label}: FAILED:\n    {}", d.join("\n    ")),
                );
            }
            Err(e) => {
                ok = false;
                say("breadth", format!("{label}: FAILED: {e}"));
            }
        }
    }
    report.push(format!(
        "per-patch: {} ({})",
        if ok { "every patch builds" } else { "FAILED" },
        fmt_dur(t0.elapsed().as_secs_f64())
    ));
    remove_dir_all_if_exists(&scratch)?;
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_only_for_touched_files() {
        let touched: BTreeSet<String> = ["security/prctl_network/net.c".to_string()]
            .into_iter()
            .collect();
        let log = "\
../security/prctl_network/net.c:12:5: warning: no previous prototype for 'f' [-Wmissing-prototypes]
../security/selinux/hooks.c:1:1: warning: something of the base tree
../security/prctl_network/net.c:40:9: sparse: error: incompatible types
  CC      security/prctl_network/net.o
";
        let d = diagnostics(log, &touched);
        assert_eq!(d.len(), 2, "{d:?}");
    }

    #[test]
    fn variants_switch_their_option_off() {
        for v in variants() {
            if let Some(off) = v.name.strip_prefix("no-") {
                let sym = format!("CONFIG_{}", off.to_uppercase());
                let sym = if sym == "CONFIG_SCTP" {
                    "CONFIG_IP_SCTP".into()
                } else {
                    sym
                };
                assert!(
                    v.fragment.contains(&format!("# {sym} is not set")),
                    "{}",
                    v.name
                );
                assert!(!v.fragment.contains(&format!("{sym}=")), "{}", v.name);
            }
        }
    }

    #[test]
    fn targets_cover_module_and_header_users() {
        let touched: BTreeSet<String> = [
            "security/prctl_network/net.c",
            "include/linux/lsm_count.h",
            "tools/testing/selftests/prctl_network/net_test.c",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let t = targets(&touched, Path::new("/nonexistent"));
        assert_eq!(t, vec!["security/security.o".to_string()]);
    }
}
