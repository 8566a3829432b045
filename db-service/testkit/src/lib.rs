//! What the process tests of the api and db-service share: starting a service binary on a socket the test holds
//! — handed to the child as fd 3 with `LISTEN_FDS=1` (systemd-style socket activation), so no other process can
//! take the port between choosing and binding it, and a restarted service keeps its address — waiting until it
//! is ready, a fresh database on the test MariaDB server, and the users db-service's tests store.

use std::{
    net::{SocketAddr, TcpListener},
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use command_fds::{CommandFdExt, FdMapping};
use db_client::{ArticleChanges, NewUser, UserId};
use tokio::process::{Child, Command};

/// A loopback socket, bound and listening for as long as the test holds it.
#[derive(Debug)]
pub struct Socket {
    listener: TcpListener,
    addr: SocketAddr,
}

impl Socket {
    /// A new socket on a port the kernel picks.
    pub fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback socket");
        let addr = listener.local_addr().expect("its address");
        Self { listener, addr }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Makes `command` serve on this socket: the child finds it as fd 3 (`LISTEN_FDS=1`).
    pub fn hand_to<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        let socket = self
            .listener
            .try_clone()
            .expect("a second handle on the socket");
        command
            .fd_mappings(vec![FdMapping {
                parent_fd: socket.into(),
                child_fd: 3,
            }])
            .expect("fd 3 is free in the child");
        command.env("LISTEN_FDS", "1").env_remove("LISTEN_PID")
    }
}

impl Default for Socket {
    fn default() -> Self {
        Self::new()
    }
}

/// Waits until `url` answers 2xx; fails the test if `child` exits first or 30 s pass.
pub async fn wait_ready(url: &str, child: &mut Child) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("http client");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = http.get(url).send().await {
            if response.status().is_success() {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the process serving {url} exited during startup: {status}");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url} not ready in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A URL naming databases no other test uses, on the MariaDB server `scripts/with-mariadb` started (`make test`
/// runs the tests through it).
pub fn fresh_mysql_url() -> String {
    format!(
        "{}/{}",
        test_server_setting("CONDUIT_TEST_MYSQL_URL"),
        fresh_database_name()
    )
}

/// A database name no other test uses.
pub fn fresh_database_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    format!("t{}_{n}", std::process::id())
}

/// A setting of the test MariaDB server that `scripts/with-mariadb` exports (`CONDUIT_TEST_MYSQL_URL`, …).
pub fn test_server_setting(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/with-mariadb (as make test does)")
    })
}

/// A port nothing listens on right now, for third-party servers that bind their own (the S3 test server): found
/// by binding and releasing, so another process could take it in between. Our own services take a [`Socket`].
pub fn unused_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// An edit by `editor` of an article's body alone.
pub fn body_edit(editor: UserId, body: &str) -> ArticleChanges {
    ArticleChanges {
        editor,
        title: None,
        slug: None,
        description: None,
        body: Some(body.to_owned()),
        tags: None,
    }
}

/// A user for db-service to store: `name`, its address `name@example.com`, and a stand-in for a password hash.
pub fn new_user(name: &str) -> NewUser {
    NewUser {
        username: name.to_owned(),
        email: format!("{name}@example.com"),
        password_hash: "$argon2id$stand-in".to_owned(),
    }
}
