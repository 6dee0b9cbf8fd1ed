//! TODO(helper): folder
