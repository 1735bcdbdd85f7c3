//! Who someone is and what they may do: users and their passwords, log-in with its throttle,
//! browser sessions, API tokens, and each user's own preferences.

pub mod auth;
pub mod password;
pub mod phone_setup;
pub mod preferences;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
