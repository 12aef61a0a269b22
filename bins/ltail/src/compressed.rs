//! Rotated history is often compressed (`access.log.2.gz`): such files are
//! recognised by their first bytes, whatever their name, and read through a
//! decoder, so that `ltail access.log*` reads the whole history in one go.
//! The decoders are pure Rust (flate2 with miniz_oxide, ruzstd, bzip2 with
//! libbz2-rs-sys): nothing to install.

use std::fs::File;
use std::io::{self, Read};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gzip,
    Zstd,
    Bzip2,
}

/// The compression of a file, from its magic bytes.
pub fn sniff(file: &File) -> io::Result<Option<Kind>> {
    let mut magic = [0u8; 4];
    let n = crate::follow::read_at_full(file, &mut magic)?;
    Ok(match &magic[..n] {
        [0x1f, 0x8b, ..] => Some(Kind::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd] => Some(Kind::Zstd),
        [b'B', b'Z', b'h', b'1'..=b'9'] => Some(Kind::Bzip2),
        _ => None,
    })
}

/// A reader of the decompressed content (all members or frames of it).
pub fn decoder(kind: Kind, file: File) -> io::Result<Box<dyn Read>> {
    Ok(match kind {
        Kind::Gzip => {
            Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(1 << 16, file)))
        }
        Kind::Bzip2 => {
            Box::new(bzip2::read::MultiBzDecoder::new(io::BufReader::with_capacity(1 << 16, file)))
        }
        Kind::Zstd => Box::new(ZstdFrames::Between(io::BufReader::with_capacity(1 << 16, file))),
    })
}

/// ruzstd decodes one frame at a time; a file may hold several
/// (concatenated `zstd` outputs), read one after the other.
enum ZstdFrames {
    Between(io::BufReader<File>),
    InFrame(
        Box<
            ruzstd::decoding::StreamingDecoder<io::BufReader<File>, ruzstd::decoding::FrameDecoder>,
        >,
    ),
    /// Only while switching from one state to the other.
    Switching,
}

impl Read for ZstdFrames {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match std::mem::replace(self, ZstdFrames::Switching) {
                ZstdFrames::InFrame(mut frame) => {
                    let n = frame.read(buf)?;
                    if n > 0 || buf.is_empty() {
                        *self = ZstdFrames::InFrame(frame);
                        return Ok(n);
                    }
                    *self = ZstdFrames::Between(frame.into_inner());
                }
                ZstdFrames::Between(mut source) => {
                    if io::BufRead::fill_buf(&mut source)?.is_empty() {
                        *self = ZstdFrames::Between(source);
                        return Ok(0);
                    }
                    let frame = ruzstd::decoding::StreamingDecoder::new(source).map_err(|e| {
                        io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}"))
                    })?;
                    *self = ZstdFrames::InFrame(Box::new(frame));
                }
                ZstdFrames::Switching => {
                    return Err(io::Error::other("zstd: reading after an error"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn roundtrip(compressed: &[u8]) -> (Option<Kind>, Vec<u8>) {
        let path = std::env::temp_dir().join(format!(
            "ltail-compressed-{}-{}",
            std::process::id(),
            compressed.len()
        ));
        std::fs::write(&path, compressed).unwrap();
        let file = File::open(&path).unwrap();
        let kind = sniff(&file).unwrap();
        let mut out = Vec::new();
        if let Some(k) = kind {
            decoder(k, file).unwrap().read_to_end(&mut out).unwrap();
        }
        std::fs::remove_file(&path).unwrap();
        (kind, out)
    }

    #[test]
    fn reads_every_member_and_frame() {
        let part = |text: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(text).unwrap();
            e.finish().unwrap()
        };
        let gz = [part(b"a\n"), part(b"b\n")].concat();
        assert_eq!(roundtrip(&gz), (Some(Kind::Gzip), b"a\nb\n".to_vec()));

        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(b"c\nd\n").unwrap();
        assert_eq!(roundtrip(&e.finish().unwrap()), (Some(Kind::Bzip2), b"c\nd\n".to_vec()));

        let z = |text: &[u8]| {
            ruzstd::encoding::compress_to_vec(text, ruzstd::encoding::CompressionLevel::Fastest)
        };
        let zst = [z(b"e\n"), z(b"f\n")].concat();
        assert_eq!(roundtrip(&zst), (Some(Kind::Zstd), b"e\nf\n".to_vec()));

        assert_eq!(roundtrip(b"plain text\n").0, None);
        assert_eq!(roundtrip(b"").0, None);
    }
}
