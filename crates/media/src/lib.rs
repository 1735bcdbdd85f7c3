//! RTP media for Switchboard: G.711, RTP ports, the relay that anchors a call's audio between
//! its legs, the conference mixer, music on hold, recording and RFC 4733 DTMF. Knows nothing
//! of SIP: the signalling side tells it addresses and modes.

pub mod dtmf;
pub mod g711;
pub mod live;
pub mod mixer;
pub mod music;
pub mod peer;
pub mod ports;
pub mod recorder;
pub mod relay;
pub mod rtp;

pub use mixer::Mixer;
pub use music::Music;
pub use ports::RtpPorts;
pub use recorder::Recording;
pub use relay::{Leg, MediaEvent, Relay, RelayStats};
