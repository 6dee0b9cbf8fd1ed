//! AFL++ target `mysqldump`: see `ksdm_fuzz_targets::mysqldump`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        ksdm_fuzz_targets::mysqldump(data);
    });
}
