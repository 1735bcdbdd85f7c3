//! Agents at work: availability (with the reasons managers keep) and shift statistics.

pub mod status;
