//! The script an administrator reviews in docs/script-console.md is exactly the one we post.

#[test]
fn documented_script_is_the_posted_script() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/script-console.md"
    ))
    .expect("docs/script-console.md");
    assert!(
        doc.contains(ksdm_source_jenkins_rest::REVEAL_SCRIPT),
        "docs/script-console.md is out of date: regenerate it from REVEAL_SCRIPT"
    );
}
