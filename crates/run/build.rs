//! Packs the committed sample estate (`sample/`) into the binary: `--sample` then works anywhere,
//! from the very bytes in the repository, read through the normal tarball reader.
//! The archive is deterministic (sorted entries, fixed modes and times).

use std::path::{Path, PathBuf};

fn files_under(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(root, &p, out);
        } else {
            out.push(p.strip_prefix(root).expect("under root").to_path_buf());
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let home = manifest.join("../../sample/jenkins_home");
    println!("cargo:rerun-if-changed={}", home.display());
    let mut files = Vec::new();
    files_under(&home, &home, &mut files);
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("sample-jenkins-home.tar");
    let mut builder =
        tar::Builder::new(std::fs::File::create(&out).expect("create the sample archive"));
    for rel in &files {
        let bytes = std::fs::read(home.join(rel)).expect("read a sample file");
        println!("cargo:rerun-if-changed={}", home.join(rel).display());
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, rel, bytes.as_slice())
            .expect("append to the sample archive");
    }
    builder.finish().expect("finish the sample archive");
}
