//! Kernel configuration: tinyconfig + qemu/kernel.config (+ qemu/debug.config),
//! then a check that every symbol the fragments set survived olddefconfig.

use crate::bail;
use crate::build::run_logged;
use crate::util::{project_root, read_opt, say, write_atomic, Result, Step};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fragments(debug: bool) -> Vec<PathBuf> {
    let q = project_root().join("qemu");
    let mut v = vec![q.join("kernel.config")];
    if debug {
        v.push(q.join("debug.config"));
    }
    v
}

/// Contents of the fragments, for hashing into cache keys.
pub fn fragments_text(frags: &[PathBuf]) -> Result<String> {
    let mut s = String::new();
    for f in frags {
        s.push_str(&std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?);
        s.push('\0');
    }
    Ok(s)
}

pub fn make(src: &Path, build: &Path) -> Command {
    let mut c = Command::new("nice");
    c.args(["-n", "10", "make", "-C"])
        .arg(src)
        .arg(format!("O={}", build.display()))
        .arg("ARCH=x86_64");
    c
}

/// Configure `build` from scratch unless its stamp already says `key`.
pub fn configure(src: &Path, build: &Path, frags: &[PathBuf], key: &str, log: &Path) -> Result<()> {
    let stamp = build.join(".pn-config.stamp");
    if build.join(".config").exists() && read_opt(&stamp).as_deref() == Some(key) {
        say("config", "configuration up to date");
        verify(build, frags)?;
        return Ok(());
    }
    let _ = std::fs::remove_file(&stamp);
    let step = Step::start("config", format!("tinyconfig + {}", names(frags)));
    std::fs::create_dir_all(build)?;
    run_logged(make(src, build).arg("tinyconfig"), log, "make tinyconfig")?;
    let mut merge = Command::new(src.join("scripts/kconfig/merge_config.sh"));
    merge
        .current_dir(src)
        .arg("-m")
        .arg("-O")
        .arg(build)
        .arg(build.join(".config"))
        .args(frags);
    run_logged(&mut merge, log, "merge_config.sh")?;
    run_logged(
        make(src, build).arg("olddefconfig"),
        log,
        "make olddefconfig",
    )?;
    verify(build, frags)?;
    write_atomic(&stamp, key.as_bytes())?;
    step.done(format!(
        "{} ok, every fragment symbol present",
        build.join(".config").display()
    ));
    Ok(())
}

fn names(frags: &[PathBuf]) -> String {
    frags
        .iter()
        .map(|f| {
            format!(
                "qemu/{}",
                f.file_name().unwrap_or_default().to_string_lossy()
            )
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Every `CONFIG_X=...` line must be in .config verbatim, and every
/// `# CONFIG_X is not set` must not be set there.
pub fn verify(build: &Path, frags: &[PathBuf]) -> Result<()> {
    let config = std::fs::read_to_string(build.join(".config"))?;
    let have: std::collections::HashSet<&str> = config.lines().map(str::trim).collect();
    let mut missing = Vec::new();
    for f in frags {
        for line in std::fs::read_to_string(f)?.lines() {
            let line = line.trim();
            if line.starts_with("CONFIG_") {
                if !have.contains(line) {
                    let sym = line.split('=').next().unwrap_or(line);
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
            } else if let Some(sym) = line
                .strip_prefix("# ")
                .and_then(|l| l.strip_suffix(" is not set"))
            {
                if config.lines().any(|l| l.starts_with(&format!("{sym}="))) {
                    missing.push(format!("  {line}   (in {}; but it is set)", f.display()));
                }
            }
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
