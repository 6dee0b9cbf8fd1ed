//! AFL++ target `job_xml`: see `ksdm_fuzz_targets::job_xml`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        ksdm_fuzz_targets::job_xml(data);
    });
}
