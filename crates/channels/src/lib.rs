//! Message channels: plain-text e-mail out over SMTP (`mail`). Nothing else yet: incoming
//! mail and SMS are not built.

pub mod mail;
