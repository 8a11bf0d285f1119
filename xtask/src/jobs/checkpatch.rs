//! `cargo xtask checkpatch`: the patched tree's scripts/checkpatch.pl
//! --strict on each patch of the series (ENOSYS ignored: see below).

use crate::cache;
use crate::host_deps;
use crate::kernel::fetch;
use crate::kernel::pin::Pin;
use crate::kernel::tree::{self, Series};
use crate::util::{say, which, Result};
use anyhow::bail;
use std::process::Command;

pub fn run(source: &fetch::SourceOpts) -> Result<bool> {
    let _lock = cache::lock()?;
    host_deps::ensure(&[host_deps::FETCH, host_deps::PATCH, host_deps::CHECKPATCH])?;
    let pin = Pin::load()?;
    let series = Series::load()?;
    let pristine = fetch::pristine(&pin, source)?;
    let src = tree::patched(&pristine, &series)?;
    // One check is switched off, by name: ENOSYS ("ENOSYS means 'invalid
    // syscall nr' and nothing else"). The `task_prctl` LSM hook's contract
    // is to return -ENOSYS for an option the module does not handle (the
    // default the LSM framework tests for, see LSM_HOOK(int, -ENOSYS,
    // task_prctl, ...) in include/linux/lsm_hook_defs.h); Yama and commoncap
    // do the same, and no other value is correct there. Everything else
    // checkpatch --strict reports fails this command.
    let mut args = vec!["--strict".to_string(), "--ignore".into(), "ENOSYS".into()];
    say(
        "checkpatch",
        "FILE_PATH_CHANGES ignored only for patches whose new files the PRCTL_NETWORK MAINTAINERS entry covers",
    );
    say(
        "checkpatch",
        "--strict --ignore ENOSYS (task_prctl's \"not my option\" value, see xtask/src/checkpatch.rs)",
    );
    // checkpatch looks for codespell's dictionary at
    // /usr/share/codespell/dictionary.txt; Debian's codespell package keeps
    // it in its Python module, and without the file checkpatch only says
    // "No codespell typos will be found" and checks nothing. Name it.
    match codespell_dictionary() {
        Some(dict) => {
            say(
                "checkpatch",
                format!("--codespell --codespellfile {}", dict.display()),
            );
            args.push("--codespell".into());
            args.push("--codespellfile".into());
            args.push(dict.display().to_string());
        }
        None if which("codespell").is_some() => {
            bail!("codespell is installed but its dictionary.txt was not found (looked in /usr/share/codespell and the codespell_lib Python module)")
        }
        None => say(
            "checkpatch",
            "codespell not installed: spelling checked with the kernel's own list only",
        ),
    }
    let maintained = maintained_paths(&std::fs::read_to_string(src.join("MAINTAINERS"))?);
    let mut all_ok = true;
    let mut summary = Vec::new();
    for p in &series.patches {
        let file = crate::kernel::tree::patches_dir().join(&p.name);
        // FILE_PATH_CHANGES ("does MAINTAINERS need updating?") fires for
        // any new file in a patch that does not itself touch MAINTAINERS,
        // even when an entry added earlier in the series covers it. It is
        // ignored for a patch only when every file it adds is under an
        // `F:` path of the PRCTL_NETWORK entry of the patched tree.
        let added = added_files(&std::fs::read_to_string(&file)?);
        let mut args = args.clone();
        if !added.is_empty()
            && added
                .iter()
                .all(|f| maintained.iter().any(|m| f.starts_with(m.as_str())))
        {
            args.extend(["--ignore".into(), "FILE_PATH_CHANGES".into()]);
        }
        // spdxcheck.py runs as `python3` from PATH: make that Debian's,
        // which has the packages above, not a pyenv or venv shim without
        // them (a failing spdxcheck.py only prints a traceback, and
        // checkpatch goes on without checking the licence lines).
        let path = format!("/usr/bin:{}", std::env::var("PATH").unwrap_or_default());
        let out = Command::new("perl")
            .env("PATH", path)
            .arg(src.join("scripts/checkpatch.pl"))
            .args(&args)
            .arg(&file)
            .current_dir(&src)
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        let crashed = text.contains("Traceback (most recent call last)");
        if crashed {
            say(
                "checkpatch",
                format!(
                    "{}: a helper script of checkpatch crashed (see below)",
                    p.name
                ),
            );
        }
        let total = text
            .lines()
            .find(|l| l.starts_with("total:"))
            .unwrap_or("no total line")
            .to_string();
        // A spelling check that did not run must not pass as clean.
        let no_spelling = text.contains("No codespell typos will be found");
        if no_spelling {
            say("checkpatch", format!("{}: codespell did not run", p.name));
        }
        let clean = out.status.success() && !crashed && !no_spelling;
        all_ok &= clean;
        say(
            "checkpatch",
            format!(
                "{}: {} {total}",
                p.name,
                if clean { "ok" } else { "PROBLEMS" }
            ),
        );
        if !clean || !total.contains(" 0 checks") {
            for l in text.lines() {
                println!("    {l}");
            }
        }
        summary.push(format!("{}: {total}", p.name));
    }
    say(
        "checkpatch",
        format!("{} patch(es) checked", series.patches.len()),
    );
    for s in summary {
        println!("    {s}");
    }
    Ok(all_ok)
}

/// The `F:` paths of the PRCTL_NETWORK entry of a MAINTAINERS file.
fn maintained_paths(maintainers: &str) -> Vec<String> {
    maintainers
        .split("\n\n")
        .find(|entry| entry.starts_with("PRCTL_NETWORK "))
        .map(|entry| {
            entry
                .lines()
                .filter_map(|l| l.strip_prefix("F:"))
                .map(|f| f.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The files a patch creates (`new file mode` after its `diff --git`).
/// codespell's dictionary: where checkpatch expects it, or in the
/// `codespell_lib` module of any Python 3 on the system (Debian's package).
fn codespell_dictionary() -> Option<std::path::PathBuf> {
    let usual = std::path::PathBuf::from("/usr/share/codespell/dictionary.txt");
    if usual.exists() {
        return Some(usual);
    }
    let lib = std::path::Path::new("/usr/lib");
    std::fs::read_dir(lib)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .flat_map(|e| {
            ["dist-packages", "site-packages"]
                .map(|d| e.path().join(d).join("codespell_lib/data/dictionary.txt"))
        })
        .find(|p| p.exists())
}

fn added_files(patch: &str) -> Vec<String> {
    let mut current = None;
    let mut added = Vec::new();
    for line in patch.lines() {
        if let Some(rest) = line.strip_prefix("diff --git a/") {
            current = rest.split(" b/").next().map(str::to_string);
        } else if line.starts_with("new file mode") {
            added.extend(current.take());
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAINTAINERS: &str = "PPS\nF:\tdrivers/pps/\n\nPRCTL_NETWORK SECURITY MODULE\nM:\tx <x@example.invalid>\nF:\tDocumentation/userspace-api/prctl-network.rst\nF:\tsecurity/prctl_network/\n\nPSI\nF:\tkernel/sched/psi.c\n";

    #[test]
    fn maintained_paths_of_the_entry_only() {
        assert_eq!(
            maintained_paths(MAINTAINERS),
            [
                "Documentation/userspace-api/prctl-network.rst",
                "security/prctl_network/"
            ]
        );
    }

    #[test]
    fn added_files_of_a_patch() {
        let patch = "diff --git a/security/Makefile b/security/Makefile\nindex 1..2 100644\n\
                     diff --git a/security/prctl_network/tsync.c b/security/prctl_network/tsync.c\n\
                     new file mode 100644\nindex 0..3\n";
        assert_eq!(added_files(patch), ["security/prctl_network/tsync.c"]);
    }
}
