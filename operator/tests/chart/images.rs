//! The images a registry-free cluster runs (tools/images/build.sh): the firedrill image packaged
//! from host binaries carries what the Dockerfile's runtime stage ships, read from that stage
//! rather than copied; the Dockerfile's `prebuilt` stage says the same as its runtime stage;
//! build.sh makes every image the chart runs (Grafana aside) under the chart's references; and
//! tools/images/oci.py's archives are deterministic and name their image.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use crate::files::{dockerfile_binaries, read};
use crate::render::{documents, root, template};

/// The Dockerfile's stages in order, each its instructions with continuations joined.
fn stages() -> Vec<Vec<String>> {
    let mut stages: Vec<Vec<String>> = Vec::new();
    let mut pending = String::new();
    for line in read("Dockerfile").lines().map(str::trim) {
        if line.starts_with('#') || (line.is_empty() && !pending.is_empty()) {
            continue;
        }
        if let Some(part) = line.strip_suffix('\\') {
            pending.push_str(part.trim());
            pending.push(' ');
            continue;
        }
        let instruction = std::mem::take(&mut pending) + line;
        if instruction.starts_with("FROM ") {
            stages.push(Vec::new());
        }
        if let (Some(current), false) = (stages.last_mut(), instruction.is_empty()) {
            current.push(instruction);
        }
    }
    stages
}

/// The instructions of the stage `FROM ... AS name`.
fn stage(name: &str) -> Vec<String> {
    let suffix = format!(" AS {name}");
    stages().into_iter().find(|s| s[0].ends_with(&suffix)).unwrap_or_else(|| panic!("no Dockerfile stage {name}"))
}

/// The stage's image settings: what `docker build` records in the image config.
fn settings(stage: &[String]) -> Vec<&str> {
    let kinds = ["LABEL ", "ENV ", "USER ", "WORKDIR ", "ENTRYPOINT ", "CMD "];
    stage.iter().map(String::as_str).filter(|i| kinds.iter().any(|k| i.starts_with(k))).collect()
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).current_dir(root()).output().unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn stdout_of(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(out.status.success(), "{program} {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn dockerfile_py(stage: &str, what: &str) -> String {
    stdout_of("python3", &["tools/images/dockerfile.py", "Dockerfile", stage, what])
}

#[test]
fn the_prebuilt_stage_is_the_runtime_stage_packaged_from_host_binaries() {
    let runtime = stage("runtime");
    let prebuilt = stage("prebuilt");
    assert_eq!(stages().last().unwrap()[0], runtime[0], "`docker build .` builds the runtime stage");
    for kind in ["LABEL ", "ENV FIREDRILL_SCENARIOS=", "USER ", "ENTRYPOINT ", "CMD "] {
        assert!(settings(&runtime).iter().any(|i| i.starts_with(kind)), "the runtime stage sets {kind}");
    }
    assert_eq!(settings(&prebuilt), settings(&runtime), "the prebuilt stage's image settings");
    assert_eq!(prebuilt[0], "FROM scratch AS prebuilt");
    let copies: Vec<&String> = prebuilt.iter().filter(|i| i.starts_with("COPY ")).collect();
    assert_eq!(copies, ["COPY --from=image-root / /"], "the prebuilt stage takes build.sh's root, and only it");
    assert!(read("Dockerfile").contains("--build-context image-root=target/image-root"));
    assert!(read("tools/images/build.sh").contains(r#"root="$target/image-root""#));

    // build.sh reads the same settings through dockerfile.py, for both stages alike.
    let config: serde_json::Value = serde_json::from_str(&dockerfile_py("runtime", "config")).unwrap();
    assert_eq!(dockerfile_py("prebuilt", "config"), dockerfile_py("runtime", "config"));
    let value = |kind: &str| settings(&runtime).iter().find_map(|i| i.strip_prefix(kind)).unwrap().to_string();
    let json = |text: String| serde_json::from_str::<serde_json::Value>(&text).unwrap();
    assert_eq!(config["Entrypoint"], json(value("ENTRYPOINT ")));
    assert_eq!(config["Cmd"], json(value("CMD ")));
    assert_eq!(config["User"], value("USER "));
    assert_eq!(config["Env"], serde_json::json!([value("ENV ")]));
    let labels: BTreeSet<&str> = config["Labels"].as_object().unwrap().keys().map(String::as_str).collect();
    let label_line = value("LABEL ");
    let written: BTreeSet<&str> =
        label_line.split_whitespace().filter_map(|w| w.split_once('=')).map(|(k, _)| k).collect();
    assert_eq!(labels, written);
}

#[test]
fn build_sh_ships_the_runtime_stage_binaries_and_copies() {
    let binaries: Vec<String> = dockerfile_py("build", "binaries").split_whitespace().map(String::from).collect();
    assert_eq!(binaries, dockerfile_binaries());
    let copies: Vec<String> = dockerfile_py("runtime", "copies").lines().map(String::from).collect();
    assert_eq!(copies, ["build /out/ /usr/local/bin/", "- scenarios/ /usr/share/firedrill/scenarios/"]);
    // The variable the CLI reads points where the scenarios are copied.
    assert!(stage("runtime").contains(&"ENV FIREDRILL_SCENARIOS=/usr/share/firedrill/scenarios".to_string()));
    // build.sh packages exactly those two kinds of COPY and refuses others.
    let script = read("tools/images/build.sh");
    assert!(script.contains(r#""build /out/")"#) && script.contains(r#""- scenarios/")"#));
    assert!(script.contains("does not package; teach firedrill_root"));
}

/// `name:tag` as the kubelet resolves it: docker.io/library/name:tag.
fn normalised(image: &str) -> String {
    let first = image.split('/').next().unwrap();
    match image.matches('/').count() {
        0 => format!("docker.io/library/{image}"),
        _ if first.contains('.') || first.contains(':') => image.to_string(),
        _ => format!("docker.io/{image}"),
    }
}

#[test]
fn build_sh_makes_every_image_the_chart_runs_but_grafana() {
    let listed: BTreeSet<String> = stdout_of("bash", &["tools/images/build.sh", "--list"])
        .lines()
        .map(|l| l.split_once(' ').expect("NAME REFERENCE").1.to_string())
        .collect();
    let docs = documents(&template("firedrill-system", &None, &[]));
    let chart: BTreeSet<String> = docs
        .iter()
        .flat_map(|d| {
            let pod = &d["spec"]["template"]["spec"];
            let all = [&pod["containers"], &pod["initContainers"]];
            all.into_iter().flat_map(|c| c.as_sequence().cloned().unwrap_or_default()).collect::<Vec<_>>()
        })
        .map(|c| normalised(c["image"].as_str().unwrap()))
        .filter(|i| !i.starts_with("docker.io/grafana/"))
        .collect();
    assert!(chart.len() >= 4, "firedrill, Prometheus, Jaeger, VictoriaLogs: {chart:?}");
    let missing: Vec<_> = chart.difference(&listed).collect();
    assert!(missing.is_empty(), "the chart runs images build.sh does not make: {missing:?}");
    let extra: BTreeSet<&str> = listed.difference(&chart).map(|i| i.split(':').next().unwrap()).collect();
    assert_eq!(extra, BTreeSet::from(["registry.k8s.io/coredns/coredns", "registry.k8s.io/pause"]));
}

#[test]
fn build_sh_names_the_command_that_makes_each_missing_input() {
    let empty = tempfile::tempdir().unwrap();
    let out_dir = empty.path().join("images");
    for (image, command) in [
        ("firedrill", "cargo build --release --bins"),
        ("jaeger", "tools/jaeger/ensure.sh"),
        ("victoria-logs", "tools/victorialogs/ensure.sh"),
        ("prometheus", "tools/prometheus/ensure.sh"),
        ("coredns", "tools/coredns/ensure.sh"),
    ] {
        let out = Command::new("bash")
            .args(["tools/images/build.sh", out_dir.to_str().unwrap(), image])
            .current_dir(root())
            .env("FIREDRILL_TOOLS_CACHE", empty.path())
            .env("CARGO_TARGET_DIR", empty.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "build.sh {image} succeeded without its input");
        assert!(stderr.contains("build.sh: missing") && stderr.contains(command), "build.sh {image}: {stderr}");
        assert!(!out_dir.join(format!("{image}.tar")).exists());
    }
}

/// Writes an archive of `root` with oci.py and returns its bytes.
fn archive(root: &Path, out: &Path) -> Vec<u8> {
    let (root, out) = (root.to_str().unwrap(), out.to_str().unwrap());
    let ref_ = "docker.io/library/probe:1.2.3";
    let args = ["tools/images/oci.py", "--ref", ref_, "--out", out, "--root", root, "--entrypoint", r#"["/bin/tool"]"#];
    stdout_of("python3", &[&args[..], &["--user", "65532:65532", "--file-cap", "/bin/tool=net_bind_service"]].concat());
    std::fs::read(out).unwrap()
}

#[test]
fn oci_archives_are_deterministic_and_name_their_image() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("root");
    for d in ["bin", "etc", "tmp"] {
        std::fs::create_dir_all(image.join(d)).unwrap();
    }
    std::fs::set_permissions(image.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::write(image.join("bin/tool"), "#!/bin/true\n").unwrap();
    std::fs::set_permissions(image.join("bin/tool"), std::fs::Permissions::from_mode(0o775)).unwrap();
    std::fs::write(image.join("etc/conf"), "a\n").unwrap();
    std::fs::set_permissions(image.join("etc/conf"), std::fs::Permissions::from_mode(0o664)).unwrap();

    let first = archive(&image, &dir.path().join("a.tar"));
    // A later mtime must not matter.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(image.join("etc/conf")).unwrap().set_modified(later).unwrap();
    assert_eq!(first, archive(&image, &dir.path().join("b.tar")), "same inputs, same archive");
    std::fs::write(image.join("etc/conf"), "b\n").unwrap();
    assert_ne!(first, archive(&image, &dir.path().join("c.tar")), "the content is in the archive");

    let layout = dir.path().join("layout");
    std::fs::create_dir(&layout).unwrap();
    stdout_of("tar", &["-xf", dir.path().join("a.tar").to_str().unwrap(), "-C", layout.to_str().unwrap()]);
    let blob = |digest: &serde_json::Value| {
        layout.join("blobs/sha256").join(digest.as_str().unwrap().trim_start_matches("sha256:"))
    };
    let json =
        |path: std::path::PathBuf| serde_json::from_slice::<serde_json::Value>(&std::fs::read(path).unwrap()).unwrap();
    let index = json(layout.join("index.json"));
    let top = &index["manifests"][0];
    assert_eq!(top["annotations"]["io.containerd.image.name"], "docker.io/library/probe:1.2.3");
    assert_eq!(top["annotations"]["org.opencontainers.image.ref.name"], "1.2.3");
    let manifest = json(blob(&top["digest"]));
    let config = json(blob(&manifest["config"]["digest"]));
    assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/bin/tool"]));
    assert_eq!(config["config"]["User"], "65532:65532");
    let layer = blob(&manifest["layers"][0]["digest"]);
    let listing = stdout_of("tar", &["-tvzf", layer.to_str().unwrap()]);
    let modes: Vec<(&str, &str)> =
        listing.lines().map(|l| (l.split_whitespace().next().unwrap(), l.rsplit(' ').next().unwrap())).collect();
    assert_eq!(
        modes,
        [
            ("drwxr-xr-x", "bin/"),
            ("-rwxr-xr-x", "bin/tool"),
            ("drwxr-xr-x", "etc/"),
            ("-rw-r--r--", "etc/conf"),
            ("drwxrwxrwt", "tmp/")
        ]
    );
    assert!(
        listing.lines().all(|l| l.contains(" 0/0 ") && l.contains("1970-01-01")),
        "owner 0:0, epoch mtimes:\n{listing}"
    );
    // cap_net_bind_service=ep on bin/tool: VFS_CAP_REVISION_2 | effective, permitted bit 10.
    let plain = run("gzip", &["-dc", layer.to_str().unwrap()]).stdout;
    let xattr = b"SCHILY.xattr.security.capability=\x01\x00\x00\x02\x00\x04\x00\x00";
    assert!(plain.windows(xattr.len()).any(|w| w == xattr), "bin/tool carries its file capability");
}
