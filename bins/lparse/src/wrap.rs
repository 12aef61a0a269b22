//! Lines that reach disk wrapped: Docker's json-file ([`crate::docker`]),
//! Kubernetes CRI ([`crate::cri`]) and journald's JSON export
//! ([`crate::journald`]). The line inside is parsed like any other; the
//! wrapper adds `stream` and `recv_ts` (docs/records.md).
//!
//! Docker and CRI split long lines into pieces. Pieces are joined here, per
//! source and stream (a file's stdout and stderr pieces interleave), up to
//! [`MAX_JOINED`] bytes: a longer line is cut there and marked `truncated`,
//! as ltail cuts a raw line. A piece whose end does not come (the end of
//! the input, or no line of the input for the time-out while following) is
//! parsed as it is, also marked `truncated`, and reported.

use std::collections::HashMap;

/// The longest joined line, in bytes: the longest line ltail carries.
pub const MAX_JOINED: usize = logkit_common::input::DEFAULT_MAX_LINE;

/// Which wrapper a line may be in, from its first bytes: the only work done
/// on every line (a byte compared, and for a line starting with `{` or a
/// digit one or two more checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Docker,
    Cri,
    Journald,
}

/// The wrapper `line` may be in, or `None` for a plain line.
#[inline]
pub fn sniff(line: &[u8]) -> Option<Sniffed> {
    match line.first()? {
        b'{' if crate::docker::sniff(line) => Some(Sniffed::Docker),
        b'{' if crate::journald::sniff(line) => Some(Sniffed::Journald),
        b'0'..=b'9' if crate::cri::sniff(line) => Some(Sniffed::Cri),
        _ => None,
    }
}

/// The record fields a wrapper adds, after the record's `src` fields:
/// `,"stream":"…","recv_ts":"…"` (each only when given).
pub fn prefix(src: &[u8], stream: Option<&[u8]>, recv_ts: Option<&[u8]>, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(src);
    for (name, value) in
        [(logkit_common::record::STREAM, stream), (logkit_common::record::RECV_TS, recv_ts)]
    {
        if let Some(v) = value {
            if !out.is_empty() {
                out.push(b',');
            }
            // Both are checked to need no escaping (a stream name, a time).
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":\"");
            out.extend_from_slice(v);
            out.push(b'"');
        }
    }
}

/// The key of a source's stream: its `src` (or the input's name) and the
/// stream's name.
pub fn stream_key(source: &[u8], stream: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(source);
    out.push(0);
    out.extend_from_slice(stream);
}

/// The pieces of a line waiting for their end.
#[derive(Debug)]
pub struct Pending {
    /// The bytes so far, at most [`MAX_JOINED`].
    pub bytes: Vec<u8>,
    /// The wrapper's time of the first piece.
    pub time: Vec<u8>,
    /// The stream's name.
    pub stream: Vec<u8>,
    /// The record's `src` fields.
    pub src: Vec<u8>,
    /// Where the first piece was read, for messages.
    pub place: String,
    /// The line was longer than [`MAX_JOINED`]: the rest is dropped.
    pub cut: bool,
    /// When the last piece came.
    pub since: std::time::Instant,
}

/// Pieces waiting for their end, per stream key.
#[derive(Debug, Default)]
pub struct Pieces {
    pending: HashMap<Vec<u8>, Pending>,
}

impl Pieces {
    /// Whether no piece waits.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Adds a piece of the line of `key` (a new line's first piece takes
    /// `make`'s details).
    pub fn add(&mut self, key: &[u8], piece: &[u8], make: impl FnOnce() -> Pending) {
        let p = self.pending.entry(key.to_vec()).or_insert_with(make);
        p.since = std::time::Instant::now();
        append_capped(p, piece);
    }

    /// Takes the pieces waiting on `key`, if any, with `last` (the final
    /// piece) added to them.
    pub fn finish(&mut self, key: &[u8], last: &[u8]) -> Option<Pending> {
        if self.pending.is_empty() {
            return None;
        }
        let mut p = self.pending.remove(key)?;
        append_capped(&mut p, last);
        Some(p)
    }

    /// Takes the lines whose last piece came `timeout` ago or more (all
    /// of them with `None`: the input ended), in the order of the places
    /// they started.
    pub fn expire(&mut self, timeout: Option<std::time::Duration>) -> Vec<Pending> {
        let mut out = Vec::new();
        let keys: Vec<Vec<u8>> = self.pending.keys().cloned().collect();
        for k in keys {
            let p = &self.pending[&k];
            if timeout.is_none_or(|t| p.since.elapsed() >= t) {
                out.push(self.pending.remove(&k).expect("listed"));
            }
        }
        out.sort_by(|a, b| a.place.cmp(&b.place));
        out
    }
}

/// Appends `piece`, up to [`MAX_JOINED`] bytes in all.
fn append_capped(p: &mut Pending, piece: &[u8]) {
    let room = MAX_JOINED - p.bytes.len();
    if piece.len() > room {
        p.cut = true;
    }
    p.bytes.extend_from_slice(&piece[..piece.len().min(room)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Pending {
        Pending {
            bytes: Vec::new(),
            time: b"t".to_vec(),
            stream: b"stdout".to_vec(),
            src: Vec::new(),
            place: "x:1".into(),
            cut: false,
            since: std::time::Instant::now(),
        }
    }

    #[test]
    fn pieces_join_per_key_and_are_capped() {
        let mut p = Pieces::default();
        p.add(b"a", b"one ", pending);
        p.add(b"b", b"other ", pending);
        p.add(b"a", b"two ", pending);
        assert!(p.finish(b"c", b"x").is_none());
        let a = p.finish(b"a", b"three").unwrap();
        assert_eq!(a.bytes, b"one two three");
        assert!(!a.cut);
        p.add(b"c", &vec![b'x'; MAX_JOINED - 1], pending);
        let c = p.finish(b"c", b"yz").unwrap();
        assert_eq!((c.bytes.len(), c.cut), (MAX_JOINED, true));
        // b waits: not yet timed out, then at the end of the input.
        assert!(p.expire(Some(std::time::Duration::from_secs(60))).is_empty());
        assert_eq!(p.expire(Some(std::time::Duration::ZERO)).len(), 1);
        assert!(p.is_empty());
    }

    #[test]
    fn prefix_fields() {
        let mut out = Vec::new();
        prefix(b"\"src\":\"a\"", Some(b"stderr"), Some(b"2026-01-01T00:00:00Z"), &mut out);
        assert_eq!(out, br#""src":"a","stream":"stderr","recv_ts":"2026-01-01T00:00:00Z""#);
        prefix(b"", None, Some(b"t"), &mut out);
        assert_eq!(out, br#""recv_ts":"t""#);
    }
}
