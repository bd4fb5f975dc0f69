//! money primitive (placeholder: being written).
