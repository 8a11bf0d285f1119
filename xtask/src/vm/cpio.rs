//! A newc ("070701") cpio writer, so ownership and modes (setuid root) are
//! set exactly without fakeroot. Format: 110-byte ASCII header of 13 8-digit
//! hex fields, NUL-terminated name, 4-byte padding after header+name and
//! after the data, closed by a "TRAILER!!!" entry.

use std::collections::BTreeSet;
use std::io::Write;

pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFCHR: u32 = 0o020000;

pub struct Cpio<W: Write> {
    out: W,
    ino: u32,
    written: u64,
    dirs: BTreeSet<String>,
}

impl<W: Write> Cpio<W> {
    pub fn new(out: W) -> Cpio<W> {
        Cpio {
            out,
            ino: 1,
            written: 0,
            dirs: BTreeSet::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn entry(
        &mut self,
        name: &str,
        mode: u32,
        uid: u32,
        gid: u32,
        data: &[u8],
        rdev: (u32, u32),
    ) -> std::io::Result<()> {
        let name = name.trim_start_matches('/');
        let nlink = if mode & 0o170000 == S_IFDIR { 2 } else { 1 };
        let hdr = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            self.ino,
            mode,
            uid,
            gid,
            nlink,
            0, // mtime: fixed, for reproducible archives
            data.len(),
            0,
            0,
            rdev.0,
            rdev.1,
            name.len() + 1,
            0
        );
        self.ino += 1;
        self.write(hdr.as_bytes())?;
        self.write(name.as_bytes())?;
        self.write(&[0])?;
        self.pad()?;
        self.write(data)?;
        self.pad()
    }

    fn write(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.out.write_all(b)?;
        self.written += b.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> std::io::Result<()> {
        let n = (4 - (self.written % 4) as usize) % 4;
        self.write(&[0u8; 3][..n])
    }

    /// Creates the directory and any missing parents (the kernel's
    /// unpacker does not create parents).
    pub fn dir(&mut self, path: &str, mode: u32) -> std::io::Result<()> {
        let path = path.trim_matches('/');
        if path.is_empty() || self.dirs.contains(path) {
            return Ok(());
        }
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.dir(parent, 0o755)?;
        }
        self.dirs.insert(path.to_string());
        self.entry(path, S_IFDIR | mode, 0, 0, &[], (0, 0))
    }

    fn parent(&mut self, path: &str) -> std::io::Result<()> {
        if let Some((parent, _)) = path.trim_matches('/').rsplit_once('/') {
            self.dir(parent, 0o755)?;
        }
        Ok(())
    }

    pub fn file(
        &mut self,
        path: &str,
        mode: u32,
        uid: u32,
        gid: u32,
        data: &[u8],
    ) -> std::io::Result<()> {
        self.parent(path)?;
        self.entry(path, S_IFREG | mode, uid, gid, data, (0, 0))
    }

    pub fn symlink(&mut self, path: &str, target: &str) -> std::io::Result<()> {
        self.parent(path)?;
        self.entry(path, S_IFLNK | 0o777, 0, 0, target.as_bytes(), (0, 0))
    }

    pub fn chardev(
        &mut self,
        path: &str,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> std::io::Result<()> {
        self.parent(path)?;
        self.entry(path, S_IFCHR | mode, 0, 0, &[], (major, minor))
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.entry("TRAILER!!!", 0, 0, 0, &[], (0, 0))?;
        // Pad to 512 like cpio(1) does; harmless for the kernel.
        let n = (512 - (self.written % 512) as usize) % 512;
        self.write(&vec![0u8; n])?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newc_layout() {
        let mut a = Cpio::new(Vec::new());
        a.file("usr/bin/p", 0o4755, 0, 0, b"abc").unwrap();
        let out = a.finish().unwrap();
        let s = String::from_utf8_lossy(&out);
        // parents first, then the file, then the trailer; all 4-aligned
        let first = &s[..110];
        assert!(first.starts_with("070701"));
        assert_eq!(&first[14..22], format!("{:08x}", S_IFDIR | 0o755));
        assert!(s.contains("usr/bin\0"));
        let f = s
            .find("070701")
            .and_then(|_| s.match_indices("070701").nth(2))
            .unwrap()
            .0;
        assert_eq!(f % 4, 0);
        assert_eq!(&s[f + 14..f + 22], format!("{:08x}", S_IFREG | 0o4755));
        assert!(s.contains("TRAILER!!!\0"));
        assert_eq!(out.len() % 512, 0);
    }
}
