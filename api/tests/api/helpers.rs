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
    /// db-service's Unix socket, when the stack talks over them.
    db_unix_socket: Option<PathBuf>,
    data_dir: tempfile::TempDir,
    api: Child,
    _api_socket: Socket,
    /// nginx in front, when the stack was started behind it.
    _nginx: Option<Child>,
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

/// db-service's log (JSON lines, per-request events included) goes to `data_dir/db-service.log`. It serves on
/// `unix_socket` too, when given.
async fn start_db_service(socket: &Socket, data_dir: &Path, unix_socket: Option<&Path>) -> Child {
    let log = log_file(data_dir, "db-service.log");
    let mut command = Command::new(db_service_binary());
    if let Some(path) = unix_socket {
        command.env("DB_SERVICE_UNIX_SOCKET", path);
    }
    let mut child = socket
        .hand_to(&mut command)
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

/// Like [`spawn_app`], with a user registered (see [`TestApp::register`]) for each of `names`; their tokens.
pub async fn spawn_app_with_users<const N: usize>(names: [&str; N]) -> (TestApp, [String; N]) {
    let app = spawn_app().await;
    let mut tokens = Vec::with_capacity(N);
    for name in names {
        tokens.push(app.register(name).await);
    }
    let tokens = tokens.try_into().expect("one token per name");
    (app, tokens)
}

/// Like [`spawn_app`], with extra environment for the api process (e.g. `API_ROLE`).
pub async fn spawn_app_with(api_env: &[(&str, &str)]) -> TestApp {
    spawn(api_env, Front::None).await
}

/// The stack as the internet sees it: db-service, api, and our nginx in front (its rendered config, trusting
/// forwarded addresses from loopback only, so a test can play the load balancer with `X-Forwarded-For`). The api
/// logs requests at `info` into [`TestApp::api_log`].
pub async fn spawn_behind_nginx(api_env: &[(&str, &str)]) -> TestApp {
    spawn(api_env, Front::Nginx).await
}

/// [`spawn_behind_nginx`] as scripts/run-stack runs it on one machine: nginx reaches the api, and the api
/// db-service, only over Unix sockets (each service still serves its TCP port, where the tests wait for it).
pub async fn spawn_over_unix_sockets() -> TestApp {
    spawn(&[], Front::NginxOverUnixSockets).await
}

/// What stands in front of the api.
#[derive(Clone, Copy, PartialEq)]
enum Front {
    None,
    Nginx,
    NginxOverUnixSockets,
}

async fn spawn(api_env: &[(&str, &str)], front: Front) -> TestApp {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client");
    let data_dir = tempfile::tempdir().expect("temp dir");
    let over_unix = front == Front::NginxOverUnixSockets;
    let unix_socket = |name: &str| over_unix.then(|| data_dir.path().join(name));
    let (db_unix_socket, api_unix_socket) = (unix_socket("db.sock"), unix_socket("api.sock"));
    let db_socket = Socket::new();
    let db = start_db_service(&db_socket, data_dir.path(), db_unix_socket.as_deref()).await;

    let api_socket = Socket::new();
    let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
    match (&db_unix_socket, &api_unix_socket) {
        (Some(db), Some(api)) => command
            .env("DB_SERVICE_URL", format!("unix:{}", db.display()))
            .env("API_UNIX_SOCKET", api),
        _ => command.env("DB_SERVICE_URL", db_socket.url()),
    };
    let mut api = api_socket
        .hand_to(&mut command)
        .env("INTERNAL_TOKEN", INTERNAL_TOKEN)
        .env("JWT_SECRET", JWT_SECRET)
        .env("DB_TIMEOUT_MS", "2000")
        .env("CONDUIT_ENV", "production")
        .env(
            "RUST_LOG",
            if front == Front::None {
                "error"
            } else {
                "info"
            },
        )
        .envs(api_env.iter().copied())
        .stdout(Stdio::null())
        .stderr(log_file(data_dir.path(), "api.log"))
        .kill_on_drop(true)
        .spawn()
        .expect("start api");
    wait_ready(&format!("{}/readyz", api_socket.url()), &mut api).await;
    let (address, nginx) = if front == Front::None {
        (api_socket.url(), None)
    } else {
        let upstream = match &api_unix_socket {
            Some(path) => format!("unix:{}", path.display()),
            None => api_socket.addr().to_string(),
        };
        let (address, nginx) = start_nginx(&upstream, data_dir.path()).await;
        (address, Some(nginx))
    };

    TestApp {
        address,
        http,
        db: Some(db),
        db_socket,
        db_unix_socket,
        data_dir,
        api,
        _api_socket: api_socket,
        _nginx: nginx,
    }
}

/// A log file in the test's data dir, appended to.
fn log_file(data_dir: &Path, name: &str) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join(name))
        .expect("log file")
}

/// Our nginx config (scripts/render-nginx) in front of the api, serving a stub SPA; its URL and process. nginx
/// binds its own port, so one is picked by binding and releasing — tried again if another process took it.
async fn start_nginx(api: &str, data_dir: &Path) -> (String, Child) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let web_root = data_dir.join("web");
    std::fs::create_dir_all(&web_root).expect("web root");
    std::fs::write(
        web_root.join("index.html"),
        "<!doctype html><title>Conduit</title>",
    )
    .expect("index.html");
    for _ in 0..5 {
        let port = conduit_testkit::unused_port();
        let run_dir = data_dir.join(format!("nginx-{port}"));
        let rendered = std::process::Command::new(root.join("scripts/render-nginx"))
            .arg(&run_dir)
            .env("LISTEN", format!("127.0.0.1:{port}"))
            .env("WEB_ROOT", &web_root)
            .env("USERS_UPSTREAM", api)
            .env("POSTS_UPSTREAM", api)
            .env("REAL_IP_FROM", "127.0.0.1")
            // Tests read their own writes anonymously at once; nginx/test.py tests the anonymous read cache.
            .env("ANONYMOUS_READ_CACHE", "off")
            .output()
            .expect("run scripts/render-nginx");
        assert!(
            rendered.status.success(),
            "render-nginx: {}",
            String::from_utf8_lossy(&rendered.stderr)
        );
        let mut nginx = Command::new("nginx")
            .arg("-p")
            .arg(&run_dir)
            .arg("-c")
            .arg(run_dir.join("nginx.conf"))
            // One process: killed when the test ends, it leaves no orphaned workers behind.
            .arg("-g")
            .arg("master_process off;")
            .stdout(Stdio::null())
            .stderr(log_file(data_dir, "nginx.log"))
            .kill_on_drop(true)
            .spawn()
            .expect("start nginx");
        let address = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::time::Instant::now() < deadline {
            if let Ok(Some(_)) = nginx.try_wait() {
                break; // the port was taken meanwhile: try another
            }
            if reqwest::get(format!("{address}/healthz")).await.is_ok() {
                return (address, nginx);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    panic!(
        "nginx did not start; see {}",
        data_dir.join("nginx.log").display()
    )
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
        let email = format!("{name}@example.com");
        let (status, body) = self.sign_up(name, &email, "password123").await;
        assert_eq!(status, 201, "register {name}: {body}");
        token_of(&body)
    }

    /// Publishes an article and returns its JSON.
    pub async fn create_article(&self, token: &str, title: &str, tags: &[&str]) -> Value {
        let article =
            json!({"title": title, "description": "desc", "body": "body text", "tagList": tags});
        let (status, body) = self.publish(Some(token), article).await;
        assert_eq!(status, 201, "create {title}: {body}");
        body["article"].clone()
    }

    /// `POST /api/users`: a registration of `username` at `email` with `password`.
    pub async fn sign_up(&self, username: &str, email: &str, password: &str) -> (u16, Value) {
        let user = json!({"username": username, "email": email, "password": password});
        self.post("/api/users", None, json!({ "user": user })).await
    }

    /// `POST /api/users/login` as `email` with `password`.
    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        let user = json!({"email": email, "password": password});
        self.post("/api/users/login", None, json!({ "user": user }))
            .await
    }

    /// `PUT /api/user`: a settings change of `user` (the object inside `{"user": …}`).
    pub async fn update_user(&self, token: Option<&str>, user: Value) -> (u16, Value) {
        self.put("/api/user", token, json!({ "user": user })).await
    }

    /// `POST /api/articles`: publishes `article` (the object inside `{"article": …}`) as it is.
    pub async fn publish(&self, token: Option<&str>, article: Value) -> (u16, Value) {
        self.post("/api/articles", token, json!({ "article": article }))
            .await
    }

    /// `PUT /api/articles/{slug}`: an edit of `article` (the object inside `{"article": …}`).
    pub async fn edit_article(
        &self,
        slug: &str,
        token: Option<&str>,
        article: Value,
    ) -> (u16, Value) {
        let path = format!("/api/articles/{slug}");
        self.put(&path, token, json!({ "article": article })).await
    }

    /// `POST /api/articles/{slug}/comments` with `body` as the comment's text.
    pub async fn comment(&self, slug: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        let path = format!("/api/articles/{slug}/comments");
        self.post(&path, token, json!({"comment": {"body": body}}))
            .await
    }

    /// A request to `path` on the stack, for what [`TestApp::call`] does not cover (headers, raw bodies).
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// `GET path` with extra `headers`; the response as it is.
    pub async fn get_raw(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.request(reqwest::Method::GET, path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    /// Sends `request` and returns the response as it is.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        request.send().await.expect("sent")
    }

    /// Kills db-service (SIGKILL) and waits for it to be gone.
    pub async fn kill_db_service(&mut self) {
        if let Some(mut db) = self.db.take() {
            db.kill().await.expect("kill db-service");
        }
    }

    /// Starts db-service again on the same socket with the same data.
    pub async fn restart_db_service(&mut self) {
        self.db = Some(
            start_db_service(
                &self.db_socket,
                self.data_dir.path(),
                self.db_unix_socket.as_deref(),
            )
            .await,
        );
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

    /// The api's log file.
    pub fn api_log(&self) -> PathBuf {
        self.data_dir.path().join("api.log")
    }

    /// The api's memory: (now, peak since it started), in bytes, from /proc.
    pub fn api_memory(&self) -> (u64, u64) {
        memory_of(self.api.id().expect("api running"))
    }

    /// db-service's memory: (now, peak since it started), in bytes, from /proc.
    pub fn db_service_memory(&self) -> (u64, u64) {
        memory_of(
            self.db
                .as_ref()
                .and_then(Child::id)
                .expect("db-service running"),
        )
    }

    /// Starts a new peak for both processes: the next `*_memory()` peaks are the highest since this call,
    /// not since start (setup writes must not count against what a test then measures).
    pub fn reset_peak_memory(&self) {
        let db = self
            .db
            .as_ref()
            .and_then(Child::id)
            .expect("db-service running");
        for pid in [self.api.id().expect("api running"), db] {
            // "5" resets VmHWM to the current RSS (proc(5), clear_refs).
            std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("/proc clear_refs");
        }
    }

    /// db-service's data folder (blog.db, users.db).
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }
}

/// The token in a `{"user": …}` answer.
pub fn token_of(body: &Value) -> String {
    body["user"]["token"].as_str().expect("token").to_owned()
}

/// Asserts that an answer is `status` with the RealWorld error `{"errors": {field: [message]}}` for `field`.
pub fn assert_error(answer: (u16, &Value), status: u16, field: &str, message: &str) {
    let (actual, body) = answer;
    assert_eq!(
        (actual, &body["errors"][field]),
        (status, &json!([message])),
        "{body}"
    );
}

/// Resident memory of process `pid`, now and at its peak (VmRSS, VmHWM), in bytes.
fn memory_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kib = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{key} missing from /proc/{pid}/status"))
    };
    (kib("VmRSS:") * 1024, kib("VmHWM:") * 1024)
}
