//! AFL++ target `jenkins_secret`: see `ksdm_fuzz_targets::jenkins_secret`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        ksdm_fuzz_targets::jenkins_secret(data);
    });
}
