//! Decoders (placeholder).
