//! The process's limit on open files, raised at start to what the system allows: each call
//! holds two RTP sockets and each SIP TCP connection one descriptor, and the default soft limit
//! (1,024 on most Linux systems) ran out under a flood of TCP connections, taking the web
//! pages down with it.

/// Raises the soft limit of open files to the hard limit; returns the limit now in force.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn raise_limit() -> Option<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read and write the struct given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim = raised;
        }
    }
    Some(lim.rlim_cur)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn raise_limit() -> Option<u64> {
    None
}
