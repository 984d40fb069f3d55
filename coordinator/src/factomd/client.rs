//! The async factomd client: one typed method per v2 call the coordinator makes.
//!
//! One client talks to one endpoint and makes exactly one HTTP request per call, with no
//! retries: a later layer spreads calls over several nodes with backoff, deciding with
//! [`FactomdError::is_retryable`]. Every call carries a fresh id that the answer must echo,
//! every wait is bounded by the client timeout and every body by a size limit, and nothing a
//! server sends can make it panic.

use std::error::Error as _;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pegnet_common::factom::{
    Address, Bytes32, ChainCommit, ChainId, Entry, EntryCommit, EntryHash, TxId,
};
use reqwest::Url;
use reqwest::header::{ACCEPT, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::error::{FactomdError, TransportKind};
use super::rpc::{self, Call, Request};
use super::types::{
    Balance, ChainHead, CommitChainResult, CommitEntryResult, CurrentMinute, DirectoryBlock,
    DirectoryBlockAtHeight, EntryAck, EntryBlock, EntryJson, Heights, PendingEntry, Properties,
    Rate, RevealResult, WalletAddress,
};

/// factomd's answers are small; the largest, a directory block, is a few hundred KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// HTTP basic-auth credentials (factomd's `-rpcuser` / `-rpcpass`).
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name.
    pub user: String,
    /// The password; never printed.
    pub password: String,
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// How a [`FactomdClient`] talks to its node.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The whole-call limit: connecting, sending, waiting and reading the body.
    pub timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Credentials when the node runs with `-rpcuser`/`-rpcpass`.
    pub basic_auth: Option<BasicAuth>,
    /// Larger response bodies are refused with [`FactomdError::BodyTooLarge`].
    pub max_body_bytes: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(10),
            user_agent: concat!("pegnet-coordinator/", env!("CARGO_PKG_VERSION")).to_owned(),
            basic_auth: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// An async client for one factomd node's v2 JSON-RPC API.
#[derive(Debug)]
pub struct FactomdClient {
    http: reqwest::Client,
    url: Url,
    /// `url` as text, for error messages (it never holds credentials).
    url_text: String,
    basic_auth: Option<BasicAuth>,
    max_body_bytes: usize,
    next_id: AtomicU64,
}

impl FactomdClient {
    /// A client posting to `url` exactly as given, normally `http://host:8088/v2`.
    pub fn new(url: &str, options: ClientOptions) -> Result<FactomdClient, FactomdError> {
        let parsed = Url::parse(url).map_err(|e| config_error(url, e.to_string()))?;
        FactomdClient::from_url(parsed, options)
    }

    /// Like [`FactomdClient::new`] with an already parsed URL. The scheme must be `http` or
    /// `https`, and credentials belong in [`ClientOptions::basic_auth`], not in the URL, so
    /// they never end up in error messages or logs.
    pub fn from_url(url: Url, options: ClientOptions) -> Result<FactomdClient, FactomdError> {
        if url.scheme() != "http" && url.scheme() != "https" {
            let problem = format!("scheme {:?} is not http or https", url.scheme());
            return Err(config_error(url.as_str(), problem));
        }
        if !url.username().is_empty() || url.password().is_some() {
            let shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
            let problem = "credentials in the URL; pass them as basic auth options".to_owned();
            return Err(config_error(&shown, problem));
        }
        let url_text = url.to_string();
        let http = build_http(&options).map_err(|problem| config_error(&url_text, problem))?;
        Ok(FactomdClient {
            http,
            url,
            url_text,
            basic_auth: options.basic_auth,
            max_body_bytes: options.max_body_bytes,
            next_id: AtomicU64::new(1),
        })
    }

    /// The endpoint this client posts to.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `heights`: the node's saved and leader heights.
    pub async fn heights(&self) -> Result<Heights, FactomdError> {
        self.call("heights", None).await
    }

    /// `current-minute`: the minute of the block being built (may be 10 briefly).
    pub async fn current_minute(&self) -> Result<CurrentMinute, FactomdError> {
        self.call("current-minute", None).await
    }

    /// `properties`: the node's versions.
    pub async fn properties(&self) -> Result<Properties, FactomdError> {
        self.call("properties", None).await
    }

    /// `entry-credit-balance` of an `EC…` address, in Entry Credits (0 for an address never
    /// seen). Any other address kind is sent as is and refused by factomd with
    /// `"Invalid Address"`; an EC public key converts with `Address::new(EcPublic, key)`.
    pub async fn entry_credit_balance(&self, address: &Address) -> Result<i64, FactomdError> {
        let params = json!({ "address": address.to_string() });
        let b: Balance = self.call("entry-credit-balance", Some(&params)).await?;
        Ok(b.balance)
    }

    /// `entry-credit-rate`: factoshis per Entry Credit.
    pub async fn entry_credit_rate(&self) -> Result<i64, FactomdError> {
        let r: Rate = self.call("entry-credit-rate", None).await?;
        Ok(r.rate)
    }

    /// `commit-entry`: pays for an entry. A repeated commit comes back as an error with
    /// [`FactomdError::is_repeated_commit`]; it counts as committed.
    pub async fn commit_entry(
        &self,
        commit: &EntryCommit,
    ) -> Result<CommitEntryResult, FactomdError> {
        let params = json!({ "message": hex::encode(commit.to_bytes()) });
        self.call("commit-entry", Some(&params)).await
    }

    /// `reveal-entry`: sends the entry a commit paid for.
    pub async fn reveal_entry(&self, entry: &Entry) -> Result<RevealResult, FactomdError> {
        let params = json!({ "entry": hex::encode(entry.marshal()) });
        self.call("reveal-entry", Some(&params)).await
    }

    /// `commit-chain`: pays for a new chain's first entry.
    pub async fn commit_chain(
        &self,
        commit: &ChainCommit,
    ) -> Result<CommitChainResult, FactomdError> {
        let params = json!({ "message": hex::encode(commit.to_bytes()) });
        self.call("commit-chain", Some(&params)).await
    }

    /// `reveal-chain`: sends a new chain's first entry.
    pub async fn reveal_chain(&self, first: &Entry) -> Result<RevealResult, FactomdError> {
        let params = json!({ "entry": hex::encode(first.marshal()) });
        self.call("reveal-chain", Some(&params)).await
    }

    /// `ack` of a commit by its txid (chain `"c"`): read `commit_data.status`.
    pub async fn ack_commit(&self, txid: &TxId) -> Result<EntryAck, FactomdError> {
        let params = json!({ "hash": txid.to_string(), "chainid": "c" });
        self.call("ack", Some(&params)).await
    }

    /// `ack` of an entry by its hash and chain: read `entry_data.status`.
    pub async fn ack_entry(
        &self,
        entry_hash: &EntryHash,
        chain: &ChainId,
    ) -> Result<EntryAck, FactomdError> {
        let params = json!({ "hash": entry_hash.to_string(), "chainid": chain.to_string() });
        self.call("ack", Some(&params)).await
    }

    /// `entry`: the entry with this hash. The answer is checked to hash to `hash`, so a
    /// wrong entry is a [`FactomdError::Decode`], never silently returned.
    pub async fn entry(&self, hash: &EntryHash) -> Result<Entry, FactomdError> {
        const METHOD: &str = "entry";
        let params = json!({ "hash": hash.to_string() });
        let raw: EntryJson = self.call(METHOD, Some(&params)).await?;
        let entry = Entry::new(raw.chain_id, raw.ext_ids, raw.content)
            .map_err(|e| rpc::decode_error(METHOD, e.to_string(), b""))?;
        let got = entry.hash();
        if got != *hash {
            let problem = format!("asked for entry {hash}, got an entry hashing to {got}");
            return Err(rpc::decode_error(METHOD, problem, b""));
        }
        Ok(entry)
    }

    /// `entry-block` by KeyMR (or full hash).
    pub async fn entry_block(&self, keymr: &Bytes32) -> Result<EntryBlock, FactomdError> {
        let params = json!({ "keymr": keymr.to_string() });
        self.call("entry-block", Some(&params)).await
    }

    /// `chain-head`: the chain's newest saved entry block. An unknown chain is an error
    /// with [`FactomdError::is_missing_chain_head`].
    pub async fn chain_head(&self, chain: &ChainId) -> Result<ChainHead, FactomdError> {
        let params = json!({ "chainid": chain.to_string() });
        self.call("chain-head", Some(&params)).await
    }

    /// `directory-block` by KeyMR.
    pub async fn directory_block(&self, keymr: &Bytes32) -> Result<DirectoryBlock, FactomdError> {
        let params = json!({ "keymr": keymr.to_string() });
        self.call("directory-block", Some(&params)).await
    }

    /// `dblock-by-height`: a saved directory block and its raw bytes. Beyond the saved tip
    /// it is an error with [`FactomdError::is_not_found`].
    pub async fn dblock_by_height(
        &self,
        height: u32,
    ) -> Result<DirectoryBlockAtHeight, FactomdError> {
        let params = json!({ "height": height });
        self.call("dblock-by-height", Some(&params)).await
    }

    /// factom-walletd's `address`: the secret key (`Es…`, `Fs…`) of an address the wallet
    /// holds. walletd speaks the same JSON-RPC v2 as factomd, so this client talks to it too.
    pub async fn wallet_address_secret(&self, address: &Address) -> Result<String, FactomdError> {
        let params = json!({ "address": address.to_string() });
        let r: WalletAddress = self.call("address", Some(&params)).await?;
        Ok(r.secret)
    }

    /// `pending-entries`: entries and commits of all chains not yet in a saved block
    /// (factomd ignores the chain parameter, so none is sent).
    pub async fn pending_entries(&self) -> Result<Vec<PendingEntry>, FactomdError> {
        let list: Option<Vec<PendingEntry>> = self.call("pending-entries", None).await?;
        Ok(list.unwrap_or_default())
    }

    /// One JSON-RPC call: post, read the bounded body, interpret it.
    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Option<&Value>,
    ) -> Result<T, FactomdError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .http
            .post(self.url.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .json(&Request::new(id, method, params));
        if let Some(auth) = &self.basic_auth {
            request = request.basic_auth(&auth.user, Some(&auth.password));
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport(method, e))?;
        let status = response.status().as_u16();
        let body = self.read_body(method, response).await?;
        let call = Call {
            method,
            id,
            url: &self.url_text,
        };
        rpc::decode_response(call, status, &body)
    }

    /// Reads the body, refusing it as soon as it is known to exceed the limit.
    async fn read_body(
        &self,
        method: &'static str,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, FactomdError> {
        let too_large = || FactomdError::BodyTooLarge {
            method,
            url: self.url_text.clone(),
            limit_bytes: self.max_body_bytes,
        };
        let limit = self.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport(method, e))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport(&self, method: &'static str, source: reqwest::Error) -> FactomdError {
        FactomdError::Transport {
            method,
            url: self.url_text.clone(),
            kind: transport_kind(&source),
            source,
        }
    }
}

fn config_error(url: &str, problem: String) -> FactomdError {
    FactomdError::Config {
        url: url.to_owned(),
        problem,
    }
}

/// Builds the HTTP client, installing the TLS provider first: with reqwest's
/// `rustls-no-provider` feature, building panics without one, even for plain http.
fn build_http(options: &ClientOptions) -> Result<reqwest::Client, String> {
    let builder = reqwest::Client::builder()
        .timeout(options.timeout)
        .user_agent(options.user_agent.as_str());
    crate::tls::install_crypto_provider();
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Names the transport failure from reqwest's error and its cause chain (io errors and
/// hyper-util's connect errors, whose DNS failures read "dns error").
fn transport_kind(e: &reqwest::Error) -> TransportKind {
    if e.is_timeout() {
        return TransportKind::Timeout;
    }
    let mut cause = e.source();
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::ConnectionRefused
        {
            return TransportKind::ConnectionRefused;
        }
        if c.to_string() == "dns error" {
            return TransportKind::Dns;
        }
        cause = c.source();
    }
    if e.is_connect() {
        TransportKind::Connect
    } else if e.is_builder() {
        TransportKind::Request
    } else {
        TransportKind::Interrupted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pegnet_common::factom::{AddressKind, EcSigningKey};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::mpsc;

    /// A canned HTTP/1.1 response that closes the connection.
    fn http(status: &str, content_type: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
    }

    fn ok(body: &str) -> Option<String> {
        Some(http("200 OK", "application/json", body))
    }

    /// Serves one connection per canned response, in order, and reports each request's text.
    /// `None` reads the request and then never answers, holding the connection until the
    /// client gives up and closes it. (Only tokio's `net` feature: no `io-util` traits.)
    async fn serve(responses: Vec<Option<String>>) -> (String, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v2", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::channel(responses.len().max(1));
        tokio::spawn(async move {
            for response in responses {
                let (stream, _) = listener.accept().await.unwrap();
                let request = read_request(&stream).await;
                tx.send(request).await.unwrap();
                match response {
                    Some(r) => write_all(&stream, r.as_bytes()).await,
                    // Returns when the client drops the connection.
                    None => while read_some(&stream, &mut [0u8; 1024]).await > 0 {},
                }
            }
        });
        (url, rx)
    }

    /// One read; 0 when the peer closed (or reset) the connection.
    async fn read_some(stream: &TcpStream, buf: &mut [u8]) -> usize {
        loop {
            if stream.readable().await.is_err() {
                return 0;
            }
            match stream.try_read(buf) {
                Ok(n) => return n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(_) => return 0,
            }
        }
    }

    async fn write_all(stream: &TcpStream, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            stream.writable().await.unwrap();
            match stream.try_write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("write failed: {e}"),
            }
        }
    }

    /// Reads headers and a `Content-Length` body.
    async fn read_request(stream: &TcpStream) -> String {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = read_some(stream, &mut chunk).await;
            assert!(n > 0, "client closed before the request was complete");
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + length {
                    return text;
                }
            }
        }
    }

    fn body_json(request: &str) -> Value {
        let (_, body) = request.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap()
    }

    fn client(url: &str) -> FactomdClient {
        FactomdClient::new(url, ClientOptions::default()).unwrap()
    }

    fn sample_entry() -> Entry {
        let chain: ChainId = "df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604"
            .parse()
            .unwrap();
        Entry::new(chain, vec![], b"hi".to_vec()).unwrap()
    }

    #[tokio::test]
    async fn posts_json_rpc_with_increasing_ids_and_basic_auth() {
        let heights = r#"{"directoryblockheight":72498,"leaderheight":72498,"entryblockheight":72498,"entryheight":72498}"#;
        let (url, mut requests) = serve(vec![
            ok(&format!(r#"{{"jsonrpc":"2.0","id":1,"result":{heights}}}"#)),
            ok(r#"{"jsonrpc":"2.0","id":2,"result":{"balance":1000}}"#),
        ])
        .await;
        let options = ClientOptions {
            basic_auth: Some(BasicAuth {
                user: "user".into(),
                password: "pass".into(),
            }),
            ..ClientOptions::default()
        };
        let c = FactomdClient::new(&url, options).unwrap();
        assert_eq!(c.heights().await.unwrap().directory_block_height, 72498);
        let request = requests.recv().await.unwrap();
        let lower = request.to_ascii_lowercase();
        assert!(request.starts_with("POST /v2 HTTP/1.1\r\n"), "{request}");
        assert!(
            lower.contains("content-type: application/json\r\n"),
            "{request}"
        );
        assert!(
            lower.contains("authorization: basic dxnlcjpwyxnz\r\n"),
            "{request}"
        );
        assert!(
            lower.contains("user-agent: pegnet-coordinator/"),
            "{request}"
        );
        assert_eq!(
            body_json(&request),
            json!({"jsonrpc":"2.0","id":1,"method":"heights"})
        );

        let address = Address::new(AddressKind::EcPublic, [7; 32]);
        assert_eq!(c.entry_credit_balance(&address).await.unwrap(), 1000);
        let request = body_json(&requests.recv().await.unwrap());
        assert_eq!(request["id"], 2);
        assert_eq!(request["method"], "entry-credit-balance");
        assert_eq!(request["params"]["address"], address.to_string());
    }

    #[tokio::test]
    async fn http_400_error_body_is_rpc_error_with_data() {
        let body = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32011,"message":"Repeated Commit","data":{"info":"A commit with equal or greater payment already exists","entryhash":"f5c956749fc3eba4acc60fd485fb100e601070a44fcce54ff358d60669854734"}}}"#;
        let (url, mut requests) = serve(vec![Some(http(
            "400 Bad Request",
            "application/json",
            body,
        ))])
        .await;
        let key = EcSigningKey::from_seed(&[1; 32]);
        let commit = EntryCommit::new(&sample_entry(), &key, 1_700_000_000_000);
        let e = client(&url).commit_entry(&commit).await.unwrap_err();
        assert!(e.is_repeated_commit(), "{e}");
        assert!(!e.is_retryable());
        match &e {
            FactomdError::Rpc {
                method, code, data, ..
            } => {
                assert_eq!((*method, *code), ("commit-entry", -32011));
                let data = data.as_ref().unwrap();
                assert_eq!(
                    data["info"],
                    "A commit with equal or greater payment already exists"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        let request = body_json(&requests.recv().await.unwrap());
        assert_eq!(request["method"], "commit-entry");
        assert_eq!(
            request["params"]["message"],
            hex::encode(commit.to_bytes()).as_str()
        );
    }

    #[tokio::test]
    async fn http_401_is_http_error() {
        let (url, _requests) = serve(vec![Some(http(
            "401 Unauthorized",
            "text/plain; charset=utf-8",
            "401 Unauthorized.\n",
        ))])
        .await;
        let e = client(&url).properties().await.unwrap_err();
        match &e {
            FactomdError::Http { status, body, .. } => {
                assert_eq!(*status, 401);
                assert_eq!(body, "401 Unauthorized.\n");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("properties"), "{e}");
    }

    #[tokio::test]
    async fn server_that_never_answers_is_a_timeout() {
        let (url, _requests) = serve(vec![None]).await;
        let options = ClientOptions {
            timeout: Duration::from_millis(200),
            ..ClientOptions::default()
        };
        let c = FactomdClient::new(&url, options).unwrap();
        let e = c.current_minute().await.unwrap_err();
        assert!(
            matches!(
                e,
                FactomdError::Transport {
                    kind: TransportKind::Timeout,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.is_retryable());
        assert!(e.to_string().contains(&url), "{e}");
    }

    #[tokio::test]
    async fn refused_connection_is_a_transport_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v2", listener.local_addr().unwrap());
        drop(listener);
        let e = client(&url).heights().await.unwrap_err();
        assert!(
            matches!(
                e,
                FactomdError::Transport {
                    kind: TransportKind::ConnectionRefused,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.is_retryable());
    }

    #[tokio::test]
    async fn wrong_echoed_id_is_an_error() {
        let (url, _requests) = serve(vec![ok(
            r#"{"jsonrpc":"2.0","id":99,"result":{"rate":95369}}"#,
        )])
        .await;
        let e = client(&url).entry_credit_rate().await.unwrap_err();
        assert!(
            matches!(e, FactomdError::IdMismatch { sent: 1, .. }),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn invalid_json_is_a_decode_error() {
        let (url, _requests) = serve(vec![
            ok(r#"{"jsonrpc":"2.0","id":1,"result":{"rate":"#),
            ok(r#"{"jsonrpc":"2.0","id":2,"result":{"rate":"lots"}}"#),
        ])
        .await;
        let c = client(&url);
        let e = c.entry_credit_rate().await.unwrap_err();
        assert!(
            matches!(
                e,
                FactomdError::Decode {
                    method: "entry-credit-rate",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = c.entry_credit_rate().await.unwrap_err();
        assert!(matches!(e, FactomdError::Decode { .. }), "{e:?}");
    }

    #[tokio::test]
    async fn oversize_body_is_refused() {
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":1,"result":{{"factomdversion":"{}","factomdapiversion":"2.0"}}}}"#,
            "x".repeat(4096)
        );
        let (url, _requests) = serve(vec![ok(&big)]).await;
        let options = ClientOptions {
            max_body_bytes: 1024,
            ..ClientOptions::default()
        };
        let e = FactomdClient::new(&url, options)
            .unwrap()
            .properties()
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                FactomdError::BodyTooLarge {
                    limit_bytes: 1024,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("1024 bytes"), "{e}");
    }

    #[tokio::test]
    async fn entry_is_decoded_and_checked_against_its_hash() {
        let entry = sample_entry();
        let reply = r#"{"jsonrpc":"2.0","id":1,"result":{"chainid":"df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604","content":"6869","extids":null}}"#;
        let wrong = reply
            .replace("6869", "6870")
            .replace(r#""id":1"#, r#""id":2"#);
        let (url, mut requests) = serve(vec![ok(reply), ok(&wrong)]).await;
        let c = client(&url);
        assert_eq!(c.entry(&entry.hash()).await.unwrap(), entry);
        let request = body_json(&requests.recv().await.unwrap());
        assert_eq!(
            request["params"],
            json!({ "hash": entry.hash().to_string() })
        );
        let e = c.entry(&entry.hash()).await.unwrap_err();
        assert!(
            matches!(
                e,
                FactomdError::Decode {
                    method: "entry",
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn ack_and_pending_entries_send_the_documented_params() {
        let txid: TxId = "bf12150038699f678ac2314e9fa2d4786dc8984d9b8c67dab8cd7c2f2e83372c"
            .parse()
            .unwrap();
        let entry = sample_entry();
        let (url, mut requests) = serve(vec![
            ok(
                r#"{"jsonrpc":"2.0","id":1,"result":{"committxid":"bf12150038699f678ac2314e9fa2d4786dc8984d9b8c67dab8cd7c2f2e83372c","entryhash":"","commitdata":{"status":"TransactionACK","transactiondate":1700000000},"entrydata":{"status":""}}}"#,
            ),
            ok(
                r#"{"jsonrpc":"2.0","id":2,"result":{"committxid":"","entryhash":"f5c956749fc3eba4acc60fd485fb100e601070a44fcce54ff358d60669854734","commitdata":{"status":"Unknown"},"entrydata":{"status":"Unknown"}}}"#,
            ),
            ok(r#"{"jsonrpc":"2.0","id":3,"result":null}"#),
            ok(r#"{"jsonrpc":"2.0","id":4,"result":{"dblock":{}}}"#),
        ])
        .await;
        let c = client(&url);
        let ack = c.ack_commit(&txid).await.unwrap();
        assert!(ack.commit_data.status.is_acknowledged());
        assert_eq!(
            body_json(&requests.recv().await.unwrap())["params"],
            json!({"hash": txid.to_string(), "chainid": "c"})
        );
        let ack = c.ack_entry(&entry.hash(), &entry.chain_id()).await.unwrap();
        assert!(ack.entry_data.status.is_pending());
        assert_eq!(
            body_json(&requests.recv().await.unwrap())["params"],
            json!({"hash": entry.hash().to_string(), "chainid": entry.chain_id().to_string()})
        );
        assert!(c.pending_entries().await.unwrap().is_empty());
        assert!(
            body_json(&requests.recv().await.unwrap())
                .get("params")
                .is_none()
        );
        let e = c.dblock_by_height(100).await.unwrap_err();
        assert!(matches!(e, FactomdError::Decode { .. }), "{e:?}");
        assert_eq!(
            body_json(&requests.recv().await.unwrap())["params"],
            json!({"height": 100})
        );
    }

    #[test]
    fn bad_urls_are_config_errors() {
        for url in [
            "not a url",
            "ftp://node:8088/v2",
            "http://u:secret@node:8088/v2",
        ] {
            let e = FactomdClient::new(url, ClientOptions::default()).unwrap_err();
            assert!(matches!(e, FactomdError::Config { .. }), "{url}: {e:?}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
    }
}
