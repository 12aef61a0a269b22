//! Reaching a server: name resolution (once per host), TCP connect, and the
//! TLS handshake, each timed, each failure classified.

use crate::outcome::{ErrKind, Failure};
use anyhow::{bail, Context as _, Result};
use rustls::pki_types::{CertificateDer, ServerName};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::TcpStream;
use tokio::sync::OnceCell;

type Addrs = Result<Arc<[SocketAddr]>, Failure>;
type Names = HashMap<(String, u16), Arc<OnceCell<Addrs>>>;

/// Resolves each host name once for the whole run: the first request to a
/// host looks it up, the others (on any worker) wait for that answer and
/// reuse it. `--resolve HOST:PORT:ADDR` entries are answers given upfront.
#[derive(Default)]
pub struct Resolver {
    names: Mutex<Names>,
}

impl Resolver {
    /// A resolver that answers `--resolve` entries (`HOST:PORT:ADDR`, the
    /// address may be an IPv6 literal in brackets) without a lookup.
    pub fn with_overrides(entries: &[String]) -> Result<Resolver> {
        let resolver = Resolver::default();
        for entry in entries {
            let (host, port, addr) = parse_resolve(entry)
                .with_context(|| format!("bad --resolve {entry:?}: expected HOST:PORT:ADDR"))?;
            let cell = OnceCell::new_with(Some(Ok(Arc::from([SocketAddr::new(addr, port)]))));
            resolver.names.lock().unwrap().insert((host, port), Arc::new(cell));
        }
        Ok(resolver)
    }

    /// The addresses of `host:port`, and whether this call did the lookup
    /// (so that only the request that waited for it reports `dns_rt`).
    pub async fn lookup(&self, host: &str, port: u16) -> (Addrs, bool) {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return (Ok(Arc::from([SocketAddr::new(ip, port)])), false);
        }
        let cell = {
            let mut names = self.names.lock().unwrap();
            let key = (host.to_ascii_lowercase(), port);
            names.entry(key).or_default().clone()
        };
        let mut looked_up = false;
        let addrs = cell
            .get_or_init(|| {
                looked_up = true;
                resolve(host.to_string(), port)
            })
            .await;
        (addrs.clone(), looked_up)
    }
}

async fn resolve(host: String, port: u16) -> Addrs {
    match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(Failure::new(ErrKind::Dns, format!("{host}: no addresses")))
            } else {
                Ok(addrs.into())
            }
        }
        Err(e) => Err(Failure::new(ErrKind::Dns, format!("{host}: {e}"))),
    }
}

fn parse_resolve(entry: &str) -> Option<(String, u16, IpAddr)> {
    let (host, rest) = entry.split_once(':')?;
    let (port, addr) = rest.split_once(':')?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return None;
    }
    // A Unicode name as the URL's is turned into its ASCII form (IDNA).
    let host = crate::target::ascii_host(host).ok()?;
    Some((host.to_ascii_lowercase(), port.parse().ok()?, addr.parse().ok()?))
}

/// Connects to the first of `addrs` that answers, each attempt bounded by
/// what is left of `deadline`.
pub async fn connect(addrs: &[SocketAddr], deadline: Instant) -> Result<TcpStream, Failure> {
    let mut last = None;
    for addr in addrs {
        let attempt = tokio::time::timeout_at(deadline.into(), TcpStream::connect(addr)).await;
        match attempt {
            Ok(Ok(stream)) => {
                // Requests are small and latency is what we measure.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last = Some(Failure::new(ErrKind::Connect, format!("{addr}: {e}"))),
            Err(_) => {
                return Err(Failure::new(ErrKind::Connect, format!("{addr}: connection timed out")))
            }
        }
    }
    Err(last.unwrap_or_else(|| Failure::new(ErrKind::Connect, "no address to connect to".into())))
}

/// Which HTTP versions to offer (TLS ALPN) or speak (cleartext).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    /// HTTP/2 when TLS ALPN agrees, else HTTP/1.1; HTTP/1.1 in cleartext.
    Auto,
    /// HTTP/1.1 only.
    Http1,
    /// HTTP/2 only: ALPN `h2`, or prior knowledge in cleartext.
    Http2,
}

/// How to check servers' certificates.
pub struct TlsOptions {
    pub insecure: bool,
    pub cacert: Option<std::path::PathBuf>,
    pub versions: Versions,
}

/// The TLS client configuration, built on first use: a run against plain
/// HTTP never reads the system's certificates.
pub struct Tls {
    options: TlsOptions,
    config: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
}

impl Tls {
    pub fn new(options: TlsOptions) -> Result<Tls> {
        let tls = Tls { options, config: std::sync::OnceLock::new() };
        // A bad --cacert is a usage error: find it before the first request.
        if tls.options.cacert.is_some() {
            tls.config().map_err(anyhow::Error::msg)?;
        }
        Ok(tls)
    }

    fn config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        self.config
            .get_or_init(|| build_config(&self.options).map_err(|e| format!("{e:#}")))
            .clone()
    }

    /// Runs the TLS handshake over `tcp`, checking the certificate against
    /// `host` (also sent as SNI, whatever address `--resolve` gave).
    pub async fn handshake(
        &self,
        host: &str,
        tcp: TcpStream,
        deadline: Instant,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Failure> {
        let config = self.config().map_err(|e| Failure::new(ErrKind::Tls, e))?;
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| Failure::new(ErrKind::Tls, format!("{host}: {e}")))?;
        let connector = tokio_rustls::TlsConnector::from(config);
        match tokio::time::timeout_at(deadline.into(), connector.connect(name, tcp)).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(e)) => Err(Failure::new(ErrKind::Tls, e.to_string())),
            Err(_) => Err(Failure::new(ErrKind::Tls, "TLS handshake timed out".into())),
        }
    }
}

fn build_config(options: &TlsOptions) -> Result<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let mut config = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        builder.with_root_certificates(roots(options.cacert.as_deref())?).with_no_client_auth()
    };
    config.alpn_protocols = match options.versions {
        Versions::Auto => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        Versions::Http1 => vec![b"http/1.1".to_vec()],
        Versions::Http2 => vec![b"h2".to_vec()],
    };
    Ok(Arc::new(config))
}

/// The certificates to trust: those of `--cacert` only (as curl does), else
/// the system's.
fn roots(cacert: Option<&Path>) -> Result<rustls::RootCertStore> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = cacert {
        let certs = CertificateDer::pem_file_iter(path)
            .with_context(|| format!("--cacert {}", path.display()))?;
        for cert in certs {
            let cert = cert.with_context(|| format!("--cacert {}", path.display()))?;
            roots.add(cert).with_context(|| format!("--cacert {}", path.display()))?;
        }
        if roots.is_empty() {
            bail!("--cacert {}: no certificates in the file", path.display());
        }
    } else {
        for cert in rustls_native_certs::load_native_certs().certs {
            // One odd certificate in the system store must not stop us.
            let _ = roots.add(cert);
        }
        if roots.is_empty() {
            bail!("no trusted certificates found on this system (give --cacert, or --insecure)");
        }
    }
    Ok(roots)
}

/// `--insecure`: accepts any certificate, still checking that the server
/// holds its key (so the handshake itself is sound).
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_entries() {
        assert_eq!(
            parse_resolve("Example.com:443:127.0.0.1"),
            Some(("example.com".into(), 443, "127.0.0.1".parse().unwrap()))
        );
        assert_eq!(
            parse_resolve("example.com:80:[::1]"),
            Some(("example.com".into(), 80, "::1".parse().unwrap()))
        );
        assert_eq!(
            parse_resolve("bücher.test:80:127.0.0.1"),
            Some(("xn--bcher-kva.test".into(), 80, "127.0.0.1".parse().unwrap()))
        );
        assert_eq!(parse_resolve("example.com:80"), None);
        assert_eq!(parse_resolve("example.com:http:127.0.0.1"), None);
        assert_eq!(parse_resolve(":80:127.0.0.1"), None);
    }

    #[tokio::test]
    async fn overrides_answer_without_lookup() {
        let r = Resolver::with_overrides(&["mirror.test:8080:127.0.0.2".into()]).unwrap();
        let (addrs, looked_up) = r.lookup("MIRROR.test", 8080).await;
        assert_eq!(&*addrs.unwrap(), &["127.0.0.2:8080".parse().unwrap()]);
        assert!(!looked_up);
        let (addrs, _) = r.lookup("127.0.0.1", 9).await;
        assert_eq!(&*addrs.unwrap(), &["127.0.0.1:9".parse().unwrap()]);
    }
}
