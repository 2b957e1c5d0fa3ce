//! A real control plane for the integration tests, the way controller-runtime's envtest does
//! it: etcd and kube-apiserver built from their Go modules (tools/kube/ensure.sh), on loopback
//! ports, in a temporary directory, with RBAC on and static-token users:
//!
//! - `admin` (system:masters) sets up namespaces, CRDs and RBAC;
//! - `system:serviceaccount:fd-ctl-<n>:firedrill-operator` is the operator of lab n, with only the RBAC
//!   from charts/firedrill/templates/rbac-operator.yaml;
//! - players are reached by impersonation from the admin, as the issue asks.
//!
//! One control plane per test binary, started on first use. Each process runs under a `sh`
//! guard that kills it when the test binary's stdin pipe closes, so nothing outlives the
//! tests, even when they panic or are killed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

pub const ADMIN_TOKEN: &str = "admin-token-for-tests";
/// Control namespaces `fd-ctl-1` .. `fd-ctl-MAX_LABS`, each with its operator's token.
pub const MAX_LABS: u32 = 24;

/// The operator's token for control namespace `fd-ctl-<lab>`.
pub fn operator_token(lab: u32) -> String {
    format!("operator-token-{lab}")
}

/// The running control plane.
pub struct ControlPlane {
    pub url: String,
    pub dir: PathBuf,
    _etcd: Child,
    _apiserver: Child,
    _janitor: Child,
}

static PLANE: OnceLock<ControlPlane> = OnceLock::new();

/// The shared control plane, started on first call.
pub fn control_plane() -> &'static ControlPlane {
    PLANE.get_or_init(|| ControlPlane::start().unwrap_or_else(|e| panic!("starting the control plane: {e}")))
}

impl ControlPlane {
    fn start() -> Result<ControlPlane, String> {
        let (etcd_bin, apiserver_bin) = binaries()?;
        let dir = std::env::temp_dir().join(format!("firedrill-envtest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let (client_port, peer_port, api_port) = (free_port(), free_port(), free_port());
        let etcd = guarded(&etcd_bin, &etcd_args(&dir, client_port, peer_port), &dir.join("etcd.log"))?;
        write_auth_files(&dir)?;
        let args = apiserver_args(&dir, client_port, api_port);
        let apiserver = guarded(&apiserver_bin, &args, &dir.join("kube-apiserver.log"))?;
        let url = format!("https://127.0.0.1:{api_port}");
        let janitor = janitor(&dir)?;
        Ok(ControlPlane { url, dir, _etcd: etcd, _apiserver: apiserver, _janitor: janitor })
    }

    /// A client with `token`, optionally impersonating a user with groups.
    pub async fn client(&self, token: &str, impersonate: Option<(&str, &[&str])>) -> Client {
        let mut user = format!("    token: {token}\n");
        if let Some((name, groups)) = impersonate {
            user.push_str(&format!("    as: {name}\n    as-groups: [{}]\n", groups.join(", ")));
        }
        let yaml = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: {}\n    insecure-skip-tls-verify: true\n\
             users:\n- name: u\n  user:\n{user}contexts:\n- name: t\n  context: {{cluster: t, user: u}}\ncurrent-context: t\n",
            self.url
        );
        let kubeconfig = Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await.expect("config");
        Client::try_from(config).expect("client")
    }

    /// Waits until the API server answers `/readyz` as the admin.
    pub async fn ready_admin(&self) -> Client {
        let client = self.client(ADMIN_TOKEN, None).await;
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let req = http::Request::get("/readyz").body(Vec::new()).unwrap();
            match client.request_text(req).await {
                Ok(body) if body.trim() == "ok" => return client,
                other if Instant::now() > deadline => panic!(
                    "kube-apiserver not ready after 90 s ({other:?}); see {}",
                    self.dir.join("kube-apiserver.log").display()
                ),
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
}

/// The cached binaries, or a message saying how to build them.
fn binaries() -> Result<(PathBuf, PathBuf), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let versions = std::fs::read_to_string(root.join("tools/kube/versions.env")).map_err(|e| e.to_string())?;
    let version = |key: &str| {
        versions.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).map(str::to_string).unwrap_or_default()
    };
    let cache = std::env::var("FIREDRILL_TOOLS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/firedrill/tools"));
    let etcd = cache.join(format!("etcd-{}/etcd", version("ETCD_VERSION")));
    let apiserver = cache.join(format!("kube-apiserver-{}/kube-apiserver", version("KUBE_VERSION")));
    for bin in [&etcd, &apiserver] {
        if !bin.exists() {
            return Err(format!(
                "{} is missing; run `tools/kube/ensure.sh` to build it (about 6 minutes)",
                bin.display()
            ));
        }
    }
    Ok((etcd, apiserver))
}

/// Spawns `bin args` under a shell that kills it once our stdin pipe closes (we exited).
fn guarded(bin: &Path, args: &[String], log: &Path) -> Result<Child, String> {
    let log = std::fs::File::create(log).map_err(|e| e.to_string())?;
    // kube-apiserver can take minutes to finish a graceful shutdown once etcd is gone: give
    // each process five seconds after SIGTERM, then SIGKILL.
    let script = r#""$0" "$@" & child=$!; read -r _; kill "$child"
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$child" 2>/dev/null || exit 0; sleep 0.5; done
        kill -9 "$child""#;
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("spawning {}: {e}", bin.display()))
}

/// Removes the temporary directory once the test binary exits (and the guards killed etcd
/// and kube-apiserver).
fn janitor(dir: &Path) -> Result<Child, String> {
    Command::new("sh")
        .arg("-c")
        .arg(r#"read -r _; sleep 2; rm -rf "$0""#)
        .arg(dir)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning the janitor: {e}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn etcd_args(dir: &Path, client: u16, peer: u16) -> Vec<String> {
    let data = dir.join("etcd").display().to_string();
    [
        "--data-dir",
        &data,
        "--listen-client-urls",
        &format!("http://127.0.0.1:{client}"),
        "--advertise-client-urls",
        &format!("http://127.0.0.1:{client}"),
        "--listen-peer-urls",
        &format!("http://127.0.0.1:{peer}"),
        "--initial-advertise-peer-urls",
        &format!("http://127.0.0.1:{peer}"),
        "--initial-cluster",
        &format!("default=http://127.0.0.1:{peer}"),
        "--unsafe-no-fsync",
        "--log-level",
        "warn",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn write_auth_files(dir: &Path) -> Result<(), String> {
    let mut tokens = format!("{ADMIN_TOKEN},admin,1,\"system:masters\"\n");
    for lab in 1..=MAX_LABS {
        let (token, uid) = (operator_token(lab), 100 + lab);
        let user = format!("system:serviceaccount:fd-ctl-{lab}:firedrill-operator");
        tokens.push_str(&format!(
            "{token},{user},{uid},\"system:serviceaccounts,system:serviceaccounts:fd-ctl-{lab}\"\n"
        ));
    }
    std::fs::write(dir.join("tokens.csv"), tokens).map_err(|e| e.to_string())?;
    let key = dir.join("sa.key");
    let status = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(&key)
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("openssl (needed for the service-account key): {e}"))?;
    status.success().then_some(()).ok_or_else(|| "openssl genpkey failed".to_string())
}

fn apiserver_args(dir: &Path, etcd: u16, port: u16) -> Vec<String> {
    let p = |name: &str| dir.join(name).display().to_string();
    [
        format!("--etcd-servers=http://127.0.0.1:{etcd}"),
        format!("--secure-port={port}"),
        "--bind-address=127.0.0.1".into(),
        "--advertise-address=127.0.0.1".into(),
        format!("--cert-dir={}", p("certs")),
        format!("--token-auth-file={}", p("tokens.csv")),
        "--authorization-mode=RBAC".into(),
        format!("--service-account-key-file={}", p("sa.key")),
        format!("--service-account-signing-key-file={}", p("sa.key")),
        "--service-account-issuer=https://kubernetes.default.svc".into(),
        "--service-cluster-ip-range=10.0.0.0/24".into(),
        // No controller-manager runs, so no `default` ServiceAccount is ever created.
        "--disable-admission-plugins=ServiceAccount".into(),
        "--enable-priority-and-fairness=false".into(),
        "--v=1".into(),
    ]
    .into()
}
