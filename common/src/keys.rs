//! The keys of the live views (lcount's board, hprobe's view), which read
//! the terminal in raw mode: there Ctrl-C is a key, not a signal, so the
//! view that sees it, or `q`, stops the pipeline itself, as Ctrl-C in a
//! shell would.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Whether `key` asks the view to stop: `q`, `Q` or Ctrl-C, pressed (not
/// released, for terminals that report both).
pub fn quits(key: &KeyEvent) -> bool {
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    let quit = matches!(key.code, KeyCode::Char('q' | 'Q')) || ctrl_c;
    quit && key.kind == KeyEventKind::Press
}

/// Stops the run as Ctrl-C in a shell does: SIGINT to the process group
/// (the tool and the commands feeding it, whose handlers end their reading
/// and write what they have), or to this process alone when that fails.
pub fn interrupt() {
    use rustix::process::{getpid, kill_current_process_group, kill_process, Signal};
    if kill_current_process_group(Signal::INT).is_err() {
        let _ = kill_process(getpid(), Signal::INT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_and_ctrl_c_quit_other_keys_do_not() {
        let key = |code, modifiers| KeyEvent::new(code, modifiers);
        assert!(quits(&key(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert!(quits(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!quits(&key(KeyCode::Char('c'), KeyModifiers::NONE)));
        assert!(!quits(&key(KeyCode::Esc, KeyModifiers::NONE)));
        let mut released = key(KeyCode::Char('q'), KeyModifiers::NONE);
        released.kind = KeyEventKind::Release;
        assert!(!quits(&released));
    }
}
