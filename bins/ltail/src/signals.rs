//! SIGINT and SIGTERM from the first instant of `main`.
//!
//! `ltail -f` promises that a stop finishes what was read and exits 0; a
//! supervisor that starts ltail and stops it at once (a restart loop, a
//! deploy) must get that too. The event loop's own handler comes after the
//! command line is parsed and the files are found, so the signals are
//! caught here first, before anything else runs, and handed over. Other
//! modes keep the default action: a signal caught before the mode was
//! known is acted on then, as if it had just arrived.

use signal_hook::consts::{SIGINT, SIGTERM};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The signals this catches early.
const SIGNALS: [i32; 2] = [SIGINT, SIGTERM];

/// SIGINT and SIGTERM caught since [`EarlySignals::install`].
pub struct EarlySignals {
    /// One flag per signal of [`SIGNALS`], set when it arrives.
    caught: [Arc<AtomicBool>; 2],
    /// Once set, the signals take their default action again.
    release: Arc<AtomicBool>,
}

impl EarlySignals {
    /// Catches SIGINT and SIGTERM from now on.
    pub fn install() -> io::Result<EarlySignals> {
        let caught = [Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false))];
        let release = Arc::new(AtomicBool::new(false));
        for (signal, flag) in SIGNALS.into_iter().zip(&caught) {
            // The default action goes first: once released, a signal
            // terminates without being noted.
            signal_hook::flag::register_conditional_default(signal, Arc::clone(&release))?;
            signal_hook::flag::register(signal, Arc::clone(flag))?;
        }
        Ok(EarlySignals { caught, release })
    }

    /// Whether a stop was asked for.
    pub fn caught(&self) -> bool {
        self.caught.iter().any(|f| f.load(Ordering::SeqCst))
    }

    /// Gives the signals their default action back (terminating the
    /// process now if one already came): for the modes that read to the end
    /// of their input and have no stop of their own.
    pub fn release(self) {
        self.release.store(true, Ordering::SeqCst);
        for (signal, flag) in SIGNALS.into_iter().zip(&self.caught) {
            if flag.load(Ordering::SeqCst) {
                let _ = signal_hook::low_level::emulate_default_handler(signal);
            }
        }
    }
}
