#!/usr/bin/env python3
"""Reads what one stage of the Dockerfile puts in its image, so tools/images/build.sh packages the
firedrill image from the same instructions `docker build` follows instead of a copy of them.

    dockerfile.py DOCKERFILE STAGE config     # image config JSON: Entrypoint, Cmd, Env, User, WorkingDir, Labels
    dockerfile.py DOCKERFILE STAGE copies     # one line per COPY: FROM-STAGE (or -) SRC... DEST
    dockerfile.py DOCKERFILE STAGE binaries   # the names in the stage's `for bin in ...;` loop

STAGE is a stage name (`FROM ... AS name`) or `last`. Only what the project's Dockerfile uses is
understood (JSON-form ENTRYPOINT/CMD, `key=value` LABEL/ENV); anything else is an error rather
than a guess, so a new instruction cannot silently go missing from the packaged image.
"""

import json
import shlex
import sys

METADATA = ("LABEL", "ENV", "USER", "WORKDIR", "ENTRYPOINT", "CMD")


class DockerfileError(Exception):
    pass


def instructions(text):
    """(keyword, arguments) per instruction, continuation lines joined, comments dropped."""
    out, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            keyword, _, args = line.partition(" ")
            out.append((keyword.upper(), args.strip()))
    return out


def stages(text):
    """[(name, [(keyword, args), ...])] in file order; unnamed stages get their index as name."""
    found = []
    for keyword, args in instructions(text):
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(found))
            found.append((name, [(keyword, args)]))
        elif found:
            found[-1][1].append((keyword, args))
    return found


def stage(text, name):
    all_stages = stages(text)
    if not all_stages:
        raise DockerfileError("no FROM instruction")
    if name == "last":
        return all_stages[-1][1]
    for stage_name, body in all_stages:
        if stage_name == name:
            return body
    names = ", ".join(n for n, _ in all_stages)
    raise DockerfileError(f"no stage `{name}`; the stages are {names}")


def pairs(keyword, args):
    """`k=v k2="v 2"` as [(k, v), ...]."""
    result = []
    for word in shlex.split(args):
        key, sep, value = word.partition("=")
        if not sep:
            raise DockerfileError(f"{keyword} {args}: only the key=value form is understood")
        result.append((key, value))
    return result


def exec_form(keyword, args):
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        value = None
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise DockerfileError(f"{keyword} {args}: only the JSON (exec) form is understood")
    return value


def config(body):
    """The OCI image config fields the stage's own instructions set (its base's are not read)."""
    cfg = {}
    for keyword, args in body:
        if keyword == "LABEL":
            cfg.setdefault("Labels", {}).update(pairs(keyword, args))
        elif keyword == "ENV":
            env = cfg.setdefault("Env", [])
            for key, value in pairs(keyword, args):
                env[:] = [e for e in env if not e.startswith(key + "=")] + [f"{key}={value}"]
        elif keyword == "USER":
            cfg["User"] = args
        elif keyword == "WORKDIR":
            cfg["WorkingDir"] = args
        elif keyword == "ENTRYPOINT":
            cfg["Entrypoint"] = exec_form(keyword, args)
        elif keyword == "CMD":
            cfg["Cmd"] = exec_form(keyword, args)
    return cfg


def copies(body):
    """[(from_stage or None, [src, ...], dest)] for each COPY of the stage."""
    result = []
    for keyword, args in body:
        if keyword == "ADD":
            raise DockerfileError(f"ADD {args}: use COPY, which build.sh understands")
        if keyword != "COPY":
            continue
        words = args.split()
        flags = [w for w in words if w.startswith("--")]
        paths = [w for w in words if not w.startswith("--")]
        source = None
        for flag in flags:
            if flag.startswith("--from="):
                source = flag.removeprefix("--from=")
            else:
                raise DockerfileError(f"COPY {args}: flag {flag} is not understood")
        if len(paths) < 2:
            raise DockerfileError(f"COPY {args}: needs a source and a destination")
        result.append((source, paths[:-1], paths[-1]))
    return result


def binaries(body):
    """The names of the `for bin in a b c; do` loop in one of the stage's RUN instructions."""
    for keyword, args in body:
        if keyword == "RUN" and "for bin in" in args:
            return args.split("for bin in", 1)[1].split(";", 1)[0].split()
    raise DockerfileError("no `for bin in ...;` loop in this stage")


def main(argv):
    if len(argv) != 4 or argv[3] not in ("config", "copies", "binaries"):
        print(__doc__.strip(), file=sys.stderr)
        return 64
    path, name, what = argv[1:]
    try:
        with open(path, encoding="utf-8") as f:
            body = stage(f.read(), name)
        if what == "config":
            print(json.dumps(config(body), indent=2, sort_keys=True))
        elif what == "copies":
            for source, srcs, dest in copies(body):
                print(" ".join([source or "-", *srcs, dest]))
        else:
            print(" ".join(binaries(body)))
    except (OSError, DockerfileError) as e:
        print(f"dockerfile.py: {path}, stage {name}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
