//! The crate's constants must equal the `#define`s that the kernel series in
//! `../patches/*.patch` (Linux 6.12) and `../patches/7.3/*.patch` add to
//! the uapi headers: one set of constants serves every kernel line.
//!
//! In the workspace this test fails (it never skips) when `patches/` has no
//! patch, when a define is missing from every patch, or when any occurrence
//! of a define carries a different value than the crate. Outside the
//! workspace (the unpacked `.crate`, as a distribution builds it) there is
//! no series to compare with: the comparison is skipped, saying so, and the
//! parser's own tests still run.

use std::fs;
use std::path::{Path, PathBuf};

use prctl_network_sys::{
    LSM_ID_PRCTL_NETWORK, PR_GET_NETWORK, PR_NETWORK_ALL_FLAGS, PR_NETWORK_OFF, PR_NETWORK_ON,
    PR_NETWORK_TSYNC, PR_SET_NETWORK,
};

/// One `#define NAME VALUE` added by a patch.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Define {
    name: String,
    value: u64,
    /// `file:line` in the patch, for error messages.
    location: String,
}

/// Parses an integer literal as written in a C header: decimal, `0x` hex or
/// `0` octal, with optional `u`/`l` suffixes.
fn parse_c_integer(text: &str) -> Option<u64> {
    let t = text.trim().trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else if t.len() > 1 && t.starts_with('0') {
        u64::from_str_radix(&t[1..], 8).ok()
    } else if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
        t.parse().ok()
    } else {
        None
    }
}

/// Evaluates the small subset of C constant expressions that uapi headers
/// use for flag values: integer literals, names of earlier defines,
/// parentheses, `<<` and `|` (e.g. `(1UL << 0)` or `(PR_NETWORK_OFF)`).
fn eval_c_expr(text: &str, known: &dyn Fn(&str) -> Option<u64>) -> Option<u64> {
    let mut tokens = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<<") {
            tokens.push("<<".to_string());
            rest = r;
        } else if rest.starts_with(['(', ')', '|']) {
            tokens.push(rest[..1].to_string());
            rest = &rest[1..];
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 {
                return None;
            }
            tokens.push(rest[..end].to_string());
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    let mut pos = 0;
    let v = eval_or(&tokens, &mut pos, known)?;
    (pos == tokens.len()).then_some(v)
}

fn eval_or(t: &[String], pos: &mut usize, known: &dyn Fn(&str) -> Option<u64>) -> Option<u64> {
    let mut v = eval_shift(t, pos, known)?;
    while t.get(*pos).map(String::as_str) == Some("|") {
        *pos += 1;
        v |= eval_shift(t, pos, known)?;
    }
    Some(v)
}

fn eval_shift(t: &[String], pos: &mut usize, known: &dyn Fn(&str) -> Option<u64>) -> Option<u64> {
    let v = eval_atom(t, pos, known)?;
    if t.get(*pos).map(String::as_str) == Some("<<") {
        *pos += 1;
        let by = eval_atom(t, pos, known)?;
        return v.checked_shl(u32::try_from(by).ok()?);
    }
    Some(v)
}

fn eval_atom(t: &[String], pos: &mut usize, known: &dyn Fn(&str) -> Option<u64>) -> Option<u64> {
    let tok = t.get(*pos)?;
    *pos += 1;
    if tok == "(" {
        let v = eval_or(t, pos, known)?;
        if t.get(*pos).map(String::as_str) != Some(")") {
            return None;
        }
        *pos += 1;
        return Some(v);
    }
    if tok.starts_with(|c: char| c.is_ascii_digit()) {
        parse_c_integer(tok)
    } else {
        known(tok)
    }
}

/// Parses one line of a patch. Only added lines (`+`, but not the `+++`
/// file header) holding `#define NAME VALUE` match; `#` may be followed by
/// spaces or tabs (`# define` as in uapi prctl.h), and a trailing
/// `/* comment */` or `// comment` is dropped. Returns the name and the
/// value's text.
fn parse_added_define(line: &str) -> Option<(&str, &str)> {
    if line.starts_with("+++") {
        return None;
    }
    let body = line.strip_prefix('+')?.trim_start();
    let body = body.strip_prefix('#')?.trim_start();
    let body = body.strip_prefix("define")?;
    if !body.starts_with([' ', '\t']) {
        return None;
    }
    let body = body.trim_start();
    let name_end = body.find([' ', '\t'])?;
    let (name, rest) = body.split_at(name_end);
    let mut value = rest;
    if let Some(i) = value.find("/*") {
        value = &value[..i];
    }
    if let Some(i) = value.find("//") {
        value = &value[..i];
    }
    Some((name, value.trim()))
}

/// Every added `#define` in `text` (one patch file) whose value evaluates
/// to an integer, names resolving to earlier defines of the same file.
fn added_defines(text: &str, file: &str) -> Vec<Define> {
    let mut out: Vec<Define> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some((name, value_text)) = parse_added_define(line) else {
            continue;
        };
        let known = |n: &str| out.iter().rev().find(|d| d.name == n).map(|d| d.value);
        if let Some(value) = eval_c_expr(value_text, &known) {
            out.push(Define {
                name: name.to_string(),
                value,
                location: format!("{}:{}", file, i + 1),
            });
        }
    }
    out
}

/// `patches/` beside the crate, where the workspace keeps the series.
fn patches_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../patches")
}

/// Whether the crate is built from the project's workspace (whose root
/// `Cargo.toml` names this crate as a member) rather than from its
/// unpacked `.crate`. Only outside it may the series be absent.
fn in_workspace() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    fs::read_to_string(root).is_ok_and(|t| t.contains("\"prctl-network-sys\""))
}

/// The series directories: `patches/` (Linux 6.12) and every kernel line
/// below it (`patches/7.3/`), each with its own `series` file.
fn series_dirs() -> Vec<PathBuf> {
    let top = patches_dir();
    let mut dirs = vec![top.clone()];
    if let Ok(entries) = fs::read_dir(&top) {
        let mut sub: Vec<PathBuf> = entries
            .map(|e| e.expect("read_dir entry").path())
            .filter(|p| p.join("series").is_file())
            .collect();
        sub.sort();
        dirs.extend(sub);
    }
    dirs
}

fn patch_files(dir: &Path) -> Vec<PathBuf> {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("read_dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .collect();
    files.sort();
    files
}

/// The names and values the crate exports, as the patches must define them.
// c_ulong is u64 only on 64-bit targets; the conversion is needed on 32-bit.
#[allow(clippy::useless_conversion)]
fn expected() -> Vec<(&'static str, u64)> {
    vec![
        ("PR_SET_NETWORK", PR_SET_NETWORK as u64),
        ("PR_GET_NETWORK", PR_GET_NETWORK as u64),
        ("PR_NETWORK_ON", u64::from(PR_NETWORK_ON)),
        ("PR_NETWORK_OFF", u64::from(PR_NETWORK_OFF)),
        ("PR_NETWORK_ALL_FLAGS", u64::from(PR_NETWORK_ALL_FLAGS)),
        ("PR_NETWORK_TSYNC", u64::from(PR_NETWORK_TSYNC)),
        ("LSM_ID_PRCTL_NETWORK", LSM_ID_PRCTL_NETWORK),
    ]
}

/// Compares `defines` with `expected`, returning every problem found.
fn check(defines: &[Define], expected: &[(&str, u64)]) -> Vec<String> {
    let mut problems = Vec::new();
    for &(name, value) in expected {
        let found: Vec<&Define> = defines.iter().filter(|d| d.name == name).collect();
        if found.is_empty() {
            problems.push(format!("{name}: no `+#define {name} ...` in any patch"));
        }
        for d in found {
            if d.value != value {
                problems.push(format!(
                    "{name}: patch has {:#x} at {}, crate has {value:#x}",
                    d.value, d.location
                ));
            }
        }
    }
    problems
}

/// Every kernel line's series defines the same ABI: the crate serves all
/// of them with one set of constants.
#[test]
fn abi_matches_patches() {
    if !patches_dir().exists() && !in_workspace() {
        eprintln!(
            "SKIPPED abi_matches_patches: no kernel series at {} (this is the packaged \
             crate, not the prctl-network workspace); the constants are checked against \
             the patches in the workspace",
            patches_dir().display()
        );
        return;
    }
    let dirs = series_dirs();
    assert!(
        dirs.len() >= 2,
        "expected patches/ and a kernel line below it: {dirs:?}"
    );
    for dir in &dirs {
        let files = patch_files(dir);
        assert!(
            !files.is_empty(),
            "no *.patch in {}: the ABI cannot be checked",
            dir.display()
        );
        let mut defines = Vec::new();
        for f in &files {
            let text = fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            defines.extend(added_defines(&text, &name));
        }
        let problems = check(&defines, &expected());
        assert!(
            problems.is_empty(),
            "ABI mismatch in {}:\n{}",
            dir.display(),
            problems.join("\n")
        );
    }
}

const SAMPLE: &str = "\
diff --git a/include/uapi/linux/prctl.h b/include/uapi/linux/prctl.h
--- a/include/uapi/linux/prctl.h
+++ b/include/uapi/linux/prctl.h
@@ -1,3 +1,9 @@
 #define PR_GET_AUXV\t\t\t0x41555856
+
+/* Control network access (prctl-network LSM) */
+#define PR_SET_NETWORK\t\t0x4e455453 /* \"NETS\" */
+#define PR_GET_NETWORK\t\t0x4e455447\t/* \"NETG\" */
+# define PR_NETWORK_ON\t\t0
+# define PR_NETWORK_OFF\t\t1\t/* no new network channels */
+#\tdefine PR_NETWORK_ALL_FLAGS\t(PR_NETWORK_OFF)
+# define PR_NETWORK_TSYNC\t(1UL << 0)
-#define PR_OLD_THING 35
 #define PR_UNCHANGED 36
diff --git a/include/uapi/linux/lsm.h b/include/uapi/linux/lsm.h
+++ b/include/uapi/linux/lsm.h
+#define LSM_ID_PRCTL_NETWORK\t1313166423 // \"NETW\"
+#define LSM_ID_FOO\t\t0x10UL
+#define PR_SET_NETWORKX 5
+#defineX 4
+#define LSM_ID_SHIFTED (1UL << 4 | 0x1)
+#define LSM_ID_UNKNOWN_NAME NOT_DEFINED_HERE
+#define LSM_ID_STRING \"NETW\"
+#define LSM_ID_FN_LIKE(x) (x)
";

#[test]
fn parser_finds_added_defines_only() {
    let d = added_defines(SAMPLE, "sample.patch");
    let got: Vec<(&str, u64)> = d.iter().map(|d| (d.name.as_str(), d.value)).collect();
    assert_eq!(
        got,
        vec![
            ("PR_SET_NETWORK", 0x4e455453),
            ("PR_GET_NETWORK", 0x4e455447),
            ("PR_NETWORK_ON", 0),
            ("PR_NETWORK_OFF", 1),
            ("PR_NETWORK_ALL_FLAGS", 1),
            ("PR_NETWORK_TSYNC", 1),
            ("LSM_ID_PRCTL_NETWORK", 0x4e455457),
            ("LSM_ID_FOO", 0x10),
            ("PR_SET_NETWORKX", 5),
            ("LSM_ID_SHIFTED", 0x11),
        ]
    );
    assert_eq!(d[0].location, "sample.patch:8");
}

#[test]
fn parser_integer_forms() {
    let none = |_: &str| None;
    assert_eq!(eval_c_expr("0x4E455453", &none), Some(0x4e455453));
    assert_eq!(eval_c_expr(" 42 ", &none), Some(42));
    assert_eq!(eval_c_expr("(1UL)", &none), Some(1));
    assert_eq!(eval_c_expr("010", &none), Some(8));
    assert_eq!(eval_c_expr("0", &none), Some(0));
    assert_eq!(eval_c_expr("(1 << 0) | (1 << 3)", &none), Some(9));
    assert_eq!(eval_c_expr("FOO", &none), None);
    assert_eq!(eval_c_expr("FOO", &|n| (n == "FOO").then_some(7)), Some(7));
    assert_eq!(eval_c_expr("(1", &none), None);
    assert_eq!(eval_c_expr("1 2", &none), None);
    assert_eq!(eval_c_expr("12abc", &none), None);
}

#[test]
fn check_reports_missing_and_mismatched() {
    let mut d = added_defines(SAMPLE, "sample.patch");
    assert!(check(&d, &expected()).is_empty());

    // A define found nowhere is reported.
    d.retain(|d| d.name != "PR_NETWORK_ALL_FLAGS");
    let problems = check(&d, &expected());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("PR_NETWORK_ALL_FLAGS"));
    d.push(Define {
        name: "PR_NETWORK_ALL_FLAGS".into(),
        value: 1,
        location: "x:1".into(),
    });

    // A second, different occurrence (e.g. in tools/include) is caught.
    d.push(Define {
        name: "PR_SET_NETWORK".into(),
        value: 35,
        location: "tools.patch:3".into(),
    });
    let problems = check(&d, &expected());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("tools.patch:3"), "{problems:?}");
}
