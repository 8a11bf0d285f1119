//! One module per `cargo xtask` command that is not a pipeline stage of its
//! own: each takes its options, drives `kernel` and `vm`, and returns whether
//! it passed.

pub mod bench;
pub mod breadth;
pub mod check_series;
pub mod checkpatch;
pub mod ci;
pub mod docs;
pub mod package_check;
pub mod quilt;
pub mod repin;
pub mod vm_test;
