//! The VM plumbing: the initramfs (a newc cpio written here), the QEMU
//! command line, and the console reader that turns the guest's serial output
//! into protocol events.

pub mod console;
pub mod cpio;
pub mod initramfs;
pub mod qemu;
