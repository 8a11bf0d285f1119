//! QEMU invocation: accelerator choice and the common command line.

use crate::util::say;
use std::path::Path;
use std::process::Command;

/// KVM only if the CPU advertises vmx/svm AND /dev/kvm opens read-write;
/// a KVM guest on a host without them hangs silently, so otherwise TCG.
pub fn kvm_usable() -> bool {
    let flags = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let virt = flags
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|w| w == "vmx" || w == "svm"));
    virt && std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

pub fn command(bzimage: &Path, initrd: &Path, append: &str) -> Command {
    build(bzimage, initrd, append, false)
}

/// The QEMU options of instruction counting: `-icount shift=0,sleep=off`.
/// The guest's virtual clock, its TSC included, then advances by one ns per
/// guest instruction executed (by either vCPU, which TCG then runs in turn
/// on one host thread), and skips idle time at once instead of sleeping.
pub const ICOUNT: [&str; 2] = ["-icount", "shift=0,sleep=off"];

/// As [`command`], but under TCG with [`ICOUNT`] whatever the host offers
/// (KVM cannot count instructions): the guest's `rdtsc` counts guest
/// instructions, so the same guest program gives the same figures in
/// every boot, independent of host load.
pub fn command_icount(bzimage: &Path, initrd: &Path, append: &str) -> Command {
    build(bzimage, initrd, append, true)
}

fn build(bzimage: &Path, initrd: &Path, append: &str, icount: bool) -> Command {
    let mut c = Command::new("qemu-system-x86_64");
    if icount {
        say(
            "qemu",
            format!(
                "accelerator: tcg with {} (instruction counting)",
                ICOUNT.join(" ")
            ),
        );
        c.args(["-accel", "tcg", "-cpu", "max"]).args(ICOUNT);
    } else if kvm_usable() {
        say("qemu", "accelerator: kvm");
        c.args(["-accel", "kvm", "-cpu", "host"]);
    } else {
        say("qemu", "accelerator: tcg (no usable KVM: needs vmx/svm in /proc/cpuinfo and a read-write /dev/kvm)");
        // `max` gives the guest RDRAND (emulated), which seeds the CRNG at boot.
        c.args(["-accel", "tcg", "-cpu", "max"]);
    }
    c.args([
        "-smp",
        "2",
        "-m",
        "1G",
        "-nographic",
        "-no-reboot",
        "-nic",
        "none",
    ])
    .arg("-kernel")
    .arg(bzimage)
    .arg("-initrd")
    .arg(initrd)
    .arg("-append")
    .arg(append);
    c
}

/// Kernel command line. `panic=-1` reboots at once on a panic, which with
/// -no-reboot ends QEMU; oopses stay non-fatal (panic_on_warn=0, no
/// oops=panic) so the run continues and the kernel-log check reports them.
/// loglevel=5 puts warnings (KERN_WARNING and worse) on the console.
pub fn base_append() -> String {
    "console=ttyS0 panic=-1 panic_on_warn=0 loglevel=5".to_string()
}
