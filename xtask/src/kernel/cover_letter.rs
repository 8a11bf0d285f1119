//! The series' cover letter, `patches/0000-cover-letter.patch` (as `git
//! format-patch --cover-letter` writes it, not listed in `series`): a
//! check that it still describes the series — `[PATCH 0/N]`, the shortlog
//! equal to the patches' subjects in order, the diffstat's totals equal
//! to what the patches change — so that a patch edited later without the
//! letter is caught by `check-series`.

use crate::kernel::tree::Series;
use std::collections::BTreeSet;

pub const FILE: &str = "0000-cover-letter.patch";

/// A patch's subject without its `[PATCH k/N]` prefix, continuation lines
/// unfolded as git folds them.
pub fn subject(text: &str) -> Option<String> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with("Subject: "));
    let mut s = lines.next()?.strip_prefix("Subject: ")?.to_string();
    for l in lines {
        match l.strip_prefix(' ') {
            Some(cont) => {
                s.push(' ');
                s.push_str(cont);
            }
            None => break,
        }
    }
    Some(match s.strip_prefix('[') {
        Some(rest) if rest.starts_with("PATCH") => rest
            .split_once("] ")
            .map(|(_, t)| t.to_string())
            .unwrap_or(s),
        _ => s,
    })
}

/// Files changed, insertions and deletions of the series as a whole (what
/// git's diffstat of base..HEAD counts: a line a later patch changes again
/// counts once), from `git diff --no-index --numstat` of each touched file
/// between the pristine tree and the tree the series was applied to.
pub fn totals(
    touched: &BTreeSet<String>,
    base: &std::path::Path,
    patched: &std::path::Path,
) -> crate::util::Result<(usize, usize, usize)> {
    let (mut files, mut ins, mut del) = (0, 0, 0);
    for f in touched {
        let side = |root: &std::path::Path| {
            let p = root.join(f);
            if p.exists() {
                p
            } else {
                "/dev/null".into()
            }
        };
        let out = std::process::Command::new("git")
            .args(["diff", "--no-index", "--numstat", "--"])
            .arg(side(base))
            .arg(side(patched))
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        if let Some(line) = text.lines().next() {
            let mut it = line.split_whitespace();
            let a: usize = it.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            let d: usize = it.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            files += 1;
            ins += a;
            del += d;
        }
    }
    Ok((files, ins, del))
}

/// Problems with `letter` as the cover letter of `series` (empty: fine);
/// `totals` is what [`totals`] gives for it.
pub fn check(letter: &str, series: &Series, totals: (usize, usize, usize)) -> Vec<String> {
    let mut problems = Vec::new();
    let n = series.patches.len();
    let head = letter
        .lines()
        .find(|l| l.starts_with("Subject: "))
        .unwrap_or("");
    if !head.starts_with(&format!("Subject: [PATCH 0/{n}] ")) {
        problems.push(format!("its Subject is not [PATCH 0/{n}] ...: {head:?}"));
    }
    let want: Vec<String> = series
        .patches
        .iter()
        .map(|p| subject(&p.text).unwrap_or_default())
        .collect();
    let got: Vec<String> = letter
        .lines()
        .skip_while(|l| !l.ends_with(&format!(" ({n}):")))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect();
    if got != want {
        problems.push(format!(
            "its shortlog does not list the series' subjects in order:\n      letter: {got:?}\n      series: {want:?}"
        ));
    }
    let (files, ins, del) = totals;
    let summary = format!("{files} files changed, {ins} insertions(+), {del} deletions(-)");
    if !letter.lines().any(|l| l.trim() == summary) {
        let have = letter
            .lines()
            .find(|l| l.contains(" files changed, "))
            .unwrap_or("(none)")
            .trim();
        problems.push(format!(
            "its diffstat says {have:?}, the series changes {summary:?}"
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::tree::Patch;

    fn patch(subject: &str, body: &str) -> Patch {
        Patch {
            name: "x.patch".into(),
            text: format!(
                "From 0 Mon Sep 17 00:00:00 2001\nSubject: [PATCH 1/1] {subject}\n\n---\n{body}"
            ),
        }
    }

    #[test]
    fn letter_matches_or_names_the_difference() {
        let body =
            "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,2 @@\n-old\n+new\n+more\n \n";
        let series = Series {
            patches: vec![patch("foo: do a thing", body)],
            hash: String::new(),
        };
        let t = (1, 2, 1);
        let good = "Subject: [PATCH 0/1] foo: things\n\nbody\n\nA U Thor (1):\n  foo: do a thing\n\n f.c | 3 ++-\n 1 files changed, 2 insertions(+), 1 deletions(-)\n";
        assert_eq!(check(good, &series, t), Vec::<String>::new());
        let stale = good.replace("do a thing", "do another thing");
        assert_eq!(check(&stale, &series, t).len(), 1);
        let wrong_n = good.replace("0/1", "0/2");
        assert_eq!(check(&wrong_n, &series, t).len(), 1);
        assert_eq!(check(good, &series, (1, 3, 1)).len(), 1);
    }

    #[test]
    fn folded_subject_is_unfolded() {
        let t = "From x\nSubject: [PATCH 2/5] prctl_network: add PR_NETWORK_TSYNC to restrict\n every thread\n\nbody";
        assert_eq!(
            subject(t).unwrap(),
            "prctl_network: add PR_NETWORK_TSYNC to restrict every thread"
        );
    }
}
