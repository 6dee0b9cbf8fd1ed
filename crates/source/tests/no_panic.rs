//! No panics on any input: the dump reader returns errors or issues for arbitrary statements.
//! (The XML readers' no-panic tests are in `ksdm-convert`, which owns the job parser.)

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn dump_reader_never_panics(text in "(INSERT INTO `project` VALUES|\\(|\\)|'|\\\\|,|;|[a-z0-9 \n]|CREATE TABLE `project_membership`|/\\*!|\\*/|--){0,40}") {
        let _ = ksdm_source::mysqldump::read_dump(text.as_bytes());
    }
}
