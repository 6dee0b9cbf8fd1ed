//! Jenkins XML (XML 1.1, XStream name escaping) readers.

pub mod dom;
pub mod folder;
pub mod pipeline;
pub mod pipeline_losses;
pub mod repair;
