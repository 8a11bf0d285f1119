//! The series (patches/series) and the patched tree.
//!
//! The patched tree is a copy of the pristine tree that is kept between
//! runs (`work/<base-id>/src`) so the build dirs that use it can build
//! incrementally. The series is first applied (in order, --fuzz=0) to a
//! scratch copy of just the files it touches, taken from the pristine tree:
//! that is the dry run, accurate even when a later patch builds on an
//! earlier one, and a failing patch is reported with patch's own output
//! (naming the failing hunk) while the real tree stays as it was. Then
//! every file touched by the old or the new series is given its wanted
//! content (the scratch result, or the pristine file); only files that
//! actually differ are rewritten, so make rebuilds just what changed.

use crate::cache;
use crate::kernel::fetch::Pristine;
use crate::util::{
    copy_tree, remove_dir_all_if_exists, say, sha256_bytes, write_atomic, Result, Step,
};
use anyhow::bail;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The series of this run's kernel line (`patches/`, `patches/7.3/`), or
/// PRCTL_NETWORK_PATCHES=DIR to read another series (e.g. a candidate
/// revision) without touching the checkout.
pub fn patches_dir() -> PathBuf {
    match std::env::var_os("PRCTL_NETWORK_PATCHES").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => crate::kernel::line::current().dir(),
    }
}

#[derive(Clone, Debug)]
pub struct Patch {
    pub name: String,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Series {
    pub patches: Vec<Patch>,
    pub hash: String,
}

impl Series {
    /// Read patches/series (one patch file name per line, `#` comments).
    pub fn load() -> Result<Series> {
        Series::load_from(&patches_dir())
    }

    pub fn load_from(dir: &Path) -> Result<Series> {
        let series = dir.join("series");
        let text = std::fs::read_to_string(&series).map_err(|e| {
            anyhow::anyhow!(
                "{}: {e} (the series file lists the patches to apply, in order)",
                series.display()
            )
        })?;
        let mut patches = Vec::new();
        let mut all = Vec::new();
        for line in text.lines() {
            let name = line.split('#').next().unwrap_or("").trim();
            if name.is_empty() {
                continue;
            }
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                anyhow::anyhow!("{} (listed in {}): {e}", path.display(), series.display())
            })?;
            all.extend_from_slice(name.as_bytes());
            all.push(0);
            all.extend_from_slice(text.as_bytes());
            all.push(0);
            patches.push(Patch {
                name: name.to_string(),
                text,
            });
        }
        let hash = sha256_bytes(&all)?;
        Ok(Series { patches, hash })
    }

    pub fn short(&self) -> &str {
        &self.hash[..12]
    }

    /// Every path (relative to the tree root) that the series touches.
    pub fn touched(&self) -> BTreeSet<String> {
        self.patches
            .iter()
            .flat_map(|p| touched_files(&p.text))
            .collect()
    }

    fn save(&self, dir: &Path) -> Result<()> {
        remove_dir_all_if_exists(dir)?;
        std::fs::create_dir_all(dir)?;
        let mut list = String::new();
        for p in &self.patches {
            std::fs::write(dir.join(&p.name), &p.text)?;
            list.push_str(&p.name);
            list.push('\n');
        }
        std::fs::write(dir.join("series"), list)?;
        Ok(())
    }
}

/// Files named by a patch: `diff --git a/X b/Y` headers (format-patch), or
/// `---`/`+++` headers for plain diffs. -p1: the first component is dropped.
pub fn touched_files(text: &str) -> BTreeSet<String> {
    let strip = |p: &str| -> Option<String> {
        let p = p.split('\t').next()?.trim();
        if p == "/dev/null" {
            return None;
        }
        p.split_once('/').map(|(_, rest)| rest.to_string())
    };
    let mut out = BTreeSet::new();
    let mut git = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            git = true;
            if let Some((a, b)) = rest.split_once(" b/") {
                out.extend(strip(a));
                out.extend(strip(&format!("b/{b}")));
            }
        }
    }
    if !git {
        let mut prev_minus = false;
        for line in text.lines() {
            if let Some(p) = line.strip_prefix("--- ") {
                prev_minus = true;
                out.extend(strip(p));
                continue;
            }
            if prev_minus {
                if let Some(p) = line.strip_prefix("+++ ") {
                    out.extend(strip(p));
                }
            }
            prev_minus = false;
        }
    }
    out
}

fn patch_cmd(dir: &Path, patch_file: &Path) -> Command {
    let mut c = Command::new("patch");
    c.args([
        "-p1",
        "--forward",
        "--fuzz=0",
        "--batch",
        "--no-backup-if-mismatch",
    ]);
    c.arg("-d").arg(dir).arg("-i").arg(patch_file);
    c
}

/// Apply the series to a scratch copy of the files it touches, taken from
/// `base`. Succeeds only if every patch applies with --fuzz=0 in order.
pub fn trial_apply(base: &Path, series: &Series, scratch: &Path) -> Result<()> {
    remove_dir_all_if_exists(scratch)?;
    std::fs::create_dir_all(scratch)?;
    for f in series.touched() {
        let src = base.join(&f);
        if src.is_file() {
            let dst = scratch.join(&f);
            std::fs::create_dir_all(dst.parent().unwrap())?;
            std::fs::copy(&src, &dst)?;
        }
    }
    let pdir = scratch.join(".patches");
    std::fs::create_dir_all(&pdir)?;
    for p in &series.patches {
        let pf = pdir.join(&p.name);
        std::fs::write(&pf, &p.text)?;
        let out = patch_cmd(scratch, &pf).output()?;
        if !out.status.success() {
            bail!(
                "patch {} does not apply (patch -p1 --forward --fuzz=0):\n{}{}",
                p.name,
                indent(&String::from_utf8_lossy(&out.stdout)),
                indent(&String::from_utf8_lossy(&out.stderr))
            );
        }
    }
    Ok(())
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

fn same_file_content(wanted: Option<&Path>, have: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    match (wanted, have.symlink_metadata()) {
        (None, Err(_)) => true,
        (Some(w), Ok(m)) if m.is_file() => {
            let wm = w.metadata().map(|m| m.permissions().mode()).unwrap_or(0);
            wm == m.permissions().mode() && std::fs::read(w).ok() == std::fs::read(have).ok()
        }
        _ => false,
    }
}

/// Make `work/<id>/src` equal to pristine + series. Returns its path.
pub fn patched(pristine: &Pristine, series: &Series) -> Result<PathBuf> {
    let work = cache::dir().join("work").join(&pristine.id);
    let src = work.join("src");
    let state_file = work.join("state");
    let applied_dir = work.join("applied");
    let state = std::fs::read_to_string(&state_file).unwrap_or_default();
    if src.join("Makefile").exists() && state.trim() == format!("clean {}", series.hash) {
        say(
            "patch",
            format!("patched tree up to date (series {})", series.short()),
        );
        return Ok(src);
    }
    let step = Step::start(
        "patch",
        format!(
            "applying {} patch(es) (series {}) to {}",
            series.patches.len(),
            series.short(),
            src.display()
        ),
    );
    // Dry run first, on a scratch copy: the real tree is not touched if it fails.
    trial_apply(&pristine.tree, series, &work.join("scratch"))?;
    let old = if state.trim().starts_with("clean ") && src.join("Makefile").exists() {
        Series::load_from(&applied_dir).ok()
    } else {
        None
    };
    std::fs::create_dir_all(&work)?;
    write_atomic(&state_file, b"dirty\n")?;
    let scratch = work.join("scratch");
    let new_files = series.touched();
    let files: BTreeSet<String> = match &old {
        Some(old) => old.touched().union(&new_files).cloned().collect(),
        None => {
            say(
                "patch",
                format!("copying the pristine tree {}", pristine.tree.display()),
            );
            let partial = work.join("src.partial");
            remove_dir_all_if_exists(&partial)?;
            remove_dir_all_if_exists(&src)?;
            copy_tree(&pristine.tree, &partial, &[".git"])?;
            std::fs::rename(&partial, &src)?;
            new_files.clone()
        }
    };
    // Every file the old or new series touches gets its wanted content: the
    // trial run's result for files of the new series, the pristine file for
    // the others. Only files whose content or mode differs are rewritten, so
    // make rebuilds exactly what the series change affects.
    let mut changed = 0;
    for f in &files {
        let wanted = if new_files.contains(f) {
            scratch.join(f)
        } else {
            pristine.tree.join(f)
        };
        let wanted = wanted.is_file().then_some(wanted);
        let dst = src.join(f);
        if same_file_content(wanted.as_deref(), &dst) {
            continue;
        }
        changed += 1;
        match std::fs::remove_file(&dst) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => bail!("removing {}: {e}", dst.display()),
        }
        if let Some(from) = wanted {
            std::fs::create_dir_all(dst.parent().unwrap())?;
            std::fs::copy(&from, &dst)?;
        }
    }
    for p in &series.patches {
        say("patch", format!("applied {}", p.name));
    }
    say(
        "patch",
        format!(
            "{changed} of {} touched file(s) changed in the patched tree",
            files.len()
        ),
    );
    series.save(&applied_dir)?;
    write_atomic(&state_file, format!("clean {}\n", series.hash).as_bytes())?;
    let _ = remove_dir_all_if_exists(&work.join("scratch"));
    step.done(format!("series {} applied", series.short()));
    Ok(src)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_by_git_diff() {
        let p = "From x\n---\n diffstat\ndiff --git a/security/Kconfig b/security/Kconfig\nindex 1..2\n--- a/security/Kconfig\n+++ b/security/Kconfig\n@@ -1 +1 @@\n--- not a header\ndiff --git a/new/file.c b/new/file.c\nnew file mode 100644\n--- /dev/null\n+++ b/new/file.c\n";
        let t: Vec<String> = touched_files(p).into_iter().collect();
        assert_eq!(
            t,
            vec!["new/file.c".to_string(), "security/Kconfig".to_string()]
        );
    }

    #[test]
    fn touched_by_plain_diff() {
        let p = "--- a/x/y.c\t2020\n+++ b/x/y.c\t2021\n@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(
            touched_files(p).into_iter().collect::<Vec<_>>(),
            vec!["x/y.c".to_string()]
        );
    }
}
