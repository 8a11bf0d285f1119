//! Host tool check. Each needed tool is mapped to the Debian package that
//! provides it. Missing ones are installed with apt-get when running as
//! root (CI), otherwise the one command to run is printed.

use crate::util::{is_root, say, which, Result};
use anyhow::bail;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Clone, Copy)]
pub enum Check {
    /// an executable on PATH
    Exe(&'static str),
    /// a package that must be installed (libraries, headers)
    Pkg,
}

#[derive(Clone, Copy)]
pub struct Need {
    pub what: &'static str,
    pub package: &'static str,
    pub check: Check,
}

const fn exe(tool: &'static str, package: &'static str) -> Need {
    Need {
        what: tool,
        package,
        check: Check::Exe(tool),
    }
}
const fn pkg(what: &'static str, package: &'static str) -> Need {
    Need {
        what,
        package,
        check: Check::Pkg,
    }
}

pub const FETCH: &[Need] = &[
    exe("apt-get", "apt"),
    exe("dpkg-deb", "dpkg"),
    exe("tar", "tar"),
    exe("xz", "xz-utils"),
    exe("sha256sum", "coreutils"),
];
pub const PATCH: &[Need] = &[exe("patch", "patch")];
pub const KERNEL: &[Need] = &[
    exe("make", "make"),
    exe("gcc", "gcc"),
    exe("flex", "flex"),
    exe("bison", "bison"),
    exe("bc", "bc"),
    exe("perl", "perl"),
    pkg("libelf headers", "libelf-dev"),
    pkg("openssl headers", "libssl-dev"),
];
pub const INITRAMFS: &[Need] = &[
    exe("gcc", "gcc"),
    pkg("static libc (libc.a)", "libc6-dev"),
    pkg("static busybox (/bin/busybox)", "busybox-static"),
];
pub const QUILT: &[Need] = &[exe("quilt", "quilt")];
/// `make C=1` runs sparse.
pub const SPARSE: &[Need] = &[exe("sparse", "sparse")];
/// `make htmldocs`: Sphinx and the Read the Docs theme the kernel's
/// conf.py prefers (it falls back to the default theme without it).
pub const SPHINX: &[Need] = &[
    exe("sphinx-build", "python3-sphinx"),
    pkg("Sphinx Read the Docs theme", "python3-sphinx-rtd-theme"),
    pkg("python3 yaml (Documentation/sphinx)", "python3-yaml"),
];
pub const QEMU: &[Need] = &[exe("qemu-system-x86_64", "qemu-system-x86")];
/// checkpatch.pl needs perl's modules, not just perl-base's /usr/bin/perl,
/// its SPDX check (scripts/spdxcheck.py) Debian's python3 with ply and
/// GitPython, and `--codespell` the codespell dictionary.
pub const CHECKPATCH: &[Need] = &[
    pkg("perl modules", "perl"),
    pkg("python3 for spdxcheck.py", "python3"),
    pkg("python3 ply (spdxcheck.py)", "python3-ply"),
    pkg("python3 GitPython (spdxcheck.py)", "python3-git"),
    exe("codespell", "codespell"),
];

fn installed(package: &str) -> bool {
    std::process::Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn present(n: &Need) -> bool {
    match n.check {
        Check::Exe(tool) => which(tool).is_some(),
        Check::Pkg => installed(n.package),
    }
}

static UPDATED: AtomicBool = AtomicBool::new(false);

/// `apt-get update`, at most once per xtask run.
pub fn apt_update_once() -> Result<()> {
    if UPDATED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    say("deps", "apt-get update");
    let st = std::process::Command::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    if !st.success() {
        bail!("apt-get update failed");
    }
    Ok(())
}

pub fn ensure(sets: &[&[Need]]) -> Result<()> {
    let mut missing: Vec<Need> = Vec::new();
    for n in sets.iter().flat_map(|s| s.iter()) {
        if !present(n) && !missing.iter().any(|m| m.package == n.package) {
            missing.push(*n);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    for m in &missing {
        say(
            "deps",
            format!("missing {} (package {})", m.what, m.package),
        );
    }
    let pkgs: Vec<&str> = missing.iter().map(|m| m.package).collect();
    if !is_root() {
        bail!(
            "missing host tools; run:\n  sudo apt-get install -y {}",
            pkgs.join(" ")
        );
    }
    apt_update_once()?;
    say("deps", format!("apt-get install -y {}", pkgs.join(" ")));
    let st = std::process::Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(&pkgs)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    if !st.success() {
        bail!("apt-get install {} failed", pkgs.join(" "));
    }
    let still: Vec<&str> = missing
        .iter()
        .filter(|m| !present(m))
        .map(|m| m.what)
        .collect();
    if !still.is_empty() {
        bail!("still missing after install: {}", still.join(", "));
    }
    Ok(())
}
