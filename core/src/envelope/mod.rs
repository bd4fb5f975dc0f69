//! envelope primitive (placeholder: being written).
