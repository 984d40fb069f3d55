//! `nats/tls.conf` with certificates the test makes (a CA and a server certificate for
//! `localhost`, with rcgen): a coordinator and a miner that trust the CA
//! (`Coordinator.NatsCaFile`, `Miner.NatsCaFile`) connect with `tls://` and the miner's shares
//! are written; a client that does not trust the CA is refused.

#![allow(clippy::unwrap_used, reason = "a test fails on any error")]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use async_nats::{ConnectErrorKind, ConnectOptions};
use common::{
    Broker, Endpoint, Options, PAYOUT, SECRET, System, one_miner_fills_the_block, spawn_miner,
};
use pegnet_tests::{NatsOptions, NatsServer, nats_config};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tempfile::TempDir;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);
const COORDINATOR_PASSWORD: &str = "coordinator-test-password";
const MINER_PASSWORD: &str = "miner-test-password";

/// A CA and a server certificate it signed for `localhost` and `127.0.0.1`, as PEM files.
struct Pki {
    dir: TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "pegnet test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let mut server =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        server
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let server_key = KeyPair::generate().unwrap();
        let server_cert = server.signed_by(&server_key, &issuer).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca_cert.pem()).unwrap();
        std::fs::write(dir.path().join("server-cert.pem"), server_cert.pem()).unwrap();
        std::fs::write(
            dir.path().join("server-key.pem"),
            server_key.serialize_pem(),
        )
        .unwrap();
        Pki { dir }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// nats/tls.conf as committed, with this PKI's files.
    fn server_options(&self) -> NatsOptions {
        NatsOptions::with_config(nats_config("tls.conf"))
            .env("PEGNET_NATS_COORDINATOR_PASSWORD", COORDINATOR_PASSWORD)
            .env("PEGNET_NATS_MINER_PASSWORD", MINER_PASSWORD)
            .env(
                "PEGNET_NATS_TLS_CERT",
                self.path("server-cert.pem").display().to_string(),
            )
            .env(
                "PEGNET_NATS_TLS_KEY",
                self.path("server-key.pem").display().to_string(),
            )
    }

    fn endpoint(&self, user: &str, password: &str) -> Endpoint {
        Endpoint {
            scheme: "tls",
            host: "localhost",
            credentials: Some((user.into(), password.into())),
            ca_file: Some(self.path("ca.pem")),
        }
    }
}

#[tokio::test]
async fn a_coordinator_and_a_miner_that_trust_the_ca_mine_over_tls() {
    let pki = Pki::new();
    let sys = System::start(Options {
        broker: Broker {
            server: Some(pki.server_options()),
            coordinator: pki.endpoint("coordinator", COORDINATOR_PASSWORD),
            miner: pki.endpoint("miner", MINER_PASSWORD),
        },
        ..Options::default()
    })
    .await;
    let miner = spawn_miner(&sys, "tls-rig", "tlsrig", PAYOUT, Some(SECRET));
    miner.until(|s| s.slot.is_some()).await;
    let height = sys.next_job().await;
    one_miner_fills_the_block(&sys, height).await;
    let connz = sys.nats.monitoring("/connz").unwrap();
    let connections = connz["connections"].as_array().unwrap();
    assert_eq!(connections.len(), 2, "{connz}");
    for connection in connections {
        assert!(
            connection["tls_version"]
                .as_str()
                .is_some_and(|v| v.starts_with("1.")),
            "every client is on TLS: {connection}"
        );
    }
    miner.stop().await;
    sys.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_is_refused() {
    pegnet_coordinator::tls::install_crypto_provider();
    let pki = Pki::new();
    let server = NatsServer::start_with(pki.server_options()).unwrap();
    let url = format!("tls://localhost:{}", server.port());
    let login = || ConnectOptions::with_user_and_password("miner".into(), MINER_PASSWORD.into());

    let refused = timeout(WAIT, login().connect(&url))
        .await
        .expect("refused in time")
        .expect_err("the server's certificate is from an unknown CA");
    // async-nats reports rustls' verdict as an IO error of the handshake.
    assert!(
        matches!(refused.kind(), ConnectErrorKind::Tls | ConnectErrorKind::Io),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("UnknownIssuer"), "{refused}");

    let trusted = timeout(
        WAIT,
        login()
            .add_root_certificates(pki.path("ca.pem"))
            .connect(&url),
    )
    .await
    .expect("connected in time")
    .expect("trusting the CA, the same client connects");
    trusted.flush().await.unwrap();

    // A nats:// URL does not get around it: the server requires TLS of every client.
    let plain = timeout(
        WAIT,
        login().connect(format!("nats://127.0.0.1:{}", server.port())),
    )
    .await
    .expect("refused in time");
    assert!(plain.is_err(), "a client without the CA must not connect");
}
