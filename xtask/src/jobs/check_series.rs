//! `cargo xtask check-series`: does the series apply (--fuzz=0, in order)
//! on Debian's tree and on the vanilla tree?

use crate::cache;
use crate::host_deps;
use crate::kernel::fetch;
use crate::kernel::pin::Pin;
use crate::kernel::tree::{trial_apply, Series};
use crate::util::{say, Result};

/// Returns Ok(true) when every check that ran passed (and, with
/// `strict`, when both ran).
pub fn run(strict: bool, vanilla_tarball: Option<&std::path::Path>) -> Result<bool> {
    let _lock = cache::lock()?;
    host_deps::ensure(&[host_deps::FETCH, host_deps::PATCH])?;
    let pin = Pin::load()?;
    let series = Series::load()?;
    say(
        "check-series",
        format!(
            "series {} ({} patch(es))",
            series.short(),
            series.patches.len()
        ),
    );
    let mut ok = true;
    let mut report = Vec::new();
    // The series' diffstat as a whole, for the cover letter's check.
    let mut stat: Option<(usize, usize, usize)> = None;
    for label in ["debian", "vanilla"] {
        if label == "vanilla" && !pin.has("vanilla.tarball") && vanilla_tarball.is_none() {
            say(
                "check-series",
                format!(
                    "vanilla: not pinned for this line ({})",
                    pin.path().display()
                ),
            );
            report.push("vanilla: not pinned".into());
            continue;
        }
        let got = match (label, vanilla_tarball) {
            ("debian", _) => fetch::debian(&pin),
            (_, Some(t)) => {
                let opts = fetch::SourceOpts {
                    tarball: Some(t.to_path_buf()),
                    ..Default::default()
                };
                fetch::pristine(&pin, &opts)
            }
            _ => fetch::vanilla(&pin),
        };
        let tree = match got {
            Ok(t) => t,
            Err(e) => {
                say(
                    "check-series",
                    format!("{label}: NOT CHECKED: the {label} tree is unobtainable: {e}"),
                );
                report.push(format!("{label}: not checked (source unobtainable)"));
                if strict {
                    ok = false;
                }
                continue;
            }
        };
        let scratch = cache::dir().join("check-series").join(label);
        match trial_apply(&tree.tree, &series, &scratch) {
            Ok(()) => {
                if stat.is_none() {
                    stat = Some(crate::kernel::cover_letter::totals(
                        &series.touched(),
                        &tree.tree,
                        &scratch,
                    )?);
                }
                say(
                    "check-series",
                    format!("{label} ({}): applies cleanly", tree.id),
                );
                report.push(format!("{label}: applies"));
            }
            Err(e) => {
                say(
                    "check-series",
                    format!("{label} ({}): FAILED\n{e}", tree.id),
                );
                report.push(format!("{label}: FAILS"));
                ok = false;
            }
        }
        let _ = crate::util::remove_dir_all_if_exists(&scratch);
    }
    let letter = crate::kernel::tree::patches_dir().join(crate::kernel::cover_letter::FILE);
    match (std::fs::read_to_string(&letter), stat) {
        (Err(_), _) => report.push("cover letter: none".into()),
        (Ok(_), None) => {
            say(
                "check-series",
                "cover letter not checked: the series applied to no tree",
            );
            report.push("cover letter: not checked".into());
        }
        (Ok(text), Some(stat)) => {
            let problems = crate::kernel::cover_letter::check(&text, &series, stat);
            if problems.is_empty() {
                report.push("cover letter: matches".into());
            } else {
                say(
                    "check-series",
                    format!(
                        "{}: FAILED: out of date with the series:\n    {}",
                        letter.display(),
                        problems.join("\n    ")
                    ),
                );
                report.push("cover letter: STALE".into());
                ok = false;
            }
        }
    }
    say("check-series", format!("summary: {}", report.join("; ")));
    Ok(ok)
}
