//! `cargo xtask quilt-check`: does Debian's tree take the series the way a
//! distribution's patch queue would — `quilt push -a` with `patches/series`
//! as it is, no fuzz, no offsets hidden — and give it back with
//! `quilt pop -a`?

use crate::cache;
use crate::host_deps;
use crate::kernel::fetch;
use crate::kernel::pin::Pin;
use crate::kernel::tree::{patches_dir, Series};
use crate::util::{remove_dir_all_if_exists, say, Result};
use std::process::Command;

pub const ABOUT: &str = "\
Copy the files the series touches out of Debian's tree (linux-source, the
`debian` base of patches/BASE), point quilt at patches/ (QUILT_PATCHES, the
series file as it is) and run `quilt push -a --fuzz=0`, then `quilt pop -a`.
Fails if a patch needs fuzz, does not apply, or does not pop cleanly. quilt
is installed with apt-get when missing (as root).";

pub fn run() -> Result<bool> {
    let _lock = cache::lock()?;
    host_deps::ensure(&[host_deps::FETCH, host_deps::QUILT])?;
    let pin = Pin::load()?;
    let series = Series::load()?;
    let tree = fetch::debian(&pin)?;
    let scratch = cache::dir().join("quilt-check");
    remove_dir_all_if_exists(&scratch)?;
    std::fs::create_dir_all(&scratch)?;
    for f in series.touched() {
        let src = tree.tree.join(&f);
        if src.is_file() {
            let dst = scratch.join(&f);
            std::fs::create_dir_all(dst.parent().unwrap())?;
            std::fs::copy(&src, &dst)?;
        }
    }
    // --quiltrc /dev/null: the check must not depend on a user's settings.
    let quilt = |args: &[&str]| -> Result<(bool, String)> {
        let out = Command::new("quilt")
            .args(["--quiltrc", "/dev/null"])
            .args(args)
            .current_dir(&scratch)
            .env("QUILT_PATCHES", patches_dir())
            .env("QUILT_PC", ".pc")
            .output()?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok((out.status.success(), text))
    };
    say(
        "quilt",
        format!(
            "debian tree {}: quilt push -a --fuzz=0 ({} patch(es), QUILT_PATCHES={})",
            tree.id,
            series.patches.len(),
            patches_dir().display()
        ),
    );
    let (ok, text) = quilt(&["push", "-a", "--fuzz=0"])?;
    let applied = text
        .lines()
        .filter(|l| l.starts_with("Applying patch"))
        .count();
    let offsets: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("with fuzz") || l.contains("offset"))
        .collect();
    let mut good = ok && applied == series.patches.len();
    if !good {
        say(
            "quilt",
            format!(
                "FAILED: {applied} of {} patch(es) applied:\n{}",
                series.patches.len(),
                indent(&text)
            ),
        );
    } else if !offsets.is_empty() {
        // Offsets are harmless to quilt, but a refreshed series has none.
        say(
            "quilt",
            format!(
                "FAILED: applied, but with offsets or fuzz (refresh the series):\n{}",
                indent(&offsets.join("\n"))
            ),
        );
        good = false;
    } else {
        say("quilt", format!("all {applied} patch(es) applied cleanly"));
        let (ok, text) = quilt(&["pop", "-a"])?;
        if ok {
            say("quilt", "quilt pop -a: the tree is back to Debian's");
        } else {
            say("quilt", format!("FAILED: quilt pop -a:\n{}", indent(&text)));
            good = false;
        }
    }
    let _ = remove_dir_all_if_exists(&scratch);
    Ok(good)
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}
