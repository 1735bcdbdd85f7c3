//! SIP for Switchboard: the registrar, digest authentication, trunks and the B2BUA with call
//! control. It knows nothing of the CRM: it asks a [`SipDirectory`] who exists, and reports
//! what happens as [`events::CallEvent`]s.

mod auth;
mod call;
pub use call::{DialOut, DialReport, ECHO_EXTENSION, MAX_QUEUE_HOPS, Originate, new_call_id};
pub mod admission;
pub mod control;
pub mod digest;
pub mod directory;
pub mod events;
pub mod fuzzing;
pub mod guard;
mod handover;
pub mod internal;
pub mod location;
mod party;
pub mod prompts;
pub mod queue;
pub mod registrar;
pub mod sdp;
pub mod server;
mod shared;
pub mod tcp;
pub mod trunk_registration;

pub use control::{ActiveCall, CallError};
pub use directory::{InboundRoute, OutboundRoute, RecordingPolicy, SipDirectory, Tenant, Trunk};
pub use internal::InternalKey;
pub use media::Music;
pub use server::{Live, SipServer, SipSettings};

/// The User-Agent / Server header value.
pub const USER_AGENT: &str = concat!("Switchboard/", env!("CARGO_PKG_VERSION"));
