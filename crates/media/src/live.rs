//! Counts of the media objects alive in this process (relays), for `/metrics`: each
//! must be back to 0 when no call is up. A counter goes up when the object is made and down when
//! its last part (its tasks included) is freed.

use std::sync::atomic::{AtomicUsize, Ordering};

pub(crate) static RELAYS: AtomicUsize = AtomicUsize::new(0);

/// Relay sessions alive (their two tasks and sockets included).
pub fn relays() -> usize {
    RELAYS.load(Ordering::Relaxed)
}

/// Counts one object of a kind for as long as it lives (in `counter`).
pub struct Counted(&'static AtomicUsize);

impl Counted {
    pub fn new(counter: &'static AtomicUsize) -> Counted {
        counter.fetch_add(1, Ordering::Relaxed);
        Counted(counter)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
