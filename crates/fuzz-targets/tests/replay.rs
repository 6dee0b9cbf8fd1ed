//! Replays the seed corpus, every prefix of the small seeds, byte flips, and the inputs the fuzzers
//! once crashed on (`regressions/<target>/`) through each fuzz target function: none may panic.

use std::path::Path;

use ksdm_fuzz_targets::{seeds, TARGETS};

fn shared() -> Option<&'static Path> {
    ksdm_test_fixtures::dir()
}

#[test]
fn seed_corpus_prefixes_and_flips_never_panic() {
    let out = tempfile::tempdir().expect("tempdir");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let summary = seeds::write_corpus(&repo, shared(), out.path()).expect("write the corpus");
    for (target, f) in TARGETS {
        let n = summary
            .per_target
            .iter()
            .find(|(t, _)| t == target)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        assert!(n > 0, "no seeds for {target}");
        let dir = out.path().join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("corpus dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        for p in files {
            let data = std::fs::read(&p).expect("seed");
            f(&data);
            // 64 prefixes and 16 single-byte flips per seed.
            let step = data.len() / 64 + 1;
            if target != "tarball" {
                for cut in (0..data.len()).step_by(step) {
                    f(&data[..cut]);
                }
            }
            for i in (0..data.len()).step_by(data.len() / 16 + 1) {
                let mut m = data.clone();
                m[i] ^= 0xff;
                f(&m);
            }
        }
    }
}

#[test]
fn inputs_the_fuzzers_crashed_on_never_panic_again() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    for (target, f) in TARGETS {
        let Ok(rd) = std::fs::read_dir(dir.join(target)) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let data = std::fs::read(e.path()).expect("regression input");
            f(&data);
        }
    }
}
