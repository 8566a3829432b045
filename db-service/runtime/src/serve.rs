//! The server loop both services run: HTTP/1.1 with a bound on reading each request's head — which also closes a
//! keep-alive connection that stays idle as long —, a bound on connections held at once (each keeps buffers), and
//! a graceful shutdown that lets in-flight requests finish. (axum's own `serve` sets neither bound: a client could
//! hold a connection open forever sending nothing, and a crowd's connections grow memory without limit.)
//!
//! Besides its TCP address a service can also serve on a Unix socket, for a proxy or client on the same machine
//! (the single-node stack, scripts/run-stack): the kernel hands a message across one with less work than across
//! loopback TCP, which a crowd's requests, each crossing two hops, pay on every call.

use std::{future::Future, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use axum::{extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::{TcpListener, TcpSocket, UnixListener},
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tower::ServiceExt;

/// How long a client may take to send a request's head, and how long a keep-alive connection may stay idle.
/// Clients that keep idle connections (nginx upstreams, the api's pool) must let them go sooner.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections the kernel queues until they are accepted (capped by `net.core.somaxconn`): nginx opens many
/// upstream connections at once when a crowd's cached page expires, and a full queue drops them.
const ACCEPT_BACKLOG: u32 = 4096;

/// Largest request head accepted (request line and headers).
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Connections served at once. An idle one holds about 3 KiB (measured: bench/memory.sh), one being served its
/// request's buffers, so this bounds what connections take (k8s/README.md, "Memory"); past it the next connection
/// waits in the kernel's accept queue until one closes. Probes do too: clients' pools stay well below it.
pub const MAX_CONNECTIONS: usize = 4096;

/// Open files this process asks for (its soft limit, raised up to the hard one): every connection is one, and
/// container runtimes often start processes with a soft limit of 1,024.
const WANTED_OPEN_FILES: u64 = 65_536;

/// The socket to serve on: the one this process was handed (systemd-style socket activation, `LISTEN_FDS=1`
/// with the socket as fd 3 — how tests start services on ports nobody else can take in between), else a new one
/// bound to `addr`, with room for a crowd of connections.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    raise_open_file_limit();
    if let Some(inherited) = listenfd::ListenFd::from_env().take_tcp_listener(0)? {
        inherited.set_nonblocking(true)?;
        return TcpListener::from_std(inherited);
    }
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// A Unix socket at `path`, replacing one an earlier run left there. A socket some process still serves is not
/// taken over (`AddrInUse`) — nor one whose process does not answer within [`STALE_SOCKET_PROBE`], which may be
/// hung with a full queue —, and a path that is anything but a socket is not touched (`AlreadyExists`).
pub async fn bind_unix(path: &Path) -> std::io::Result<UnixListener> {
    use std::{io::ErrorKind, os::unix::fs::FileTypeExt};
    let in_use = || {
        std::io::Error::new(
            ErrorKind::AddrInUse,
            format!("{} is served by another process", path.display()),
        )
    };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            match tokio::time::timeout(STALE_SOCKET_PROBE, tokio::net::UnixStream::connect(path))
                .await
            {
                Ok(Ok(_)) | Err(_) => return Err(in_use()),
                // Nobody accepts on it: left by a process that has ended.
                Ok(Err(e)) if e.kind() == ErrorKind::ConnectionRefused => {
                    std::fs::remove_file(path)?
                }
                Ok(Err(e)) if e.kind() == ErrorKind::WouldBlock => return Err(in_use()),
                Ok(Err(e)) => return Err(e),
            }
        }
        Ok(_) => {
            return Err(std::io::Error::new(
                ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    UnixListener::bind(path)
}

/// How long [`bind_unix`] waits for a process serving a socket already there to take a connection.
const STALE_SOCKET_PROBE: Duration = Duration::from_secs(1);

/// Raises this process's soft limit on open files towards [`WANTED_OPEN_FILES`] (no privilege needed up to the
/// hard limit), and says what it got: below [`MAX_CONNECTIONS`], connections past it fail to be accepted.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(WANTED_OPEN_FILES) {
        Ok(got) if got < MAX_CONNECTIONS as u64 + 64 => tracing::warn!(
            open_files = got,
            "the open-file limit is below the connections served at once; raise the hard limit (ulimit -Hn)"
        ),
        Ok(got) => tracing::debug!(open_files = got, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
}

/// Serves `app` on `listener` and, when given, on the Unix socket `unix` too, until `shutdown` completes, then
/// waits for in-flight requests; [`MAX_CONNECTIONS`] are held at once over both. Handlers can read a TCP peer's
/// address through `ConnectInfo<SocketAddr>`; requests over the Unix socket carry none (their peer is a process on
/// this machine).
pub async fn serve(
    listener: TcpListener,
    unix: Option<UnixListener>,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_at_most(MAX_CONNECTIONS, listener, unix, app, shutdown).await
}

/// [`serve`] with `max_connections` held at once.
async fn serve_at_most(
    max_connections: usize,
    listener: TcpListener,
    unix: Option<UnixListener>,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_header_size(MAX_HEADER_BYTES);
    let server = Server {
        http,
        app,
        graceful: GracefulShutdown::new(),
    };
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&open).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
                    }
                    server.spawn(stream, Some(peer), slot);
                }
                Err(e) => pause_after_accept_error(&e).await,
            },
            accepted = accept_unix(unix.as_ref()) => match accepted {
                Ok(stream) => server.spawn(stream, None, slot),
                Err(e) => pause_after_accept_error(&e).await,
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    drop(unix);
    server.graceful.shutdown().await;
    Ok(())
}

/// The next connection on `unix`; never, without one.
async fn accept_unix(unix: Option<&UnixListener>) -> std::io::Result<tokio::net::UnixStream> {
    match unix {
        Some(unix) => Ok(unix.accept().await?.0),
        None => std::future::pending().await,
    }
}

/// What serving each accepted connection takes.
struct Server {
    http: hyper::server::conn::http1::Builder,
    app: Router,
    graceful: GracefulShutdown,
}

impl Server {
    /// Serves `stream` on a task of its own, holding `slot` until it closes; `peer` is the client's address, when
    /// it has one.
    fn spawn<S>(&self, stream: S, peer: Option<SocketAddr>, slot: OwnedSemaphorePermit)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let app = self.app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            if let Some(peer) = peer {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
            }
            app.clone().oneshot(request)
        });
        let connection = self
            .graceful
            .watch(self.http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
            drop(slot);
        });
    }
}

/// A refused or reset connection is the client's business; anything else (out of file descriptors, say) would
/// fail again at once, so wait a moment before accepting again.
async fn pause_after_accept_error(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept connections");
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn spawn_server() -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        spawn_server_of(MAX_CONNECTIONS).await
    }

    async fn spawn_server_of(
        max_connections: usize,
    ) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().route(
            "/peer",
            axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                peer.ip().to_string()
            }),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve_at_most(max_connections, listener, None, app, async {
            let _ = stopped.await;
        }));
        (addr, stop)
    }

    /// The peer address the server at `addr` saw for a TCP request (its `/peer` route).
    async fn peer_over_tcp(addr: SocketAddr) -> String {
        reqwest::get(format!("http://{addr}/peer"))
            .await
            .expect("get")
            .text()
            .await
            .expect("body")
    }

    /// Sends `GET path` on a new connection to the Unix socket at `socket` and returns the whole answer.
    async fn ask_unix(socket: &Path, path: &str) -> String {
        let mut stream = tokio::net::UnixStream::connect(socket)
            .await
            .expect("connect");
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer
    }

    #[tokio::test]
    async fn a_unix_socket_is_served_beside_the_tcp_address_and_a_stale_one_replaced() {
        let folder = tempfile::tempdir().expect("temp folder");
        let socket = folder.path().join("api.sock");
        // An earlier run's socket, left behind: replaced.
        drop(std::os::unix::net::UnixListener::bind(&socket).expect("stale socket"));
        let unix = bind_unix(&socket).await.expect("bind over a stale socket");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new()
            .route("/hello", axum::routing::get(|| async { "hello" }))
            .route(
                "/peer",
                axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                    peer.ip().to_string()
                }),
            );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_at_most(2, listener, Some(unix), app, async {
            let _ = stopped.await;
        }));

        let hello = ask_unix(&socket, "/hello").await;
        assert!(
            hello.starts_with("HTTP/1.1 200") && hello.ends_with("hello"),
            "{hello}"
        );
        // A Unix socket's peer has no address: a handler that needs one is refused, not handed a made-up one.
        let peer = ask_unix(&socket, "/peer").await;
        assert!(peer.starts_with("HTTP/1.1 500"), "{peer}");
        assert_eq!(peer_over_tcp(addr).await, "127.0.0.1");

        let _ = stop.send(());
        server.await.expect("server task").expect("served");
        assert!(
            tokio::net::UnixStream::connect(&socket).await.is_err(),
            "the socket is still served after shutdown"
        );
    }

    #[tokio::test]
    async fn a_socket_another_process_serves_is_not_taken_over() {
        let folder = tempfile::tempdir().expect("temp folder");
        let socket = folder.path().join("db.sock");
        let _serving = std::os::unix::net::UnixListener::bind(&socket).expect("first");
        let refused = bind_unix(&socket)
            .await
            .expect_err("took over a served socket");
        assert_eq!(refused.kind(), std::io::ErrorKind::AddrInUse);
        assert!(std::os::unix::net::UnixStream::connect(&socket).is_ok());
    }

    #[tokio::test]
    async fn a_path_that_is_not_a_socket_is_not_replaced() {
        let folder = tempfile::tempdir().expect("temp folder");
        let path = folder.path().join("data.db");
        std::fs::write(&path, "keep me").expect("file");
        let refused = bind_unix(&path).await.expect_err("bound over a file");
        assert_eq!(refused.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).expect("file"), "keep me");
    }

    #[tokio::test]
    async fn handlers_see_the_peer_address() {
        let (addr, _stop) = spawn_server().await;
        assert_eq!(peer_over_tcp(addr).await, "127.0.0.1");
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_never_finishes_its_head_is_disconnected() {
        let (addr, _stop) = spawn_server().await;
        let mut slow = tokio::net::TcpStream::connect(addr).await.expect("connect");
        slow.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("write");
        let started = Instant::now();
        let mut rest = Vec::new();
        // The paused clock jumps to the server's deadline; the server then closes the connection.
        let read = tokio::time::timeout(HEADER_READ_TIMEOUT * 2, slow.read_to_end(&mut rest)).await;
        assert!(
            read.is_ok(),
            "connection still open after {:?}",
            started.elapsed()
        );
    }

    /// Sends one request on `stream` and reads its answer's first bytes.
    async fn ask(stream: &mut tokio::net::TcpStream) -> std::io::Result<String> {
        stream
            .write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n\r\n")
            .await?;
        let mut answer = [0; 64];
        let read = stream.read(&mut answer).await?;
        Ok(String::from_utf8_lossy(&answer[..read]).into_owned())
    }

    #[tokio::test]
    async fn connections_past_the_bound_wait_until_one_closes() {
        let (addr, _stop) = spawn_server_of(2).await;
        let mut first = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let mut second = tokio::net::TcpStream::connect(addr).await.expect("connect");
        assert!(ask(&mut first)
            .await
            .expect("first")
            .starts_with("HTTP/1.1 200"));
        assert!(ask(&mut second)
            .await
            .expect("second")
            .starts_with("HTTP/1.1 200"));

        // Both stay open (keep-alive): a third connection is not served…
        let mut third = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let waiting = tokio::time::timeout(Duration::from_millis(300), ask(&mut third)).await;
        assert!(waiting.is_err(), "served past the bound: {waiting:?}");

        // …until one of the others closes; then its request (already sent) is answered.
        drop(first);
        let mut answer = [0; 64];
        let read = tokio::time::timeout(Duration::from_secs(5), third.read(&mut answer))
            .await
            .expect("answered once a connection closed")
            .expect("read");
        assert!(String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 200"));
    }
}
