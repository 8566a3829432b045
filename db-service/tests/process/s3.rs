//! A real S3-protocol server for the tests: moto's server (PyPI `moto[server]`, installed into the tools venv by
//! scripts/bootstrap) on a loopback port, and a client of our own to look at what it holds.

use std::{path::PathBuf, process::Stdio, time::Duration};

use futures_util::StreamExt;
use object_store::{
    aws::{AmazonS3, AmazonS3Builder},
    path::Path as ObjectPath,
    ObjectStore, ObjectStoreExt, PutPayload,
};
use tokio::process::{Child, Command};

/// Any key works with moto; db-service signs its requests with these.
const ACCESS_KEY: &str = "conduit-test-key";
const SECRET_KEY: &str = "conduit-test-secret";

/// The `moto_server` executable: `MOTO_SERVER`, else the tools venv scripts/bootstrap installs it into.
fn moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = std::env::var_os("CONDUIT_TOOLS_VENV").map_or_else(
        || {
            let cache = std::env::var_os("XDG_CACHE_HOME").map_or_else(
                || PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache"),
                PathBuf::from,
            );
            cache.join("conduit/tools-venv")
        },
        PathBuf::from,
    );
    let path = venv.join("bin/moto_server");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/bootstrap (it installs moto into the tools venv), or set MOTO_SERVER",
        path.display()
    );
    path
}

/// An S3 server on 127.0.0.1:`port`; stopped when dropped.
pub struct S3Server {
    port: u16,
    child: Child,
    http: reqwest::Client,
}

impl S3Server {
    /// A server on `port` (which may be chosen before, to point db-service at a store that is not up yet).
    pub async fn start(port: u16) -> Self {
        let child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start moto_server");
        let mut server = Self {
            port,
            child,
            http: reqwest::Client::new(),
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while server.http.get(server.url("")).send().await.is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("moto_server exited during startup: {status}");
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "moto_server not answering in time"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    pub async fn create_bucket(&self, bucket: &str) {
        let answer = self
            .http
            .put(self.url(bucket))
            .send()
            .await
            .expect("create bucket");
        assert!(answer.status().is_success(), "create bucket: {answer:?}");
    }

    /// A signed client for `bucket` (objects are private: plain requests are refused).
    fn bucket(&self, bucket: &str) -> AmazonS3 {
        AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_endpoint(format!("http://127.0.0.1:{}", self.port))
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_access_key_id(ACCESS_KEY)
            .with_secret_access_key(SECRET_KEY)
            .build()
            .expect("S3 client")
    }

    /// Every key in `bucket` under `prefix`, sorted.
    pub async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let prefix = ObjectPath::from(prefix);
        let mut keys: Vec<String> = self
            .bucket(bucket)
            .list(Some(&prefix))
            .map(|meta| meta.expect("list").location.to_string())
            .collect()
            .await;
        keys.sort();
        keys
    }

    pub async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        self.bucket(bucket)
            .get(&ObjectPath::from(key))
            .await
            .expect("get object")
            .bytes()
            .await
            .expect("object")
            .to_vec()
    }

    /// Replaces an object, as a careless operator or a damaged store would.
    pub async fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>) {
        self.bucket(bucket)
            .put(&ObjectPath::from(key), PutPayload::from(bytes))
            .await
            .expect("put object");
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

/// db-service's settings for `s3://<bucket>/<prefix>` on a server at 127.0.0.1:`port`.
pub fn settings(port: u16, bucket: &str, prefix: &str) -> Vec<(&'static str, String)> {
    vec![
        ("BACKUP_URL", format!("s3://{bucket}/{prefix}")),
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_ALLOW_HTTP", "true".to_owned()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ]
}
