//! hprobe's HTTP/1.1 response reader (`hprobe::h1`): whatever bytes a
//! server sends.
//!
//! * No panic, and no endless loop.
//! * The reading does not depend on how the bytes come in reads: the input
//!   read in one piece and read in pieces of the size its second byte
//!   gives come out alike (the head, the captured `X-Cache`, the body's
//!   length and hash and whether the connection is reusable), or both fail.
//! * A body is never longer than the bytes that came.
//!
//! The first byte's low bit: the request was a HEAD.
#![no_main]

use hprobe::h1::read_scripted;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [flags, step, input @ ..] = data else { return };
    let head_request = flags & 1 == 1;
    let whole = read_scripted(vec![input.to_vec()], head_request, b"x-cache");
    let pieces = input.chunks(usize::from(*step).max(1)).map(<[u8]>::to_vec).collect();
    let cut = read_scripted(pieces, head_request, b"x-cache");
    match (whole, cut) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.head, b.head);
            assert_eq!(a.captured, b.captured);
            assert_eq!((a.bytes, a.hash, a.reusable), (b.bytes, b.hash, b.reusable));
            assert!(a.bytes <= input.len() as u64);
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("one piece: {a:?}\nin pieces of {step}: {b:?}"),
    }
});
