//! `cargo xtask package-check`: the published crates as crates.io would
//! ship them. Each `.crate` that `cargo package` writes is unpacked on its
//! own, must carry the files a packager needs (both licence texts, the
//! README, the changelog), and its tests must pass there — outside the
//! workspace, where `../patches` and the other members are not. A workspace
//! crate it depends on is taken from its own unpacked `.crate` (a
//! `[patch.crates-io]` entry on the command line), as crates.io would serve it.

use crate::util::{project_root, say, Result, Step};
use anyhow::{bail, Context};
use cargo_metadata::{MetadataCommand, Package};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const ABOUT: &str = "\
Package every workspace crate that is published (`publish` not false) with
`cargo package --no-verify`, then for each .crate:
  1. the archive must hold LICENSE-MIT, LICENSE-APACHE, README.md and
     CHANGELOG.md (MIT and Apache-2.0 both want their text with every copy);
  2. it is unpacked under <cache>/package-check/ (outside the workspace) and `cargo test` runs there,
     alone, with the workspace's other published crates patched in from their
     own unpacked .crate files.
Fails if a file is missing or a test fails. The working tree is packaged as
it is (--allow-dirty): in CI that is the clean clone.";

/// Files every published crate must carry.
pub const REQUIRED: [&str; 4] = ["LICENSE-MIT", "LICENSE-APACHE", "README.md", "CHANGELOG.md"];

pub fn run(locked: bool) -> Result<bool> {
    let meta = MetadataCommand::new()
        .current_dir(project_root())
        .no_deps()
        .exec()
        .context("cargo metadata")?;
    let published: Vec<&Package> = meta
        .workspace_packages()
        .into_iter()
        .filter(|p| p.publish.as_ref().is_none_or(|r| !r.is_empty()))
        .collect();
    if published.is_empty() {
        bail!("no workspace crate is published");
    }
    // Outside the workspace: cargo would take an unpacked crate below it
    // for a workspace member.
    let out = crate::cache::dir().join("package-check");
    crate::util::remove_dir_all_if_exists(&out)?;
    std::fs::create_dir_all(&out)?;
    let step = Step::start(
        "package",
        format!(
            "cargo package {}",
            published
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let mut cmd = cargo();
    cmd.current_dir(project_root())
        .args(["package", "--no-verify", "--allow-dirty", "--target-dir"])
        .arg(&out);
    if locked {
        cmd.arg("--locked");
    }
    for p in &published {
        cmd.args(["-p", &p.name]);
    }
    if !cmd.status()?.success() {
        bail!("cargo package failed");
    }
    step.done("packaged");
    // Unpack them all first: a crate's tests may need another one.
    let mut unpacked = Vec::new();
    for p in &published {
        let file = out.join(format!("package/{}-{}.crate", p.name, p.version));
        let listing = tar(&["tzf"], &file, None)?;
        let dir = out.join(format!("{}-{}", p.name, p.version));
        tar(&["xzf"], &file, Some(&out))?;
        unpacked.push((p.name.to_string(), listing, dir));
    }
    let mut ok = true;
    for (name, listing, dir) in &unpacked {
        let missing = missing_files(listing);
        if !missing.is_empty() {
            println!("FAIL {name}: the .crate lacks {}", missing.join(", "));
            ok = false;
        }
        let step = Step::start("package", format!("cargo test in the unpacked {name}"));
        let mut t = cargo();
        t.current_dir(dir)
            .arg("test")
            .env("CARGO_TARGET_DIR", out.join("target"));
        for (other, _, odir) in unpacked.iter().filter(|u| u.0 != *name) {
            t.arg("--config").arg(format!(
                "patch.crates-io.{other}.path={:?}",
                odir.display().to_string()
            ));
        }
        let passed = t.status()?.success();
        step.done(if passed { "passed" } else { "FAILED" });
        if passed && missing_files(listing).is_empty() {
            println!("ok   {name}");
        } else if !passed {
            println!("FAIL {name}: cargo test failed in {}", dir.display());
            ok = false;
        }
    }
    say(
        "package",
        format!("package-check: {}", if ok { "ok" } else { "FAILED" }),
    );
    Ok(ok)
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// `tar <args> <file>` (in `dir`), its stdout.
fn tar(args: &[&str], file: &Path, dir: Option<&PathBuf>) -> Result<String> {
    let mut c = Command::new("tar");
    c.args(args).arg(file);
    if let Some(d) = dir {
        c.arg("-C").arg(d);
    }
    let o = c
        .output()
        .with_context(|| format!("tar {}", file.display()))?;
    if !o.status.success() {
        bail!(
            "tar {:?} {}: {}",
            args,
            file.display(),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The [`REQUIRED`] files a `.crate` listing (`tar tzf`: `name-version/path`)
/// lacks at its top.
fn missing_files(listing: &str) -> Vec<&'static str> {
    REQUIRED
        .into_iter()
        .filter(|f| {
            !listing
                .lines()
                .any(|l| l.split_once('/').is_some_and(|(_, rest)| rest == *f))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_licence_is_named() {
        let full = "c-0.1.0/Cargo.toml\nc-0.1.0/LICENSE-MIT\nc-0.1.0/LICENSE-APACHE\n\
                    c-0.1.0/README.md\nc-0.1.0/CHANGELOG.md\nc-0.1.0/src/lib.rs\n";
        assert!(missing_files(full).is_empty());
        let no_apache = full.replace("c-0.1.0/LICENSE-APACHE\n", "");
        assert_eq!(missing_files(&no_apache), ["LICENSE-APACHE"]);
        // Only the top of the crate counts.
        let nested = full.replace("c-0.1.0/LICENSE-MIT", "c-0.1.0/doc/LICENSE-MIT");
        assert_eq!(missing_files(&nested), ["LICENSE-MIT"]);
    }
}
