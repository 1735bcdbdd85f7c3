//! The organization's telephony as the SIP side sees it: trunks, numbers, ring groups and dial
//! rules (`trunks`), held in memory for routing (`cache`), and the answers to the SIP server's
//! questions (`directory`, the `telephony::SipDirectory` of this crate).

pub mod cache;
pub mod caller_ids;
pub mod carriers;
pub mod directory;
pub mod edits;
pub mod presets;
pub mod trunks;
