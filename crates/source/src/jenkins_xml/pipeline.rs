//! TODO(helper): pipeline
