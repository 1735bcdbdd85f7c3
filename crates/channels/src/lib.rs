//! Message channels: e-mail out over SMTP (`mail`); SMS and e-mail in come with their issues.

pub mod mail;
