//! AFL++ target `xml_dom`: see `ksdm_fuzz_targets::xml_dom`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        ksdm_fuzz_targets::xml_dom(data);
    });
}
