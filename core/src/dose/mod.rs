//! System 9: the patient terminal after an automatic drug injection.

pub mod escalation;
