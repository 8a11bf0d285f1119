//! Kernel configuration: tinyconfig + qemu/kernel.config + the flavour's
//! fragment (qemu/debug.config, qemu/distro.config), then a check that
//! every symbol the fragments set survived olddefconfig.

use crate::kernel::make::{make, run_logged};
use crate::util::{project_root, read_opt, say, sha256_bytes, write_atomic, Result, Step};
use anyhow::bail;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which kernel the VM runs: the same pinned tree and series, configured
/// three ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Flavor {
    /// qemu/kernel.config: the module next to Landlock and Yama only.
    Std,
    /// With qemu/debug.config: KASAN, lockdep, kmemleak, hung-task detection.
    Debug,
    /// With qemu/distro.config: what a distribution stacks around the
    /// module (AppArmor, SELinux, BPF LSM, lockdown, IMA, audit, netfilter).
    Distro,
}

impl Flavor {
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Std => "std",
            Flavor::Debug => "debug",
            Flavor::Distro => "distro",
        }
    }

    /// The flavour's configuration fragments, read.
    pub fn fragments(self) -> Result<Fragments> {
        let q = project_root().join("qemu");
        let mut v = vec![q.join("kernel.config")];
        match self {
            Flavor::Std => {}
            Flavor::Debug => v.push(q.join("debug.config")),
            Flavor::Distro => v.push(q.join("distro.config")),
        }
        Fragments::load(v)
    }

    /// The `lsm=` boots the VM suite runs under, each with a label (`None`:
    /// one boot with the built-in CONFIG_LSM). The distro kernel boots
    /// twice: AppArmor as the major module (Debian, Ubuntu, SUSE), then
    /// SELinux (Fedora, RHEL); both list prctl_network after the major
    /// module, as a distribution appending it to its order would.
    pub fn lsm_boots(self) -> Vec<Option<(&'static str, &'static str)>> {
        match self {
            Flavor::Std | Flavor::Debug => vec![None],
            Flavor::Distro => vec![
                Some((
                    "apparmor",
                    "lockdown,capability,landlock,yama,integrity,apparmor,bpf,prctl_network",
                )),
                Some((
                    "selinux",
                    "lockdown,capability,landlock,yama,integrity,selinux,bpf,prctl_network",
                )),
            ],
        }
    }
}

/// Kconfig fragments, read once: merged in order, the later one winning.
pub struct Fragments {
    files: Vec<(PathBuf, String)>,
}

impl Fragments {
    pub fn load(paths: Vec<PathBuf>) -> Result<Fragments> {
        let files = paths
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                Ok((p, text))
            })
            .collect::<Result<_>>()?;
        Ok(Fragments { files })
    }

    /// SHA-256 of their contents, for the cache keys.
    pub fn hash(&self) -> Result<String> {
        let mut s = String::new();
        for (_, text) in &self.files {
            s.push_str(text);
            s.push('\0');
        }
        sha256_bytes(s.as_bytes())
    }

    fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.iter().map(|(p, _)| p)
    }

    fn names(&self) -> String {
        self.paths()
            .map(|f| {
                format!(
                    "qemu/{}",
                    f.file_name().unwrap_or_default().to_string_lossy()
                )
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// Configure `build` from scratch unless its stamp already says `key`.
pub fn configure(src: &Path, build: &Path, frags: &Fragments, key: &str, log: &Path) -> Result<()> {
    let stamp = build.join(".pn-config.stamp");
    if build.join(".config").exists() && read_opt(&stamp).as_deref() == Some(key) {
        say("config", "configuration up to date");
        verify(build, frags)?;
        return Ok(());
    }
    let _ = std::fs::remove_file(&stamp);
    let step = Step::start("config", format!("tinyconfig + {}", frags.names()));
    std::fs::create_dir_all(build)?;
    merge(src, build, "tinyconfig", frags, log)?;
    write_atomic(&stamp, key.as_bytes())?;
    step.done(format!(
        "{} ok, every fragment symbol present",
        build.join(".config").display()
    ));
    Ok(())
}

/// `make <base>` (tinyconfig, allnoconfig, allmodconfig...), the fragments
/// merged on it with merge_config.sh, `make olddefconfig`, then [`verify`].
pub fn merge(src: &Path, build: &Path, base: &str, frags: &Fragments, log: &Path) -> Result<()> {
    std::fs::create_dir_all(build)?;
    run_logged(make(src, build).arg(base), log, &format!("make {base}"))?;
    let mut merge = Command::new(src.join("scripts/kconfig/merge_config.sh"));
    merge
        .current_dir(src)
        .arg("-m")
        .arg("-O")
        .arg(build)
        .arg(build.join(".config"))
        .args(frags.paths());
    run_logged(&mut merge, log, "merge_config.sh")?;
    run_logged(
        make(src, build).arg("olddefconfig"),
        log,
        "make olddefconfig",
    )?;
    verify(build, frags)
}

/// Every `CONFIG_X=...` line must be in .config verbatim, and every
/// `# CONFIG_X is not set` must not be set there. A symbol set in several
/// fragments is judged by the last one, as merge_config.sh merges them.
pub fn verify(build: &Path, frags: &Fragments) -> Result<()> {
    let config = std::fs::read_to_string(build.join(".config"))?;
    let have: std::collections::HashSet<&str> = config.lines().map(str::trim).collect();
    // symbol -> (line, fragment), the last fragment winning
    let mut wanted: Vec<(String, String, PathBuf)> = Vec::new();
    for (f, text) in &frags.files {
        for line in text.lines() {
            let line = line.trim();
            let sym = if line.starts_with("CONFIG_") {
                line.split('=').next().unwrap_or(line)
            } else if let Some(sym) = line
                .strip_prefix("# ")
                .and_then(|l| l.strip_suffix(" is not set"))
            {
                sym
            } else {
                continue;
            };
            wanted.retain(|(s, _, _)| s != sym);
            wanted.push((sym.to_string(), line.to_string(), f.clone()));
        }
    }
    let mut missing = Vec::new();
    for (sym, line, f) in &wanted {
        if line.starts_with("CONFIG_") {
            if !have.contains(line.as_str()) {
                let actual = config
                    .lines()
                    .find(|l| {
                        l.starts_with(&format!("{sym}=")) || *l == format!("# {sym} is not set")
                    })
                    .unwrap_or("absent (unknown symbol or unmet dependency)");
                missing.push(format!(
                    "  {line}   (in {}; .config has: {actual})",
                    f.display()
                ));
            }
        } else if config.lines().any(|l| l.starts_with(&format!("{sym}="))) {
            missing.push(format!("  {line}   (in {}; but it is set)", f.display()));
        }
    }
    if !missing.is_empty() {
        bail!(
            "{} fragment line(s) did not survive olddefconfig in {}:\n{}",
            missing.len(),
            build.join(".config").display(),
            missing.join("\n")
        );
    }
    Ok(())
}
