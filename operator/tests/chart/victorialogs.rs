//! The chart's VictoriaLogs, checked on the release the local lab builds
//! (tools/victorialogs/ensure.sh): the image tag is that release, the rendered args start it,
//! and the services' rendered logs endpoint is where it stores what they send.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::backends::{container, defaults, pinned, tool};
use crate::loopback::{JSON, Running, free_port, http, ok, percent_encode, poll};
use crate::render::of_kind;

const VICTORIALOGS_VERSIONS: &str = "tools/victorialogs/versions.env";

/// The VictoriaLogs the local lab uses, if built.
fn victorialogs() -> Option<std::path::PathBuf> {
    tool("victoria-logs", VICTORIALOGS_VERSIONS, "VICTORIALOGS_VERSION")
}

/// The chart's VictoriaLogs image is the release the local lab builds and these tests run.
#[test]
fn victorialogs_image_is_the_release_the_lab_builds() {
    let version = pinned(VICTORIALOGS_VERSIONS, "VICTORIALOGS_VERSION").expect("VICTORIALOGS_VERSION");
    let image = container(&defaults(), "victorialogs")["image"].as_str().unwrap().to_string();
    assert_eq!(image, format!("victoriametrics/victoria-logs:{version}"), "bump with {VICTORIALOGS_VERSIONS}");
}

/// The chart's VictoriaLogs args on the same VictoriaLogs release, every flag as rendered but
/// the listen address (a loopback port) and the data path (a temporary directory): the
/// readiness probe's path answers 200, a log record posted to the path of the services'
/// rendered OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is stored, and a LogsQL query finds it.
#[test]
fn victorialogs_starts_with_the_charts_args_and_stores_the_services_logs() {
    let Some(victorialogs) = victorialogs() else {
        eprintln!("SKIPPED: no VictoriaLogs in the tools cache (tools/victorialogs/ensure.sh builds it)");
        return;
    };
    let docs = defaults();
    let vl = container(&docs, "victorialogs");
    let probe_path = vl["readinessProbe"]["httpGet"]["path"].as_str().unwrap();
    // VictoriaLogs creates its data directory; `Running` removes it.
    let data = std::env::temp_dir().join(format!("firedrill-chart-check-{}/vlogs", std::process::id()));
    let port = free_port();
    let rendered: Vec<&str> = vl["args"].as_sequence().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let args: Vec<String> = rendered
        .iter()
        .map(|a| match a.split_once('=') {
            Some(("-httpListenAddr", _)) => format!("-httpListenAddr=127.0.0.1:{port}"),
            Some(("-storageDataPath", _)) => format!("-storageDataPath={}", data.display()),
            _ => a.to_string(),
        })
        .collect();
    // The two moved flags must be the ones the pod needs: the port it declares, the volume it mounts.
    let listen = format!("-httpListenAddr=:{}", vl["ports"][0]["containerPort"].as_u64().unwrap());
    let storage = format!("-storageDataPath={}", vl["volumeMounts"][0]["mountPath"].as_str().unwrap());
    for moved in [listen, storage] {
        assert!(rendered.contains(&moved.as_str()), "the chart's VictoriaLogs args lack {moved}: {rendered:?}");
    }
    let path = services_logs_path(&docs);
    let _victorialogs = Running::spawn(Command::new(&victorialogs).args(&args), Some(data));

    let health = poll(Duration::from_secs(30), || ok(http(port, "GET", probe_path, JSON, b"")));
    assert!(health.is_some(), "GET {probe_path} never answered 200 from VictoriaLogs started with {args:?}");
    let marker = format!("firedrill-chart-check-{}", std::process::id());
    let export = http(port, "POST", &path, "application/x-protobuf", &otlp_log("inventory", &marker));
    assert_eq!(export.as_ref().map(|r| r.0), Some(200), "POST {path}: {export:?}");
    let query =
        format!("/select/logsql/query?query={}", percent_encode(&format!("\"{marker}\" service.name:=inventory")));
    let found = poll(Duration::from_secs(30), || {
        ok(http(port, "GET", &query, JSON, b"")).filter(|body| body.contains(&marker))
    });
    assert!(found.is_some(), "GET {query} never found the record posted to {path}");
}

/// The path of the OTEL_EXPORTER_OTLP_LOGS_ENDPOINT every service pod gets, which must be the
/// victorialogs Service's address.
fn services_logs_path(docs: &[serde_yaml::Value]) -> String {
    let urls: BTreeSet<String> = of_kind(docs, "Deployment")
        .into_iter()
        .flat_map(|d| d["spec"]["template"]["spec"]["containers"][0]["env"].as_sequence().cloned().unwrap_or_default())
        .filter(|e| e["name"] == "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")
        .map(|e| e["value"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(urls.len(), 1, "one logs endpoint for every service: {urls:?}");
    let url = urls.first().unwrap();
    let service = of_kind(docs, "Service").into_iter().find(|s| s["metadata"]["name"] == "victorialogs").unwrap();
    let authority =
        format!("victorialogs.firedrill-system.svc:{}", service["spec"]["ports"][0]["port"].as_u64().unwrap());
    let path = url.strip_prefix("http://").and_then(|u| u.strip_prefix(authority.as_str()));
    path.unwrap_or_else(|| panic!("{url} is not the victorialogs Service ({authority})")).to_string()
}

/// One log record as an OTLP ExportLogsServiceRequest in protobuf, the encoding the services'
/// SDK sends (VictoriaLogs refuses OTLP/JSON): one ResourceLogs with `service.name`, one
/// LogRecord with the current time and a string body. Field numbers are from
/// opentelemetry-proto's logs.proto and common.proto.
fn otlp_log(service: &str, body: &str) -> Vec<u8> {
    // A length-delimited field (wire type 2): tag, varint length, payload.
    fn field(number: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![number << 3 | 2];
        let mut len = payload.len();
        while len >= 0x80 {
            out.push(len as u8 | 0x80);
            len >>= 7;
        }
        out.push(len as u8);
        [out, payload.to_vec()].concat()
    }
    let string = |s: &str| field(1, s.as_bytes()); // AnyValue.string_value
    let attribute = [field(1, b"service.name"), field(2, &string(service))].concat(); // KeyValue
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    // LogRecord: time_unix_nano (1, fixed64), body (5).
    let record = [vec![1 << 3 | 1], nanos.to_le_bytes().to_vec(), field(5, &string(body))].concat();
    let resource = field(1, &field(1, &attribute)); // ResourceLogs.resource: Resource.attributes
    let scope = field(2, &field(2, &record)); // ResourceLogs.scope_logs: ScopeLogs.log_records
    field(1, &[resource, scope].concat()) // ExportLogsServiceRequest.resource_logs
}
