//! YAML serialisation shared by every writer, so all files look the same.

use serde::Serialize;

/// Serialises one object as a YAML document. Multi-line strings (Jenkinsfiles) use literal
/// block style where that round-trips exactly; strings that cannot (e.g. with CR) are quoted.
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, serde_saphyr::SerializeError> {
    serde_saphyr::to_string(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ksdm_model::v30::{NoScmPipeline, PipelineSpec};

    fn roundtrip(script: &str) {
        let spec = PipelineSpec {
            type_: "pipeline".into(),
            pipeline: Some(NoScmPipeline {
                name: "p".into(),
                jenkinsfile: script.into(),
                description: script.into(),
                ..Default::default()
            }),
            multi_branch_pipeline: None,
        };
        let y = to_yaml(&spec).unwrap();
        let back: PipelineSpec = serde_saphyr::from_str(&y).unwrap_or_else(|e| panic!("{e}\n{y}"));
        assert_eq!(back, spec, "YAML:\n{y}");
    }

    #[test]
    fn strings_survive_byte_for_byte() {
        for s in [
            "pipeline {\n  agent any\n}\n",
            "line with null\nnull\n~\n",
            "crlf\r\nline\r\n",
            "  leading spaces\n\ttab\n",
            "trailing spaces   \n\n\n",
            "no newline at end",
            "部署 ✓ — ünïcödé\n",
            "]]> <![CDATA[ x ]]>\n",
            "# not a comment\n- not a list\nkey: value\n",
            "\n\nstarts with blank lines",
            "yes",
            "1.10",
            "'quoted' \"double\" \\ backslash",
            &"long line ".repeat(40),
            "x\u{1b}y\u{7}z",
            " ",
            "",
        ] {
            roundtrip(s);
        }
    }
}
