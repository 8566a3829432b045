//! `spawn_app()`: db-service and api as real processes on loopback sockets the test holds, with a throwaway data
//! dir.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use conduit_testkit::{wait_ready, Socket};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

const INTERNAL_TOKEN: &str = "integration-test-internal-token";
const JWT_SECRET: &str = "integration-test-jwt-secret-of-enough-length";

/// A running stack and a client for it. Both processes are killed when it is dropped.
pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    db: Option<Child>,
    db_socket: Socket,
    data_dir: tempfile::TempDir,
    _api: Child,
    _api_socket: Socket,
}

/// The db-service binary next to the api binary cargo built for these tests (`cargo test --workspace` builds
/// both, since db-service has integration tests of its own).
fn db_service_binary() -> PathBuf {
    let api = Path::new(env!("CARGO_BIN_EXE_api"));
    let path = api.with_file_name("db-service");
    assert!(
        path.exists(),
        "{} is missing: run `cargo test --workspace` or `cargo build -p db-service` first",
        path.display()
    );
    path
}

/// db-service's log (JSON lines, per-request events included) goes to `data_dir/db-service.log`.
async fn start_db_service(socket: &Socket, data_dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join("db-service.log"))
        .expect("db-service log file");
    let mut child = socket
        .hand_to(&mut Command::new(db_service_binary()))
        .env("DATA_DIR", data_dir)
        .env("INTERNAL_TOKEN", INTERNAL_TOKEN)
        .env("CONDUIT_ENV", "production")
        .env("RUST_LOG", "warn,tower_http=debug")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start db-service");
    wait_ready(&format!("{}/readyz", socket.url()), &mut child).await;
    child
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Like [`spawn_app`], with extra environment for the api process (e.g. `API_ROLE`).
pub async fn spawn_app_with(api_env: &[(&str, &str)]) -> TestApp {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client");
    let data_dir = tempfile::tempdir().expect("temp dir");
    let db_socket = Socket::new();
    let db = start_db_service(&db_socket, data_dir.path()).await;

    let api_socket = Socket::new();
    let mut api = api_socket
        .hand_to(&mut Command::new(env!("CARGO_BIN_EXE_api")))
        .env("DB_SERVICE_URL", db_socket.url())
        .env("INTERNAL_TOKEN", INTERNAL_TOKEN)
        .env("JWT_SECRET", JWT_SECRET)
        .env("DB_TIMEOUT_MS", "2000")
        .env("CONDUIT_ENV", "production")
        .env("RUST_LOG", "error")
        .envs(api_env.iter().copied())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start api");
    let address = api_socket.url();
    wait_ready(&format!("{address}/readyz"), &mut api).await;

    TestApp {
        address,
        http,
        db: Some(db),
        db_socket,
        data_dir,
        _api: api,
        _api_socket: api_socket,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends `method path` with an optional JSON body and token; returns status and JSON body (Null if none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Token {token}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body read");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("non-JSON body for {path}: {text}"))
        };
        (status, json)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    /// Registers `name` (password `password123`) and returns the token.
    pub async fn register(&self, name: &str) -> String {
        let (status, body) = self
            .post(
                "/api/users",
                None,
                json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": "password123"}}),
            )
            .await;
        assert_eq!(status, 201, "register {name}: {body}");
        body["user"]["token"].as_str().expect("token").to_owned()
    }

    /// Publishes an article and returns its JSON.
    pub async fn create_article(&self, token: &str, title: &str, tags: &[&str]) -> Value {
        let (status, body) = self
            .post(
                "/api/articles",
                Some(token),
                json!({"article": {"title": title, "description": "desc", "body": "body text", "tagList": tags}}),
            )
            .await;
        assert_eq!(status, 201, "create {title}: {body}");
        body["article"].clone()
    }

    /// Kills db-service (SIGKILL) and waits for it to be gone.
    pub async fn kill_db_service(&mut self) {
        if let Some(mut db) = self.db.take() {
            db.kill().await.expect("kill db-service");
        }
    }

    /// Starts db-service again on the same socket with the same data.
    pub async fn restart_db_service(&mut self) {
        self.db = Some(start_db_service(&self.db_socket, self.data_dir.path()).await);
    }
}

impl TestApp {
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, token, Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, token, None).await
    }
}

impl TestApp {
    /// Everything db-service has logged so far.
    pub fn db_service_log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("db-service.log")).unwrap_or_default()
    }
}
