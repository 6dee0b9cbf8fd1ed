//! AFL++ target `folder_credentials`: see `ksdm_fuzz_targets::folder_credentials`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        ksdm_fuzz_targets::folder_credentials(data);
    });
}
