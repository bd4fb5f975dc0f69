//! crypto primitive (placeholder: being written).
