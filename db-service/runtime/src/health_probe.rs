//! A dependency-free health probe for `HEALTHCHECK` in images that have no shell or curl: both binaries expose it
//! as a `healthcheck` subcommand that asks their own listener for `/healthz`.

use std::{
    io::{Read, Write},
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream},
    time::Duration,
};

/// How long `healthcheck` waits for an answer (well inside the images' HEALTHCHECK timeout).
const HEALTHCHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Nothing answered, or the connection broke.
    #[error("no answer from {0}: {1}")]
    Unreachable(SocketAddr, std::io::Error),
    /// Something answered, but not `200`.
    #[error("{0} answered {1:?}")]
    Unhealthy(SocketAddr, String),
}

/// Asks `GET path` of the service listening on `listen_addr` (a wildcard address means this host) and succeeds
/// on `200`.
pub fn probe(listen_addr: SocketAddr, path: &str, timeout: Duration) -> Result<(), ProbeError> {
    let addr = reachable(listen_addr);
    let unreachable = |e| ProbeError::Unreachable(addr, e);
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(unreachable)?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(unreachable)?;
    // One write: a server may answer and close as soon as it has the request.
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    // The status line, which may arrive in pieces.
    let mut head = Vec::with_capacity(64);
    let mut chunk = [0u8; 64];
    while !head.contains(&b'\n') && head.len() < 64 {
        let read = stream.read(&mut chunk).map_err(unreachable)?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..read]);
    }
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or_default();
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        _ => Err(ProbeError::Unhealthy(addr, status_line.to_owned())),
    }
}

/// The `healthcheck` subcommand of both binaries: `/healthz` of the instance listening on `listen_addr`.
pub fn healthcheck(listen_addr: SocketAddr) -> Result<(), ProbeError> {
    probe(listen_addr, "/healthz", HEALTHCHECK_TIMEOUT)
}

/// `0.0.0.0:3000` is where a service listens, not an address to connect to: use loopback instead.
fn reachable(listen_addr: SocketAddr) -> SocketAddr {
    let ip = match listen_addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen_addr.port())
}

#[cfg(test)]
mod tests {
    use std::{net::TcpListener, thread};

    use super::*;

    /// A one-shot server answering every connection with `reply`.
    fn serve_once(reply: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                // The whole request, up to its blank line, then the reply.
                let mut request = Vec::new();
                let mut chunk = [0u8; 256];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = conn.write_all(reply.as_bytes());
            }
        });
        addr
    }

    #[test]
    fn ok_on_200_and_wildcard_means_loopback() {
        let addr = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        let wildcard = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), addr.port());
        probe(wildcard, "/healthz", Duration::from_secs(2)).expect("healthy");
    }

    #[test]
    fn fails_on_other_status_and_on_silence() {
        let addr = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        let err = probe(addr, "/healthz", Duration::from_secs(2)).expect_err("503 is unhealthy");
        assert!(matches!(err, ProbeError::Unhealthy(_, ref line) if line.contains("503")));

        let closed = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port");
        let err = probe(closed, "/healthz", Duration::from_secs(2)).expect_err("nothing listens");
        assert!(matches!(err, ProbeError::Unreachable(..)));
    }
}
