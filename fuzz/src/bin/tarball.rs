//! AFL++ target `tarball`: see `ksdm_fuzz_targets::tarball`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        ksdm_fuzz_targets::tarball(data);
    });
}
