//! The Kubernetes CRI log format, as containerd and CRI-O write the files
//! under `/var/log/pods` (linked from `/var/log/containers`):
//! `<RFC 3339 time> <stdout|stderr> <tag> <message>`, where the tag is `F`
//! (a full line, or the last piece of one) or `P` (a piece: the message is
//! continued by the next line of the same stream, with no separator).
//! Tags may carry more after a `:`, kept for later use by the CRI; only
//! the first part counts. Pieces are joined in [`crate::wrap`]; their size
//! depends on the runtime (containerd 16 KiB by default, CRI-O about 8 KiB)
//! and is assumed nowhere.

/// One CRI line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CriLine<'a> {
    /// The runtime's time (RFC 3339, usually with nanoseconds).
    pub time: &'a [u8],
    /// `stdout` or `stderr`.
    pub stream: &'a [u8],
    /// Whether the tag is `F`: the line ends here.
    pub last: bool,
    /// The message (this piece of it), as written.
    pub msg: &'a [u8],
}

/// Whether `line` may be a CRI line (`dddd-dd-ddT`...): the one check made
/// on every line that starts with a digit.
#[inline]
pub fn sniff(line: &[u8]) -> bool {
    line.len() > 20 && line[4] == b'-' && line[10] == b'T'
}

/// Reads a CRI line; `None` when it is not one.
pub fn parse(line: &[u8]) -> Option<CriLine<'_>> {
    let sp = memchr::memchr(b' ', line)?;
    let time = &line[..sp];
    if !crate::docker::valid_time(time) {
        return None;
    }
    let rest = &line[sp + 1..];
    let stream = match rest.get(..7)? {
        b"stdout " | b"stderr " => &rest[..6],
        _ => return None,
    };
    let rest = &rest[7..];
    let (tag, msg) = match memchr::memchr(b' ', rest) {
        Some(k) => (&rest[..k], &rest[k + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    let first = tag.split(|&b| b == b':').next().unwrap_or_default();
    let last = match first {
        b"F" => true,
        b"P" => false,
        _ => return None,
    };
    Some(CriLine { time, stream, last, msg })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_runtimes_lines() {
        let l = parse(b"2016-10-06T00:17:09.669794202Z stdout F The content of the log entry 1")
            .unwrap();
        assert_eq!(l.time, b"2016-10-06T00:17:09.669794202Z");
        assert_eq!(
            (l.stream, l.last, l.msg),
            (&b"stdout"[..], true, &b"The content of the log entry 1"[..])
        );
        // A piece keeps its trailing space; an empty message; a tag with more.
        let p = parse(b"2021-09-21T18:03:44.312144359Z stderr P 2021-09-21 This ").unwrap();
        assert_eq!((p.stream, p.last, p.msg), (&b"stderr"[..], false, &b"2021-09-21 This "[..]));
        let e = parse(b"2021-09-21T18:03:44.312144359+02:00 stdout F").unwrap();
        assert_eq!((e.last, e.msg), (true, &b""[..]));
        assert!(parse(b"2021-09-21T18:03:44Z stdout F:x msg").unwrap().last);
    }

    #[test]
    fn other_lines_are_not_cri() {
        for line in [
            &b"2021-09-21T18:03:44Z INFO app started"[..],
            b"2021-09-21T18:03:44Z stdout X msg",
            b"2021-09-21T25:03:44Z stdout F msg",
            b"2021-09-21 18:03:44 stdout F msg",
            b"2021-09-21T18:03:44Z stdou",
        ] {
            assert_eq!(parse(line), None, "{}", String::from_utf8_lossy(line));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(line in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            let mut prefixed = b"2021-09-21T18:03:44Z stdout ".to_vec();
            prefixed.extend_from_slice(&line);
            let _ = parse(&line);
            let _ = parse(&prefixed);
        }
    }
}
