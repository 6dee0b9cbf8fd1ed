//! No panics on any input: the job parser and the credential-store reader return errors or
//! findings for arbitrary bytes, and for real files cut at every length.

use proptest::prelude::*;

/// Real files from `../shared/fixtures/jenkins-xml` cut and mutated below.
const REAL_FILES: [&str; 3] = [
    "jenkins-xml/kubesphere/workflowjob-jenkins-saved.xml",
    "jenkins-xml/ks-devops/multibranch-bitbucket-jenkins-saved.xml",
    "jenkins-xml/ssh-credentials-plugin/update_folder.xml",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn xml_readers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = ksdm_convert::v30_parse::parse_job("job", &bytes);
        let _ = ksdm_jenkins_xml::folder::parse_folder_credentials(&bytes);
    }

}

#[test]
fn truncated_and_mutated_real_files_never_panic() {
    ksdm_test_fixtures::require_shared!();
    for rel in REAL_FILES {
        let full = ksdm_test_fixtures::read(rel).expect("shared fixture");
        for cut in 0..full.len() {
            let _ = ksdm_convert::v30_parse::parse_job("job", &full[..cut]);
            let _ = ksdm_jenkins_xml::folder::parse_folder_credentials(&full[..cut]);
        }
        for i in (0..full.len()).step_by(7) {
            let mut m = full.clone();
            m[i] = b'<';
            let _ = ksdm_convert::v30_parse::parse_job("job", &m);
        }
    }
}
